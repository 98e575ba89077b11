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
    ".idea",
}
# Folders that are often build output or vendored dependencies, but just as often sources
# (``build/Dockerfile``, a ``dist/`` of packaging recipes): skipped only when the project
# says they are output, by ignoring them in git or by a manifest of the tool that writes them.
_OUTPUT_DIRS: dict[str, tuple[str, ...]] = {
    "target": ("Cargo.toml", "pom.xml", "build.sbt"),
    "vendor": ("go.mod", "composer.json", "Gemfile"),
    "build": (),
    "dist": (),
}
_COMPOSE_NAME = re.compile(r"^(docker-)?compose(\.[\w.-]+)?\.ya?ml$")


# Template sources (Jinja, ERB, jq, Go templates & co.) are not buildable as they are.
_TEMPLATE_SUFFIXES = (
    ".dockerignore",
    ".jinja",
    ".jinja2",
    ".j2",
    ".tmpl",
    ".tpl",
    ".tt",
    ".erb",
    ".template",
    ".mustache",
    ".hbs",
    ".njk",
    ".gotmpl",
    ".in",
)
# Template syntax where a Dockerfile has its first instruction: `{{`, `{%`, `<%`, `${{`.
_TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|<%|\$\{\{")


def _is_dockerfile(name: str) -> bool:
    if name.endswith(_TEMPLATE_SUFFIXES):
        return False
    return (
        name in ("Dockerfile", "Containerfile")
        or name.startswith(("Dockerfile.", "Containerfile."))
        or name.endswith((".Dockerfile", ".dockerfile"))
    )


# A folder of templates (`templates/`, `dockerfile-templates/`): a file there without any
# FROM is a partial that a generator pastes into Dockerfiles, not one.
_TEMPLATE_DIR = re.compile(r"(^|[-_.])templates?$", re.IGNORECASE)
_FROM_LINE = re.compile(r"^\s*FROM\s", re.IGNORECASE | re.MULTILINE)


def is_template(path: Path, folders: tuple[str, ...] = ()) -> bool:
    """Whether the file named like a Dockerfile at ``path`` is a template source: template
    syntax before or in its first instruction (docker-library's jq ``{{ … }}`` templates,
    ERB, Jinja, Go templates), or, in a templates folder (one of ``folders``, the folders
    between the audited root and the file), no FROM at all (a partial). Docker could not
    build it as it is."""
    try:
        with path.open("rb") as f:
            head = f.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return False  # the audit reports what it cannot read
    if any(_TEMPLATE_DIR.search(folder) for folder in folders) and not _FROM_LINE.search(head):
        return True
    for line in head.splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        return bool(_TEMPLATE_SYNTAX.search(text))
    return False


def _ignored_in_git(folder: Path, name: str, root: Path) -> bool:
    """Whether ``folder/name`` is listed in ``folder``'s or the root's .gitignore (the usual
    ways to write it: ``name``, ``name/``, ``/name``, ``**/name``)."""
    at_root = folder == root
    for ignore in {folder / ".gitignore", root / ".gitignore"}:
        try:
            lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            pattern = line.strip().rstrip("/")
            if pattern in (name, f"**/{name}"):
                return True
            if pattern == f"/{name}" and (ignore.parent == folder or at_root):
                return True
    return False


def _output_dir(folder: Path, name: str, root: Path, files: set[str]) -> bool:
    """Whether ``folder/name`` is a build output or vendor folder, not a source folder."""
    if name not in _OUTPUT_DIRS:
        return False
    return bool(files & set(_OUTPUT_DIRS[name])) or _ignored_in_git(folder, name, root)


def discover(root: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """Dockerfiles, compose files and devcontainer.json files under ``root``.

    Files named like Dockerfiles that are template sources (:func:`is_template`) are left
    out; so are dependency and VCS folders, and build output folders (see ``_OUTPUT_DIRS``).
    """
    dockerfiles: list[Path] = []
    composes: list[Path] = []
    devcontainers: list[Path] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        names = set(files)
        dirs[:] = sorted(
            d for d in dirs if d not in _PRUNE and not _output_dir(here, d, root, names)
        )
        for name in sorted(files):
            if _is_dockerfile(name):
                if not is_template(here / name, here.relative_to(root).parts):
                    dockerfiles.append(here / name)
            elif _COMPOSE_NAME.match(name):
                composes.append(here / name)
            elif (
                name == "devcontainer.json" and ".devcontainer" in here.relative_to(root).parts
            ) or name == ".devcontainer.json":
                devcontainers.append(here / name)
    return dockerfiles, composes, devcontainers
