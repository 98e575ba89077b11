"""Writing a backup: compress a volume's tar stream, hash and count it as it passes, and
end the file with the manifest trailer. The format's constants live here too."""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import json
import os
import re
import struct
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, BinaryIO

import zstandard

from devkit import __version__
from devkit.errors import DevkitError, UsageError
from devkit.schema import validation_errors
from devkit.volumes.archive.tar import TarWalker

FORMAT_NAME = "devkit-volume-backup"
FORMAT_VERSION = 1
MANIFEST_SCHEMA = "backup-manifest.schema.json"
COMPRESSIONS = ("zstd", "gzip")
EXTENSIONS = {"zstd": ".tar.zst", "gzip": ".tar.gz"}
DEFAULT_LEVELS = {"zstd": 1, "gzip": 6}  # zstd 1: near level 3 ratios, less CPU

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
#: One of the 16 skippable-frame magics the zstd format reserves; decoders skip the frame.
SKIPPABLE_MAGIC = 0x184D2A5D
FOOTER_RE = re.compile(rb"\nDEVKIT-MANIFEST (\d{10}) END\n$")
FOOTER_LEN = len(b"\nDEVKIT-MANIFEST 0000000000 END\n")
#: An empty gzip member ends with: NUL (end of comment), empty deflate block, CRC32, ISIZE.
GZIP_TAIL = b"\x00" + b"\x03\x00" + b"\x00" * 8
CHUNK = 1 << 20

ProgressFn = Callable[[int], None]


def _utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _trailer_text(manifest: dict[str, Any]) -> bytes:
    body = json.dumps(manifest, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    raw = body.encode("ascii")
    return raw + b"\nDEVKIT-MANIFEST %010d END\n" % len(raw)


def _zstd_trailer(manifest: dict[str, Any]) -> bytes:
    text = _trailer_text(manifest)
    return struct.pack("<II", SKIPPABLE_MAGIC, len(text)) + text


def _gzip_trailer(manifest: dict[str, Any]) -> bytes:
    text = _trailer_text(manifest)
    # FLG=FCOMMENT (0x10), MTIME=0, XFL=0, OS=255 (unknown); the ASCII JSON has no NUL byte.
    header = b"\x1f\x8b\x08\x10" + b"\x00\x00\x00\x00" + b"\x00\xff"
    return header + text + GZIP_TAIL


def trailer(manifest: dict[str, Any]) -> bytes:
    """The trailer that ends a backup with this manifest (framed for its compression)."""
    if manifest["compression"] == "zstd":
        return _zstd_trailer(manifest)
    return _gzip_trailer(manifest)


class _HashingSink:
    """File-like sink for the compressor: writes through, hashing and counting."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.count = 0
        self.abandoned = False  # the backup failed: drop what the compressor still writes

    def write(self, data: bytes) -> int:
        if data and not self.abandoned:
            self.sha.update(data)
            self.out.write(data)
            self.count += len(data)
        return len(data)

    def flush(self) -> None:
        if not self.abandoned:
            self.out.flush()


def _abandon(sink: _HashingSink, comp: Any) -> None:
    """Close the compressor of a failed backup without writing its tail anywhere.

    Left to the garbage collector, a ``GzipFile`` closes itself later and writes its tail into
    ``out``, which the caller has closed by then: Python 3.13 prints that ``ValueError`` as an
    "Exception ignored" traceback after devkit's one-line error.
    """
    sink.abandoned = True
    if comp is not None:
        with contextlib.suppress(Exception):
            comp.close()


LEVELS = {"zstd": (1, 22), "gzip": (0, 9)}


def check_level(compression: str, level: int | None) -> None:
    """Raise a :class:`DevkitError` for an unknown compression or a level it does not take."""
    if compression not in COMPRESSIONS:
        raise DevkitError(f"unknown compression {compression!r}; choose one of: zstd, gzip")
    low, high = LEVELS[compression]
    if level is not None and not low <= level <= high:
        raise UsageError(f"--level {level}: {compression} takes levels {low} to {high}")


def zstd_threads() -> int:
    """zstd worker threads: the cores left after the engine's tar writer and devkit's reader.

    A local engine needs about one core to produce the stream. On two cores, compressing in
    the calling thread (0) was fastest: 4.93 s against 6.04 s with workers for an 844 MB
    volume, since workers cost ~20 % more CPU that the engine then lacks. With more cores,
    zstd gets the spare ones.
    """
    return max(0, (os.cpu_count() or 1) - 2)


def _compressor(compression: str, level: int | None, sink: _HashingSink) -> Any:
    if compression == "zstd":
        cctx = zstandard.ZstdCompressor(
            level=DEFAULT_LEVELS["zstd"] if level is None else level,
            threads=zstd_threads(),
            write_checksum=True,
        )
        return cctx.stream_writer(sink, closefd=False, write_size=CHUNK)  # type: ignore[arg-type]
    if compression == "gzip":
        return gzip.GzipFile(
            filename="",
            mode="wb",
            fileobj=sink,
            compresslevel=DEFAULT_LEVELS["gzip"] if level is None else level,
            mtime=0,
        )
    raise DevkitError(f"unknown compression {compression!r}; choose one of: zstd, gzip")


def write_backup(
    chunks: Iterable[bytes],
    out: BinaryIO,
    *,
    volume: dict[str, Any],
    compression: str = "zstd",
    level: int | None = None,
    kind: str = "backup",
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Compress the tar ``chunks`` into ``out`` and append the manifest trailer.

    ``volume`` is ``{"name", "driver", "labels"}``. The tar is walked as it passes (headers
    only) to count members and to make sure the stream was complete. Returns the manifest.
    Raises :class:`DevkitError` on a truncated or corrupt stream and on a full disk; the
    caller owns ``out`` and removes a partial file.
    """
    check_level(compression, level)
    sink = _HashingSink(out)
    walker = TarWalker()
    comp: Any = None
    try:
        comp = _compressor(compression, level, sink)
        for chunk in chunks:
            if not chunk:
                continue
            walker.feed(chunk)
            comp.write(chunk)
            if progress is not None:
                progress(len(chunk))
        if compression == "zstd":
            comp.flush(zstandard.FLUSH_FRAME)
        else:
            comp.close()
        stats = walker.finish()
        manifest: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "kind": kind,
            "devkit_version": __version__,
            "created": _utcnow(),
            "volume": {
                "name": volume["name"],
                "driver": volume.get("driver") or "local",
                "labels": dict(volume.get("labels") or {}),
            },
            "compression": compression,
            "compressed_bytes": sink.count,
            "sha256": sink.sha.hexdigest(),
            "uncompressed_bytes": stats.tar_bytes,
            "file_count": stats.files,
            "entry_count": stats.entries,
            "directory_count": stats.directories,
            "symlink_count": stats.symlinks,
            "hardlink_count": stats.hardlinks,
            "content_bytes": stats.content_bytes,
        }
        problems = validation_errors(manifest, MANIFEST_SCHEMA)
        if problems:  # a bug in devkit, or labels the schema cannot carry
            raise DevkitError("cannot write backup manifest: " + "; ".join(problems))
        out.write(trailer(manifest))
        out.flush()
    except OSError as exc:
        _abandon(sink, comp)
        raise os_error("writing the backup", exc) from exc
    except BaseException:  # Ctrl-C, SIGTERM, a truncated stream
        _abandon(sink, comp)
        raise
    return manifest


def os_error(action: str, exc: OSError) -> DevkitError:
    if exc.errno == errno.ENOSPC:
        return DevkitError(f"no space left on device while {action}")
    if exc.errno == errno.EPIPE:
        return DevkitError(f"the output pipe was closed while {action}")
    return DevkitError(f"{action} failed: {exc.strerror or exc}")
