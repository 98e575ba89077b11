"""Back up a volume: its tar stream from the engine, through the archive writer, into a
backup file (written under a temporary name, published once complete) or a stream."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from devkit import fsutil
from devkit.errors import DevkitError
from devkit.volumes import catalog, helper, transport
from devkit.volumes.archive import ProgressFn, writer


@dataclass
class BackupResult:
    """A backup written: where (None when written to a stream) and its manifest."""

    path: Path | None
    manifest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: ``path`` and ``manifest``."""
        return {"path": str(self.path) if self.path else None, "manifest": self.manifest}


def backup(
    client: Any,
    name: str,
    *,
    output: Path | BinaryIO | None = None,
    compression: str = "zstd",
    level: int | None = None,
    kind: str = "backup",
    overwrite: bool = True,
    progress: ProgressFn | None = None,
) -> BackupResult:
    """Back up volume ``name`` into a file (default location when ``output`` is None or a
    directory) or a binary stream, without holding it in memory or writing an uncompressed
    copy. A file is written under a temporary name and renamed once complete and flushed;
    on any failure (or Ctrl-C) the partial file is removed."""
    writer.check_level(compression, level)
    attrs = helper.get_volume(client, name)
    labels = attrs.get("Labels") or {}
    meta = {"name": name, "driver": attrs.get("Driver") or "local", "labels": labels}

    def write(out: BinaryIO) -> dict[str, Any]:
        with (
            helper.container(client, name, read_only=True) as container,
            contextlib.closing(transport.stream(client, name, container)) as chunks,
        ):
            return writer.write_backup(
                chunks,
                out,
                volume=meta,
                compression=compression,
                level=level,
                kind=kind,
                progress=progress,
            )

    if output is not None and not isinstance(output, Path):
        return BackupResult(None, write(output))
    if output is None:
        final = catalog.default_backup_path(name, labels, compression, kind)
        overwrite = False
    elif output.is_dir():
        final = output / catalog.default_backup_path(name, labels, compression, kind).name
        overwrite = False
    else:
        final = output
    try:
        # Backups hold shell history and caches that may carry tokens: owner-only folders.
        final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DevkitError(f"cannot create {final.parent}: {exc.strerror}") from exc
    atomic = fsutil.AtomicFile(
        final, overwrite=overwrite, private=True, alternative=catalog.numbered(final)
    )
    with atomic as fh:
        manifest = write(fh)
    return BackupResult(atomic.path, manifest)
