"""Edits to the user's tree that are always undone: :class:`TreeGuard` rewrites files in place
and puts back their bytes, mode and times; its journal lets :func:`recover` undo the edits of a
run that was killed before it could."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from devkit.errors import DevkitError
from devkit.fsutil import write_atomic


@dataclass
class _Original:
    data: bytes
    mode: int
    atime_ns: int
    mtime_ns: int


class TreeGuard:
    """Edits files of the user's tree and puts them back exactly (bytes, mode, times).

    Files are rewritten in place (same inode, the directory is not touched). ``restore()``
    runs on leaving the ``with`` block whatever happened, including KeyboardInterrupt.

    With a ``journal`` path, the originals are also written there (atomically, before the
    first edit) so that a run killed outright (``kill -9``, power loss) can be undone by
    :func:`recover` on the next run; the journal is deleted once everything is restored.
    """

    def __init__(self, journal: Path | None = None) -> None:
        self._originals: dict[Path, _Original] = {}
        self._edited_hash: dict[Path, str] = {}
        self.journal = journal

    def __enter__(self) -> TreeGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def write(self, path: Path, data: bytes) -> None:
        """Replace the content of an existing file, remembering the original first."""
        path = path.resolve()
        if path not in self._originals:
            st = path.stat()
            self._originals[path] = _Original(
                path.read_bytes(), st.st_mode, st.st_atime_ns, st.st_mtime_ns
            )
        self._edited_hash[path] = hashlib.sha256(data).hexdigest()
        self._save_journal()
        with open(path, "r+b") as fh:
            fh.write(data)
            fh.truncate()

    def restore(self) -> None:
        """Put every edited file back; raises DevkitError listing files that could not be."""
        failed: list[str] = []
        for path, original in list(self._originals.items()):
            try:
                _put_back(path, original)
                del self._originals[path]
                self._edited_hash.pop(path, None)
            except OSError as exc:
                failed.append(f"{path}: {exc}")
        if failed:
            raise DevkitError("could not restore edited files: " + "; ".join(failed))
        if self.journal is not None:
            self.journal.unlink(missing_ok=True)

    def _save_journal(self) -> None:
        if self.journal is None:
            return
        entries = [
            {
                "path": str(path),
                "data": base64.b64encode(o.data).decode("ascii"),
                "mode": o.mode,
                "atime_ns": o.atime_ns,
                "mtime_ns": o.mtime_ns,
                "edited_sha256": self._edited_hash.get(path),
            }
            for path, o in self._originals.items()
        ]
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        doc = {"pid": os.getpid(), "host": socket.gethostname(), "files": entries}
        write_atomic(self.journal, json.dumps(doc))


def _put_back(path: Path, original: _Original) -> None:
    with open(path, "r+b") as fh:
        fh.write(original.data)
        fh.truncate()
    os.chmod(path, original.mode & 0o7777)
    os.utime(path, ns=(original.atime_ns, original.mtime_ns))


def _still_running(pid: object, host: object) -> bool:
    """Whether the process that wrote a journal is alive (on this host; elsewhere: assume so)."""
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def journal_dir() -> Path:
    """Where in-flight edits are journaled (devkit's data folder)."""
    from devkit.resources import data_dir

    return data_dir() / "bench" / "journal"


def recover(folder: Path | None = None) -> tuple[list[Path], list[Path]]:
    """Undo edits left by a devkit bench run that was killed before it could restore them.

    A file is restored only while it still holds exactly what devkit wrote (checked by hash):
    a file changed since is left alone and reported. Returns (restored, left alone).
    """
    folder = folder or journal_dir()
    restored: list[Path] = []
    skipped: list[Path] = []
    if not folder.is_dir():
        return restored, skipped
    for journal in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(journal.read_text(encoding="utf-8"))
            entries = doc["files"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable: leave it for a human rather than guess
        if _still_running(doc.get("pid"), doc.get("host")):
            continue  # another devkit bench is running right now: its edits are its own
        for entry in entries:
            path = Path(entry["path"])
            try:
                current = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                skipped.append(path)
                continue
            if current != entry.get("edited_sha256"):
                if current != hashlib.sha256(base64.b64decode(entry["data"])).hexdigest():
                    skipped.append(path)
                continue
            original = _Original(
                base64.b64decode(entry["data"]),
                int(entry["mode"]),
                int(entry["atime_ns"]),
                int(entry["mtime_ns"]),
            )
            try:
                _put_back(path, original)
                restored.append(path)
            except OSError:
                skipped.append(path)
        journal.unlink(missing_ok=True)
    return restored, skipped
