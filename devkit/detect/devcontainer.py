"""An existing dev container configuration: its files, its settings, the scripts it runs.

Configurations are where the Dev Containers tools look: ``.devcontainer/devcontainer.json``,
a root ``.devcontainer.json``, and ``.devcontainer/<name>/devcontainer.json``. Every setting
found is reported with its line; lifecycle commands (``onCreateCommand``,
``postCreateCommand``…) also name the repository files they run. What devkit does with each
setting (replace, carry over, cannot express) is decided by :mod:`devkit.detect.adopt`.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Any

from devkit.detect.model import Devcontainer, Setting, Source
from devkit.detect.reader import Repo
from devkit.labels import MANAGED_LABEL

#: Commands the Dev Containers tools run at each stage of a container's life.
LIFECYCLE = (
    "initializeCommand",
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
)

_IGNORED = {"$schema", "name"}
_VARIABLE = re.compile(r"\$\{(containerWorkspaceFolder|localWorkspaceFolder)\}/?")


def detect(repo: Repo) -> Devcontainer | None:
    """The repository's existing dev container configuration, or None when there is none."""
    configs = [
        f for f in (".devcontainer/devcontainer.json", ".devcontainer.json") if repo.is_file(f)
    ]
    configs += [f for f in repo.glob(".devcontainer/*/devcontainer.json") if f not in configs]
    files = sorted(_files_under(repo, ".devcontainer"))
    if repo.is_file(".devcontainer.json"):
        files.append(".devcontainer.json")
    if not configs and not files:
        return None
    settings: list[Setting] = []
    for config in configs:
        data = repo.json(config, comments=True)
        if isinstance(data, dict):
            settings += _settings(repo, config, data)
    return Devcontainer(tuple(configs), tuple(files), tuple(settings), _rendered_by(repo))


def _files_under(repo: Repo, folder: str) -> list[str]:
    root = repo.path(folder)
    if not root.is_dir():
        return []
    return [
        p.relative_to(repo.root).as_posix()
        for p in root.rglob("*")
        if p.is_file() or p.is_symlink()
    ]


def _settings(repo: Repo, config: str, data: dict[str, Any]) -> list[Setting]:
    found = []
    for key, value in data.items():
        if key in _IGNORED:
            continue
        line = repo.key_line(config, key)
        if key == "customizations" and isinstance(value, dict):
            for tool, custom in value.items():
                for sub, sub_value in custom.items() if isinstance(custom, dict) else []:
                    sub_line = repo.key_line(config, sub) or line
                    found.append(
                        Setting(f"customizations.{tool}.{sub}", sub_value, Source(config, sub_line))
                    )
            continue
        scripts: tuple[str, ...] = ()
        if key in LIFECYCLE:
            scripts = tuple(_scripts(repo, config, value))
        elif (
            key == "build" and isinstance(value, dict) and isinstance(value.get("dockerfile"), str)
        ):
            scripts = tuple(_existing(repo, config, value["dockerfile"]))
        elif key in ("dockerFile", "dockerComposeFile"):
            names = value if isinstance(value, list) else [value]
            scripts = tuple(
                f for n in names if isinstance(n, str) for f in _existing(repo, config, n)
            )
        found.append(Setting(key, value, Source(config, line), scripts))
    return found


def _scripts(repo: Repo, config: str, command: Any) -> list[str]:
    """Repository files a lifecycle command runs (a string, an argv list, or named commands)."""
    if isinstance(command, dict):
        return [s for value in command.values() for s in _scripts(repo, config, value)]
    if isinstance(command, list):
        words = [str(w) for w in command]
    elif isinstance(command, str):
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
    else:
        return []
    found: list[str] = []
    for word in words:
        for path in _existing(repo, config, word, workspace_first=True):
            if path not in found:
                found.append(path)
    return found


def _existing(repo: Repo, config: str, word: str, *, workspace_first: bool = False) -> list[str]:
    """``word`` as a repository file: relative to the workspace (where commands run) or to the
    configuration's folder (where ``build.dockerfile`` and compose files are resolved)."""
    word = _VARIABLE.sub("", word.strip().strip("'\"")).split(";")[0].rstrip("&|")
    if not word or word.startswith(("-", "$")) or "://" in word:
        return []
    bases = ["", posixpath.dirname(config)]
    if not workspace_first:
        bases.reverse()
    for base in bases:
        candidate = posixpath.normpath(posixpath.join(base, word.removeprefix("/")))
        if not candidate.startswith("..") and repo.is_file(candidate):
            return [candidate]
    return []


def _rendered_by(repo: Repo) -> str | None:
    """devkit's template version, when devkit's template wrote this dev container."""
    answers = repo.yaml(".copier-answers.yml") if repo.is_file(".copier-answers.yml") else None
    if not isinstance(answers, dict):
        return None
    compose = repo.text(".devcontainer/compose.yaml") or ""
    if MANAGED_LABEL not in compose:
        return None
    return str(answers.get("_commit") or "devkit")
