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

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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
    from docker.utils.build import exclude_paths

    wanted = list(patterns)
    # exclude_paths always keeps `dockerfile` and .dockerignore, as the classic builder does.
    # Naming .dockerignore as the Dockerfile leaves only that one forced in; it goes again
    # below when the patterns exclude it.
    sent = set(exclude_paths(str(context), [*wanted], dockerfile=IGNORE_NAME))
    if _excluded(IGNORE_NAME, wanted):
        sent.discard(IGNORE_NAME)
    return sent


def _excluded(name: str, patterns: list[str]) -> bool:
    """Whether ``patterns`` exclude the top-level ``name`` (the last matching pattern wins)."""
    from docker.utils.build import Pattern

    excluded = False
    for pattern in map(Pattern, patterns):
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
