"""What a build sends to the builder: which ``.dockerignore`` applies, and what it leaves in.

Used by ``devkit doctor`` (the context table, DK008–DK010, DK014) and ``devkit bench`` (the
full context size, the files an edit may touch), so both count the same files.

devkit counts what **BuildKit** sends, the builder it requires. Measured with Docker Engine
26.1 (``docker buildx build`` 0.13 and ``DOCKER_BUILDKIT=1 docker build``, the same numbers):
the context holds exactly the paths the ignore file leaves. An ignored Dockerfile, even the
one being built, and an ignored ``.dockerignore`` are *not* in it; BuildKit reads both
through transfers of their own (``load build definition``, ``load .dockerignore``). The
classic builder is different: it always puts the Dockerfile and ``.dockerignore`` into the
context it uploads (and hides them from ``COPY``), and docker-py's ``exclude_paths`` mimics
that; :func:`sent_paths` takes those two back out when the patterns ignore them.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit.errors import DevkitError

IGNORE_NAME = ".dockerignore"


def ignore_file(dockerfile: Path, context: Path) -> Path | None:
    """The ignore file a build of ``dockerfile`` uses: ``<Dockerfile>.dockerignore`` next to
    it (BuildKit), else the context's ``.dockerignore``; None when there is neither."""
    specific = dockerfile.with_name(dockerfile.name + IGNORE_NAME)
    if specific.is_file():
        return specific
    general = context / IGNORE_NAME
    return general if general.is_file() else None


def read_ignore(path: Path) -> list[str]:
    """The patterns of a ``.dockerignore`` as docker-py reads them (no blanks, no comments).

    Raises :class:`DevkitError` when the file cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DevkitError(f"cannot read {path}: {exc.strerror or exc}") from exc
    # A byte order mark before the first pattern is skipped, as buildx 0.13 does (measured:
    # "\ufeffbig.bin" excludes big.bin; old docker CLIs kept it and lost the pattern).
    text = text.removeprefix("\ufeff")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def sent_paths(context: Path, patterns: Iterable[str]) -> set[str]:
    """The relative paths (files, folders, symlinks) BuildKit sends from ``context`` when the
    ignore file holds ``patterns``: Docker's own matching rules, nothing forced in.

    Raises ``OSError`` for a folder that cannot be read (Docker could not send it either).
    """
    exclude_paths = _docker_build().exclude_paths
    wanted = list(patterns)
    # exclude_paths always keeps `dockerfile` and .dockerignore, as the classic builder does.
    # Naming .dockerignore as the Dockerfile leaves only that one forced in; it goes again
    # below when the patterns exclude it.
    sent = set(exclude_paths(str(context), [*wanted], dockerfile=IGNORE_NAME))
    if _excluded(IGNORE_NAME, wanted):
        sent.discard(IGNORE_NAME)
    return sent


#: The private package name docker-py's build helpers are loaded under (see _docker_build).
_ALIAS = "_devkit_dockerpy"


@functools.cache
def _docker_build() -> Any:
    """docker-py's ``docker/utils/build.py`` (``exclude_paths``, ``Pattern``): Docker's own
    ``.dockerignore`` matching.

    Importing it the ordinary way runs the ``docker`` package's ``__init__`` first, which
    loads the whole Engine API client (requests, urllib3, paramiko): about 0.2 s, most of a
    ``devkit doctor`` run, for two pure functions. The module needs only ``docker.constants``
    and ``docker.utils.fnmatch``, so it is loaded with those from docker-py's own files under
    a private package name: the same code, and a later ``import docker`` (bench, volumes)
    still gets the real, untouched package. When docker-py is imported already, or its files
    are not laid out as expected, the ordinary import is used.
    """
    if "docker.utils.build" in sys.modules:
        return sys.modules["docker.utils.build"]
    spec = importlib.util.find_spec("docker")  # a top-level name: found, not imported
    folders = list(spec.submodule_search_locations or []) if spec else []
    try:
        if not folders:
            raise ImportError("docker-py is not a package here")
        for name, folder in ((_ALIAS, folders[0]), (f"{_ALIAS}.utils", f"{folders[0]}/utils")):
            package = types.ModuleType(name)
            package.__path__ = [folder]
            sys.modules.setdefault(name, package)
        return importlib.import_module(f"{_ALIAS}.utils.build")
    except Exception:  # any surprise: docker-py's ordinary import
        for name in [m for m in sys.modules if m == _ALIAS or m.startswith(_ALIAS + ".")]:
            del sys.modules[name]
        return importlib.import_module("docker.utils.build")


def _excluded(name: str, patterns: list[str]) -> bool:
    """Whether ``patterns`` exclude the top-level ``name`` (the last matching pattern wins)."""
    excluded = False
    for pattern in map(_docker_build().Pattern, patterns):
        if pattern.dirs and pattern.match(name):
            excluded = not pattern.exclusion
    return excluded


@dataclass(frozen=True)
class Sent:
    """What one build sends: its relative paths (files, folders, symlinks) and their totals.

    ``files`` and ``bytes`` count every entry sent as a file (regular files and symlinks, by
    their own size), as :class:`Context` measures them.
    """

    root: Path
    paths: frozenset[str]
    files: int
    bytes: int

    def regular_files(self) -> list[Path]:
        """The regular files sent (no folders, no symlinks), sorted: what an edit may touch."""
        found = (self.root / rel for rel in self.paths)
        return sorted(p for p in found if p.is_file() and not p.is_symlink())


class Context:
    """A build context folder, walked once: every entry Docker sends as a file, with its size.

    One walk serves every measure of the folder: everything (:attr:`total`), and what any set
    of ignore patterns leaves (:meth:`send`).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sizes: dict[str, int] = {}
        for current, dirs, names in os.walk(root):
            folder = os.path.relpath(current, root)
            prefix = "" if folder == "." else folder.replace(os.sep, "/") + "/"
            # A symlink to a folder is sent as a symlink, not followed.
            for name in names + [d for d in dirs if os.path.islink(os.path.join(current, d))]:
                try:
                    self.sizes[prefix + name] = os.lstat(os.path.join(current, name)).st_size
                except OSError:
                    continue

    @property
    def total(self) -> tuple[int, int]:
        """Files and bytes of the whole folder (what a build without an ignore file sends)."""
        return len(self.sizes), sum(self.sizes.values())

    def send(self, patterns: Iterable[str]) -> Sent:
        """What a build sends when the ignore file holds ``patterns`` (:func:`sent_paths`)."""
        paths = sent_paths(self.root, patterns)
        found = [self.sizes[rel] for rel in paths if rel in self.sizes]
        return Sent(self.root, frozenset(paths), len(found), sum(found))


def sent(dockerfile: Path, context: Path) -> Sent:
    """What a build of ``dockerfile`` sends from ``context``, with the ignore file that
    applies (:func:`ignore_file`); :class:`DevkitError` if that file cannot be read."""
    ignore = ignore_file(dockerfile, context)
    return Context(context).send(read_ignore(ignore) if ignore is not None else [])
