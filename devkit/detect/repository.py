"""Detecting everything about one repository: :func:`detect`."""

from __future__ import annotations

import fnmatch
import platform
from pathlib import Path

from devkit.detect import ci, devcontainer, dotnet, go, java, node, python, rust, toolfiles
from devkit.detect.context import Context
from devkit.detect.model import Detection, Fact, Source, Stack
from devkit.detect.reader import Repo
from devkit.errors import DevkitError

#: One module per stack, in the order of the answers schema's ``stacks`` choices; each has
#: ``detect(ctx) -> Stack | None``.
STACKS = (python, node, go, rust, dotnet, java)

#: Manifests that make a folder a project of its own (for the "nothing at the root" hint).
_PROJECT_FILES = ("package.json", "pyproject.toml", "requirements.txt", "setup.py", "go.mod",
                  "Cargo.toml", "pom.xml", "build.gradle", "build.gradle.kts")  # fmt: skip

#: Dependency manifests at a repository's root (globs), per stack.
MANIFEST_GLOBS: dict[str, tuple[str, ...]] = {
    "python": ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "requirements*.txt",
               "*-requirements.txt", "*_requirements.txt", "requirements/*.txt"),
    "node": ("package.json",),
    "go": ("go.mod", "go.work"),
    "rust": ("Cargo.toml",),
    "dotnet": ("global.json", "*.csproj", "*.fsproj", "*.sln"),
    "java": ("pom.xml", "build.gradle", "build.gradle.kts", "settings.gradle",
             "settings.gradle.kts", "gradle.properties"),
}  # fmt: skip


#: Manifests of ecosystems devkit has no stack for: said, so nobody expects them installed.
_UNSUPPORTED = {
    "Gemfile": "Ruby",
    "composer.json": "PHP",
    "mix.exs": "Elixir",
    "build.sbt": "Scala (sbt)",
    "Package.swift": "Swift",
    "pubspec.yaml": "Dart",
    "deno.json": "Deno",
    "CMakeLists.txt": "C/C++ (CMake)",
}


def own_manifests(root: Path, stack: str | None = None) -> list[str]:
    """The dependency manifests at ``root`` (of one ``stack``, or of any); no file is read."""
    found: list[str] = []
    for name, patterns in MANIFEST_GLOBS.items():
        if stack is None or name == stack:
            for pattern in patterns:
                found += [
                    p.relative_to(root).as_posix()
                    for p in sorted(root.glob(pattern))
                    if p.is_file()
                ]
    return list(dict.fromkeys(found))


def stack_of(manifest: str) -> str | None:
    """The stack a manifest file belongs to (``package.json`` → node), if any."""
    for name, patterns in MANIFEST_GLOBS.items():
        if any(fnmatch.fnmatch(manifest, p) for p in patterns):
            return name
    return None


def detect(root: Path, *, arch: str | None = None) -> Detection:
    """What the repository at ``root`` is made of, each fact with the file it came from.

    Reads files only (no network, no engine, nothing of the project is run). A file that
    cannot be parsed gives a warning and is skipped. ``arch`` is the machine the container
    runs on (``platform.machine()`` by default): it decides which locked wheels fit.
    Raises :class:`DevkitError` only when ``root`` is not a readable folder.
    """
    from devkit.answers import name_from_folder

    if not root.is_dir():
        raise DevkitError(f"{root} is not a folder")
    repo = Repo(root)
    ctx = Context(
        repo, toolfiles.version_pins(repo), ci.ci_versions(repo), arch=arch or platform.machine()
    )
    stacks: dict[str, Stack] = {}
    for module in STACKS:
        try:
            stack = module.detect(ctx)
        except Exception as exc:
            # A shape of file the reader did not foresee must not cost `devkit new` the rest.
            which = module.__name__.rsplit(".", 1)[-1]
            repo.warn(f"the {which} stack could not be read ({type(exc).__name__}: {exc}); skipped")
            continue
        if stack is not None:
            stacks[stack.name] = stack
    for manifest, ecosystem in _UNSUPPORTED.items():
        if repo.is_file(manifest):
            repo.warn(f"{manifest}: {ecosystem} is not one of devkit's stacks; not installed")
    if not stacks:
        _hint_nested(repo)
    name = name_from_folder(root)
    return Detection(
        root=str(root.resolve()),
        project_name=Fact(name, Source(root.resolve().name, detail="folder name"))
        if name
        else None,
        stacks=stacks,
        devcontainer=devcontainer.detect(repo),
        conflicts=ctx.conflicts,
        warnings=repo.warnings,
        tools=_tools(repo),
    )


#: A root Makefile under any of GNU make's names, in make's own lookup order.
_MAKEFILES = ("GNUmakefile", "makefile", "Makefile")


def _tools(repo: Repo) -> Fact[list[str]] | None:
    """The Debian packages for the repository's own tooling: ``make`` for a Makefile (slim
    images lack it), from the file make would read."""
    makefile = next((name for name in _MAKEFILES if repo.is_file(name)), None)
    return Fact(["make"], Source(makefile)) if makefile else None


def _hint_nested(repo: Repo) -> None:
    """Nothing at the root: say where projects are, since devkit installs from the root only."""
    nested = sorted(f for f in repo.walk(2) if "/" in f and f.rsplit("/", 1)[-1] in _PROJECT_FILES)
    if nested:
        shown = ", ".join(nested[:4]) + (f" and {len(nested) - 4} more" if len(nested) > 4 else "")
        repo.warn(
            f"no project at the root, but below it: {shown}; devkit installs the root's "
            "dependencies only (pass --data stacks=… to choose toolchains)"
        )
