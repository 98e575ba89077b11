"""Writing files so that nobody ever sees half of one.

A file is written under a temporary name next to its destination (``.<name>.<pid>.partial``:
hidden, and on the same filesystem so the last step is an atomic rename), flushed to disk, and
only then given its name; on any failure, Ctrl-C included, the temporary file is removed.

- :func:`write_atomic` — a whole text or bytes file in one call (reports, journals, answers);
- :class:`AtomicFile` — the same for data written as a stream (backups, archives), with the
  choice to never clobber an existing file (:func:`publish`) and to keep it private (0600);
- :func:`private_file`, :func:`fsync_dir` — the two building blocks, for callers that need them.

A leaf: it imports nothing from devkit but :mod:`devkit.errors`.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from devkit.errors import DevkitError

#: Gives the ``n``-th name to try (n = 2, 3, …) when a no-clobber destination is taken.
Alternative = Callable[[int], Path]


def partial_name(final: Path) -> Path:
    """Where ``final`` is written before it is complete: ``.<name>.<pid>.partial`` beside it."""
    return final.with_name(f".{final.name}.{os.getpid()}.partial")


def private_file(path: Path) -> BinaryIO:
    """Open ``path`` for writing (created or emptied), readable by its owner only (0600)."""
    return _open(path, private=True)


def _open(path: Path, *, private: bool) -> BinaryIO:
    # 0666 minus the umask for ordinary files, as open() gives; 0600 whatever the umask.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
    try:
        if private:
            os.fchmod(fd, 0o600)  # a leftover file of that name may have had another mode
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries to disk, so a rename in it survives a power cut.

    Best effort: some systems cannot open a folder for this (the data itself is already
    flushed; only the rename might be lost, never half a file).
    """
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(
    tmp: Path, final: Path, *, overwrite: bool = False, alternative: Alternative | None = None
) -> Path:
    """Give the complete file ``tmp`` its final name; returns the name it got.

    With ``overwrite``, ``final`` is replaced atomically. Otherwise nothing is ever clobbered:
    when ``final`` exists, ``alternative(2)``, ``alternative(3)``, … are tried, and without
    ``alternative`` :class:`FileExistsError` is raised (``tmp`` is left to the caller). The
    no-clobber step is a hard link then an unlink, so two writers can never both get one name;
    on a filesystem without hard links it falls back to checking, then renaming.
    """
    if overwrite:
        os.replace(tmp, final)
        return final
    candidate, n = final, 1
    while True:
        try:
            os.link(tmp, candidate)
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links
            if not (candidate.exists() or candidate.is_symlink()):
                os.replace(tmp, candidate)
                return candidate
        else:
            tmp.unlink()
            return candidate
        if alternative is None:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(final))
        n += 1
        candidate = alternative(n)


class AtomicFile:
    """``with AtomicFile(path) as fh: fh.write(...)``: ``path`` appears complete or not at all.

    The data goes to :func:`partial_name` first; on leaving the block without an error it is
    flushed to disk (``fsync``), published (:func:`publish`: replacing ``path``, or with
    ``overwrite=False`` never clobbering anything) and the folder is flushed too. On any error
    the partial file is removed and the error goes on. ``private`` files get mode 0600 (for
    data that may hold secrets). After the block, :attr:`path` is where the file landed.
    """

    def __init__(
        self,
        path: Path,
        *,
        overwrite: bool = True,
        private: bool = False,
        alternative: Alternative | None = None,
    ) -> None:
        self.final = path
        self.tmp = partial_name(path)
        self.path: Path | None = None
        self._overwrite = overwrite
        self._private = private
        self._alternative = alternative
        self._fh: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        try:
            self._fh = _open(self.tmp, private=self._private)
        except OSError as exc:
            raise DevkitError(f"cannot write {self.final}: {exc.strerror or exc}") from exc
        return self._fh

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._discard()
            return
        try:
            self._finish()
        except BaseException:
            self._discard()
            raise

    def _finish(self) -> None:
        assert self._fh is not None
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            raise DevkitError(f"cannot flush {self.tmp} to disk: {exc.strerror}") from exc
        self._fh.close()
        try:
            self.path = publish(
                self.tmp, self.final, overwrite=self._overwrite, alternative=self._alternative
            )
        except OSError as exc:
            raise DevkitError(f"cannot write {self.final}: {exc.strerror or exc}") from exc
        fsync_dir(self.path.parent)

    def _discard(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: str | bytes, *, private: bool = False) -> None:
    """Replace ``path`` with ``data`` (text as UTF-8) all at once: never a half-written file.

    A symlink at ``path`` is followed (its target gets the new content). Raises
    :class:`DevkitError` naming the file when it cannot be written.
    """
    path = path.resolve()
    if not path.parent.is_dir():
        raise DevkitError(f"cannot write {path}: {path.parent} is not a directory")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with AtomicFile(path, private=private) as fh:
            fh.write(raw)
    except OSError as exc:
        raise DevkitError(f"cannot write {path}: {exc.strerror or exc}") from exc
