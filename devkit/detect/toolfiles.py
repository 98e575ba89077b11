"""Version files: the pins a repository writes for its toolchains and package managers.

Single-tool files (``.python-version``, ``.nvmrc``, ``.node-version``, ``.go-version``,
``.java-version``, ``.sdkmanrc``, ``runtime.txt``) and multi-tool ones (asdf's
``.tool-versions``, mise's ``mise.toml``/``.mise.toml``/``.config/mise.toml``). Every value
becomes a :data:`~devkit.detect.model.PIN` constraint with its file and line. Files of one
ecosystem only (go.mod, rust-toolchain, global.json, pom.xml) are read by that stack's module.
"""

from __future__ import annotations

from collections import defaultdict

from devkit.detect.model import PIN, Constraint, Source
from devkit.detect.reader import Repo

#: asdf plugin names and mise tool names → devkit's tool names.
_TOOL_NAMES = {
    "python": "python", "nodejs": "node", "node": "node", "golang": "go", "go": "go",
    "rust": "rust", "java": "java", "dotnet": "dotnet", "dotnet-core": "dotnet",
    "uv": "uv", "poetry": "poetry", "pnpm": "pnpm", "yarn": "yarn",
}  # fmt: skip

#: Files holding one tool's version on their first meaningful line.
_SINGLE = (
    (".python-version", "python"),
    (".nvmrc", "node"),
    (".node-version", "node"),
    (".go-version", "go"),
    (".java-version", "java"),
    ("runtime.txt", "python"),
)

_MISE_FILES = ("mise.toml", ".mise.toml", ".config/mise.toml", "mise/config.toml")


def version_pins(repo: Repo) -> dict[str, list[Constraint]]:
    """Every pinned version in the version files, per tool, in order of precedence."""
    pins: dict[str, list[Constraint]] = defaultdict(list)
    for rel, tool in _SINGLE:
        text = repo.text(rel)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            value = line.split("#", 1)[0].strip()
            if not value:
                continue
            if tool == "python" and (value == "system" or value.lower().startswith("pypy")):
                break  # not a CPython version devkit can install
            pins[tool].append(Constraint(tool, value, PIN, Source(rel, number)))
            break
    _sdkmanrc(repo, pins)
    _tool_versions(repo, pins)
    for rel in _MISE_FILES:
        _mise(repo, rel, pins)
    return dict(pins)


def _sdkmanrc(repo: Repo, pins: dict[str, list[Constraint]]) -> None:
    text = repo.text(".sdkmanrc")
    if text is None:
        return
    for number, line in enumerate(text.splitlines(), 1):
        key, sep, value = line.split("#", 1)[0].partition("=")
        if sep and key.strip() == "java" and value.strip():
            pins["java"].append(Constraint("java", value.strip(), PIN, Source(".sdkmanrc", number)))


def _tool_versions(repo: Repo, pins: dict[str, list[Constraint]]) -> None:
    text = repo.text(".tool-versions")
    if text is None:
        return
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if len(words) < 2 or words[0] not in _TOOL_NAMES:
            continue
        tool = _TOOL_NAMES[words[0]]
        # asdf tries the versions in order; the first is the one used.
        value = words[1]
        if value == "system" or value.startswith(("ref:", "path:")):
            continue
        pins[tool].append(Constraint(tool, value, PIN, Source(".tool-versions", number)))


def _mise(repo: Repo, rel: str, pins: dict[str, list[Constraint]]) -> None:
    data = repo.toml(rel)
    tools = data.get("tools") if data else None
    if not isinstance(tools, dict):
        return
    for name, raw in tools.items():
        tool = _TOOL_NAMES.get(str(name).split(":")[-1])
        if tool is None:
            continue
        value = raw[0] if isinstance(raw, list) and raw else raw
        if isinstance(value, dict):
            value = value.get("version")
        if not isinstance(value, (str, int, float)) or str(value) in ("latest", "system", ""):
            continue
        line = repo.key_line(rel, str(name), table="tools")
        pins[tool].append(Constraint(tool, str(value), PIN, Source(rel, line)))
