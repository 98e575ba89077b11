"""Reading a backup: find and validate its manifest, stream its tar back out checked
against the manifest (checksum, end marker, counts) and the member rules, and verify it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from devkit.errors import DevkitError
from devkit.schema import validation_errors
from devkit.volumes.archive.policy import MemberPolicy
from devkit.volumes.archive.tar import Member, TarWalker
from devkit.volumes.archive.writer import (
    CHUNK,
    FOOTER_LEN,
    FOOTER_RE,
    FORMAT_NAME,
    FORMAT_VERSION,
    GZIP_MAGIC,
    GZIP_TAIL,
    MANIFEST_SCHEMA,
    ZSTD_MAGIC,
    ProgressFn,
    os_error,
    trailer,
)

#: The largest manifest a reader looks for at the end of a file.
MAX_MANIFEST = 1 << 20


@dataclass
class BackupFile:
    """A backup on disk with its (validated) manifest."""

    path: Path
    manifest: dict[str, Any]
    size: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def volume(self) -> str:
        name: str = self.manifest["volume"]["name"]
        return name


def read_manifest(path: Path) -> dict[str, Any]:
    """Read and validate the manifest of the backup at ``path`` (the trailer only).

    Raises :class:`DevkitError` when the file is not a devkit backup, was truncated, or its
    manifest is invalid. Cheap: reads the first and last few kilobytes.
    """
    try:
        with path.open("rb") as fh:
            return _read_manifest(fh, str(path))
    except IsADirectoryError as exc:
        raise DevkitError(f"{path} is a directory, not a backup file") from exc
    except FileNotFoundError as exc:
        raise DevkitError(f"no such backup file: {path}") from exc
    except OSError as exc:
        raise os_error(f"reading {path}", exc) from exc


def _read_manifest(fh: BinaryIO, label: str) -> dict[str, Any]:
    head = fh.read(4)
    if head.startswith(ZSTD_MAGIC):
        compression = "zstd"
    elif head.startswith(GZIP_MAGIC):
        compression = "gzip"
    else:
        raise DevkitError(f"{label} is not a devkit backup (neither zstd nor gzip data)")
    size = fh.seek(0, os.SEEK_END)
    tail_len = min(size, MAX_MANIFEST + 64)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    if compression == "gzip":
        if not tail.endswith(GZIP_TAIL):
            raise _no_trailer(label)
        tail = tail[: -len(GZIP_TAIL)]
    match = FOOTER_RE.search(tail[-FOOTER_LEN:])
    if not match:
        raise _no_trailer(label)
    length = int(match.group(1))
    json_end = len(tail) - FOOTER_LEN
    if length > json_end:
        raise _no_trailer(label)
    raw = tail[json_end - length : json_end]
    try:
        manifest = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DevkitError(f"{label}: the backup manifest is not valid JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise DevkitError(f"{label}: not a devkit volume backup (unknown manifest format)")
    version = manifest.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise DevkitError(
            f"{label}: backup format version {version} is newer than this devkit supports "
            f"({FORMAT_VERSION}); upgrade devkit"
        )
    problems = validation_errors(manifest, MANIFEST_SCHEMA)
    if problems:
        raise DevkitError(f"{label}: invalid backup manifest: " + "; ".join(problems))
    if manifest["compression"] != compression:
        raise DevkitError(
            f"{label}: the manifest says {manifest['compression']} but the data is {compression}"
        )
    trailer_len = len(trailer(manifest))
    if manifest["compressed_bytes"] + trailer_len != size:
        raise DevkitError(
            f"{label}: the file size does not match its manifest (truncated or altered backup)"
        )
    return manifest


def _no_trailer(label: str) -> DevkitError:
    return DevkitError(
        f"{label}: no devkit manifest at the end of the file (truncated, or not a devkit backup)"
    )


class _PayloadReader(io.RawIOBase):
    """Reads the first ``limit`` bytes of a file, hashing them as they pass."""

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self.fh = fh
        self.left = limit
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.left <= 0:
            return 0
        want = min(len(buffer), self.left)
        data = self.fh.read(want)
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        self.sha.update(data)
        self.left -= n
        return n

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        want = self.left if size is None or size < 0 else min(size, self.left)
        data = self.fh.read(want)
        self.sha.update(data)
        self.left -= len(data)
        return data


def iter_tar(
    path: Path,
    manifest: dict[str, Any],
    *,
    progress: ProgressFn | None = None,
    on_member: Callable[[Member], None] | None = None,
    rebase: str | None = None,
) -> Iterator[bytes]:
    """Yield the decompressed tar stream of a backup, checking it as it passes.

    With ``rebase``, the stream is rewritten with every member moved under that folder
    (see :class:`TarWalker`).

    The last chunk is only yielded after the SHA-256, the tar's end marker and the counts
    have been checked against the manifest, so a consumer that writes what it receives
    never receives the end of a damaged stream (it gets a :class:`DevkitError` instead).
    """
    label = str(path)
    walker = TarWalker(on_member, rebase=rebase)
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise os_error(f"reading {path}", exc) from exc
    with fh:
        payload = _PayloadReader(fh, manifest["compressed_bytes"])
        pending: bytes | None = None
        try:
            for chunk in _decompress(payload, manifest["compression"], label):
                walker.feed(chunk)
                if progress is not None:
                    progress(len(chunk))
                out = walker.take() if rebase is not None else chunk
                if not out:
                    continue
                if pending is not None:
                    yield pending
                pending = out
        except OSError as exc:
            raise os_error(f"reading {path}", exc) from exc
        if payload.left:
            raise DevkitError(f"{label}: the compressed data ends early (truncated backup)")
        if payload.sha.hexdigest() != manifest["sha256"]:
            raise DevkitError(f"{label}: checksum mismatch (the backup is corrupt)")
        try:
            stats = walker.finish()
        except DevkitError as exc:
            raise DevkitError(f"{label}: {exc}") from exc
        expected = (manifest["uncompressed_bytes"], manifest["entry_count"], manifest["file_count"])
        if (stats.tar_bytes, stats.entries, stats.files) != expected:
            raise DevkitError(f"{label}: the archive's contents do not match its manifest")
        if pending is not None:
            yield pending


def _decompress(payload: _PayloadReader, compression: str, label: str) -> Iterator[bytes]:
    if compression == "zstd":
        dctx = zstandard.ZstdDecompressor()
        reader = dctx.stream_reader(
            payload,  # type: ignore[arg-type]
            read_size=CHUNK,
            read_across_frames=True,
        )
        try:
            while True:
                chunk = reader.read(CHUNK)
                if not chunk:
                    break
                yield chunk
        except zstandard.ZstdError as exc:
            raise DevkitError(f"{label}: corrupt compressed data ({exc})") from exc
        return
    dobj = zlib.decompressobj(wbits=31)
    fed = False  # has the current gzip member seen any input?
    try:
        while True:
            data = payload.read(CHUNK)
            if not data:
                break
            while data:
                fed = True
                out = dobj.decompress(data)
                if out:
                    yield out
                data = b""
                if dobj.eof:  # another gzip member may follow (e.g. re-compressed with pigz)
                    data = dobj.unused_data
                    dobj = zlib.decompressobj(wbits=31)
                    fed = False
        tail = dobj.flush()
        if tail:
            yield tail
    except zlib.error as exc:
        raise DevkitError(f"{label}: corrupt compressed data ({exc})") from exc
    if fed and not dobj.eof:
        raise DevkitError(f"{label}: the compressed data ends early (truncated backup)")


def verify(path: Path, *, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Fully check a backup: manifest, checksum, whole archive readable, members safe.

    Returns the manifest; raises :class:`DevkitError` naming what is wrong.
    """
    manifest = read_manifest(path)
    policy = MemberPolicy()
    label = str(path)

    def check(member: Member) -> None:
        try:
            policy.check(member)
        except DevkitError as exc:
            raise DevkitError(f"{label}: {exc}") from exc

    for _ in iter_tar(path, manifest, progress=progress, on_member=check):
        pass
    return manifest
