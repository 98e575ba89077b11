"""Backups on disk: where they go by default, how they are named, found, and pruned.

A file counts as a backup only when its trailer holds a valid devkit manifest
(:func:`devkit.volumes.archive.read_manifest`): anything else in the folder is never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from devkit.errors import DevkitError
from devkit.labels import PROJECT_LABEL
from devkit.resources import data_dir
from devkit.volumes import archive
from devkit.volumes.helper import NAME_RE

_SPOOL_CHUNK = 1 << 20


def backups_dir() -> Path:
    """Where backups go by default: ``<devkit data dir>/backups``."""
    return data_dir() / "backups"


def _project_dir_name(labels: dict[str, str]) -> str:
    project = labels.get(PROJECT_LABEL) or "_no-project"
    return project if NAME_RE.match(project) else "_no-project"


def default_backup_path(
    volume: str, labels: dict[str, str], compression: str, kind: str = "backup"
) -> Path:
    """``<backups>/<project>/<volume>--<UTC time>[.safety].tar.zst``"""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    ext = (".safety" if kind == "safety" else "") + archive.EXTENSIONS[compression]
    return backups_dir() / _project_dir_name(labels) / f"{volume}--{stamp}{ext}"


def find_backups(root: Path | None = None) -> list[archive.BackupFile]:
    """Every devkit backup under ``root`` (default: the backups folder), newest first.

    Only files whose trailer holds a valid devkit manifest count: anything else is ignored.
    """
    root = root or backups_dir()
    found = []
    if not root.is_dir():
        return []
    for path in root.rglob("*"):
        if path.name.startswith(".") or not path.is_file() or path.is_symlink():
            continue
        if not path.name.endswith(tuple(archive.EXTENSIONS.values())):
            continue
        try:
            manifest = archive.read_manifest(path)
        except DevkitError:
            continue
        st = path.stat()
        found.append(archive.BackupFile(path, manifest, st.st_size, {"mtime_ns": st.st_mtime_ns}))
    # Same-second backups get a "-2" suffix; the file's mtime orders those.
    found.sort(key=lambda b: (b.manifest["created"], b.extra["mtime_ns"]), reverse=True)
    return found


def latest_backup(volume: str, root: Path | None = None) -> archive.BackupFile | None:
    """The newest ordinary (not safety) backup of ``volume``, if any."""
    return newest(find_backups(root), volume)


def newest(backups: list[archive.BackupFile], volume: str) -> archive.BackupFile | None:
    """The first ordinary backup of ``volume`` in a :func:`find_backups` list (newest first)."""
    return next((b for b in backups if b.volume == volume and b.manifest["kind"] == "backup"), None)


def prune_backups(
    keep: int, *, root: Path | None = None, volume: str | None = None, dry_run: bool = False
) -> list[archive.BackupFile]:
    """Delete all but the newest ``keep`` backups per volume; returns what was (or would be)
    deleted. Files that are not devkit backups are never touched.

    Ordinary and safety backups are counted apart: a safety backup taken by
    ``restore --force`` must not push out the backups that ``--restore-latest`` seeds from,
    nor the other way round.
    """
    if keep < 0:
        raise DevkitError("--keep must be 0 or more")
    seen: dict[tuple[str, str], int] = {}
    doomed = []
    for backup in find_backups(root):
        if volume and backup.volume != volume:
            continue
        key = (backup.volume, backup.manifest["kind"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > keep:
            doomed.append(backup)
    if not dry_run:
        for backup in doomed:
            try:
                backup.path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise DevkitError(f"cannot delete {backup.path}: {exc.strerror}") from exc
    return doomed


def numbered(final: Path) -> Callable[[int], Path]:
    """Names for backups of one volume taken in the same second: ``<volume>--<time>-2.tar.zst``."""
    ext = "".join(final.suffixes[-2:])
    stem = final.name[: len(final.name) - len(ext)]
    return lambda n: final.with_name(f"{stem}-{n}{ext}")


@contextlib.contextmanager
def spool(folder: str) -> Iterator[Path]:
    """A private file path under the backups folder's ``folder`` (``.incoming``,
    ``.outgoing``), removed on exit: where a backup on its way in or out is kept."""
    where = backups_dir() / folder
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=where, suffix=".partial")
    except OSError as exc:
        raise DevkitError(f"cannot make a private file in {where}: {exc.strerror}") from exc
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def file_digest(path: Path) -> tuple[int, str]:
    """The size and SHA-256 (hex) of the file at ``path``, read in 1 MiB pieces."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_SPOOL_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()
