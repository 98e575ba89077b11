""".NET: ``global.json``'s SDK version (a pin) and the projects' target frameworks (each a
minimum: the SDK must be at least as new as the newest ``netX.Y`` it builds)."""

from __future__ import annotations

import re

from devkit.detect.context import Context
from devkit.detect.model import PIN, RANGE, Constraint, Source, Stack

_PROJECTS = ("*.csproj", "*.fsproj", "*.vbproj")
_TFM = re.compile(r"<TargetFrameworks?>\s*([^<]+)</TargetFrameworks?>")


def detect(ctx: Context) -> Stack | None:
    """The .NET stack, or None without global.json, a solution or a project file near the root."""
    repo, pins, ci = ctx.repo, ctx.pins, ctx.ci
    projects: list[str] = []
    for pattern in _PROJECTS:
        projects += repo.glob(pattern) + repo.glob(f"*/{pattern}") + repo.glob(f"*/*/{pattern}")
    solutions = repo.glob("*.sln") + repo.glob("*.slnx")
    evidence = [f for f in ("global.json",) if repo.is_file(f)] + solutions + sorted(projects)
    if not evidence:
        return None
    stack = Stack("dotnet", evidence=evidence)
    found: list[Constraint] = []
    data = repo.json("global.json") if repo.is_file("global.json") else None
    sdk = data.get("sdk") if isinstance(data, dict) else None
    if isinstance(sdk, dict) and isinstance(sdk.get("version"), str):
        line = repo.key_line("global.json", "version")
        found.append(
            Constraint("dotnet", sdk["version"], PIN, Source("global.json", line, "sdk.version"))
        )
        if sdk.get("rollForward"):
            stack.extra["roll_forward"] = sdk["rollForward"]
    found += pins.get("dotnet", [])
    newest: tuple[tuple[int, ...], Constraint] | None = None
    for rel in [*sorted(projects), "Directory.Build.props"]:
        for number, text in enumerate((repo.text(rel) or "").splitlines(), 1):
            for match in _TFM.finditer(text):
                for tfm in match.group(1).split(";"):
                    version = re.fullmatch(r"\s*net(?:coreapp)?(\d+\.\d+)(-\w+)?\s*", tfm)
                    if version:
                        key = tuple(int(p) for p in version.group(1).split("."))
                        c = Constraint(
                            "dotnet", version.group(1), RANGE, Source(rel, number, tfm.strip())
                        )
                        if newest is None or key > newest[0]:
                            newest = (key, c)
    if newest:
        found.append(newest[1])
    stack.version = ctx.resolve("dotnet", [*found, *ci.get("dotnet", [])])
    names = ["global.json", "Directory.Build.props", "Directory.Packages.props", "NuGet.config",
             "nuget.config", *solutions, *sorted(projects)]  # fmt: skip
    names += [
        f"{p.rsplit('/', 1)[0]}/packages.lock.json" if "/" in p else "packages.lock.json"
        for p in projects
    ]
    stack.manifests = [f for f in dict.fromkeys(names) if repo.is_file(f)]
    return stack
