"""Which files an audit reads: Dockerfiles, compose files and devcontainer.json files."""

from __future__ import annotations

import os
import re
from pathlib import Path

# Folders never searched for Dockerfiles and compose files (dependencies, VCS, caches).
_PRUNE = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".gradle",
    "target",
    "vendor",
    "dist",
    "build",
    ".idea",
}
_COMPOSE_NAME = re.compile(r"^(docker-)?compose(\.[\w.-]+)?\.ya?ml$")


# Template sources (Jinja & co.) are not buildable as they are.
_TEMPLATE_SUFFIXES = (".dockerignore", ".jinja", ".j2", ".tmpl", ".tpl")


def _is_dockerfile(name: str) -> bool:
    if name.endswith(_TEMPLATE_SUFFIXES):
        return False
    return (
        name in ("Dockerfile", "Containerfile")
        or name.startswith(("Dockerfile.", "Containerfile."))
        or name.endswith((".Dockerfile", ".dockerfile"))
    )


def discover(root: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """Dockerfiles, compose files and devcontainer.json files under ``root``."""
    dockerfiles: list[Path] = []
    composes: list[Path] = []
    devcontainers: list[Path] = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _PRUNE)
        here = Path(current)
        for name in sorted(files):
            if _is_dockerfile(name):
                dockerfiles.append(here / name)
            elif _COMPOSE_NAME.match(name):
                composes.append(here / name)
            elif (
                name == "devcontainer.json" and ".devcontainer" in here.relative_to(root).parts
            ) or name == ".devcontainer.json":
                devcontainers.append(here / name)
    return dockerfiles, composes, devcontainers
