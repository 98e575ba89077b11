"""pip requirements files and the graph their ``-r``/``-c``/``-e`` lines make.

Found: ``requirements*.txt`` and ``*-requirements.txt``/``*_requirements.txt`` at the root,
every ``.txt`` in a ``requirements/`` (or ``reqs/``) folder, and whatever those files pull
in with ``-r``/``--requirement`` or ``-c``/``--constraint`` wherever it lies. A file that
only includes another still counts: a dependency stage must copy every file of the graph, or
pip's ``-r`` fails. Local installs (``-e .``, ``.``, ``./sub[extra]``) are recorded apart:
they need the project's source, which a dependency stage does not have.
"""

from __future__ import annotations

import posixpath
import re
import shlex

from devkit.detect.model import RequirementsFile
from devkit.detect.reader import Repo

_ROOT_PATTERNS = ("requirements*.txt", "*-requirements.txt", "*_requirements.txt")
_FOLDERS = ("requirements", "reqs")
_INCLUDE = re.compile(r"^(-r|--requirements?|-c|--constraints?)(?:\s+|=)(\S+)")
_EDITABLE = re.compile(r"^(-e|--editable)(?:\s+|=)(\S+)")
_LOCAL = re.compile(r"^(\.{1,2}(/\S*)?|\./\S+|file:\S+)$")


def requirements_files(repo: Repo) -> list[RequirementsFile]:
    """Every requirements file of the repository with its edges, roots first in name order."""
    start: list[str] = []
    for pattern in _ROOT_PATTERNS:
        start += repo.glob(pattern)
    for folder in _FOLDERS:
        start += repo.glob(f"{folder}/*.txt") + repo.glob(f"{folder}/**/*.txt")
    seen: dict[str, tuple[list[str], list[str], list[str]]] = {}
    queue = sorted(set(start))
    while queue:
        rel = queue.pop(0)
        if rel in seen:
            continue
        includes, constraints, local = _parse(repo, rel)
        seen[rel] = (includes, constraints, local)
        queue += [f for f in includes + constraints if f not in seen]
    included_by: dict[str, list[str]] = {rel: [] for rel in seen}
    for rel, (includes, constraints, _) in seen.items():
        for target in includes + constraints:
            if target in included_by:
                included_by[target].append(rel)
    files = [
        RequirementsFile(
            rel, tuple(inc), tuple(con), tuple(loc), tuple(sorted(included_by.get(rel, [])))
        )
        for rel, (inc, con, loc) in seen.items()
    ]
    return sorted(files, key=lambda f: (bool(f.included_by), f.file))


def _parse(repo: Repo, rel: str) -> tuple[list[str], list[str], list[str]]:
    """(files it includes, constraint files, local paths it installs) of one file."""
    includes: list[str] = []
    constraints: list[str] = []
    local: list[str] = []
    text = repo.text(rel)
    if text is None:
        return includes, constraints, local
    base = posixpath.dirname(rel)
    for number, raw in enumerate(_logical_lines(text), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        include = _INCLUDE.match(line)
        if include:
            target = _inside(base, include.group(2))
            if target is None:
                repo.warn(f"{rel}:{number}: {include.group(2)} lies outside the repository")
            elif not repo.is_file(target):
                repo.warn(f"{rel}:{number}: includes {include.group(2)}, which does not exist")
            elif include.group(1).startswith(("-c", "--c")):
                constraints.append(target)
            else:
                includes.append(target)
            continue
        editable = _EDITABLE.match(line)
        candidate = editable.group(2) if editable else _first_word(line)
        if candidate is not None and _LOCAL.match(candidate.split("[")[0]):
            local.append(candidate)
    return includes, constraints, local


def _logical_lines(text: str) -> list[str]:
    """pip joins lines ending in a backslash; the line numbers stay those of the first part."""
    out: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.endswith("\\"):
            pending += line[:-1] + " "
            out.append("")
            continue
        out.append(pending + line)
        pending = ""
    return out


def _first_word(line: str) -> str | None:
    if line.startswith("-"):
        return None
    try:
        words = shlex.split(line, posix=True)
    except ValueError:
        return None
    return words[0].split(";")[0] if words else None


def _inside(base: str, target: str) -> str | None:
    """``target`` relative to the including file's folder, normalised; None if outside."""
    joined = posixpath.normpath(posixpath.join(base, target))
    if joined.startswith("../") or joined == ".." or posixpath.isabs(joined):
        return None
    return joined
