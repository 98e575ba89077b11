"""Back up a volume: its tar stream, through the archive writer, into a backup file
(written under a temporary name, published once complete) or a stream.

The stream comes from the engine's archive endpoint where that is exact, else from the
volume's folder on this machine where that is (Podman: its archive endpoint reads every
owner as root); an engine where neither is exact is refused before anything is written
(:meth:`devkit.volumes.probe.Capabilities.require_reader`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from devkit import fsutil
from devkit.errors import DevkitError
from devkit.volumes import catalog, check, helper, probe
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
    caps = probe.capabilities(client)
    how = caps.require_reader(name, attrs, "back up")  # before any file is made
    source = {"engine": caps.engine.kind, "engine_version": caps.engine.version, "read": how}

    def write(out: BinaryIO) -> dict[str, Any]:
        with check.tar_chunks(client, name, how) as chunks:
            return writer.write_backup(
                chunks,
                out,
                volume=meta,
                compression=compression,
                level=level,
                kind=kind,
                progress=progress,
                source=source,
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
