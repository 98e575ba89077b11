"""The devkit volume backup format: a compressed tar stream with a manifest trailer.

A backup file is, byte for byte::

    <payload>   the volume's tar stream exactly as the Engine API produced it, compressed
                (one zstd frame by default, or one gzip member)
    <trailer>   the manifest (JSON) inside a frame that decompressors skip:
                zstd: a *skippable frame* (magic 0x184D2A5D);
                gzip: an empty gzip member whose header COMMENT field holds the manifest

So ``zstd -dc FILE | tar -x`` (or ``gzip -dc FILE | tar -x``) restores a backup without
devkit: the decompressor outputs the tar and ignores the trailer. The manifest sits at the
end because its checksum and counts are only known once the stream has passed, which lets
a backup be written to a pipe (``-o -``) without a temporary copy.

The trailer's manifest text ends with a fixed footer ``\\nDEVKIT-MANIFEST <10-digit length>
END\\n`` so a reader finds it by reading the file's last few kilobytes. ``sha256`` is the
SHA-256 of the compressed payload (the file's first ``compressed_bytes`` bytes).

This module knows nothing about Docker: it turns chunks of tar into a backup file and back,
and checks every tar member before anything is written anywhere.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import io
import json
import os
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from devkit import __version__
from devkit.errors import DevkitError, UsageError
from devkit.schema import validation_errors

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
_FOOTER_RE = re.compile(rb"\nDEVKIT-MANIFEST (\d{10}) END\n$")
_FOOTER_LEN = len(b"\nDEVKIT-MANIFEST 0000000000 END\n")
#: An empty gzip member ends with: NUL (end of comment), empty deflate block, CRC32, ISIZE.
_GZIP_TAIL = b"\x00" + b"\x03\x00" + b"\x00" * 8
_MAX_MANIFEST = 1 << 20
CHUNK = 1 << 20

ProgressFn = Callable[[int], None]

# Tar member types (POSIX ustar + GNU + pax extensions).
REGULAR = (b"0", b"\x00", b"7")
HARDLINK = b"1"
SYMLINK = b"2"
CHARDEV, BLOCKDEV = b"3", b"4"
DIRECTORY = b"5"
FIFO = b"6"
PAX_LOCAL, PAX_GLOBAL = b"x", b"g"
GNU_LONGNAME, GNU_LONGLINK = b"L", b"K"
_META_TYPES = (PAX_LOCAL, PAX_GLOBAL, GNU_LONGNAME, GNU_LONGLINK)


# --------------------------------------------------------------------------- tar walking


@dataclass
class Member:
    """The parts of a tar header that devkit checks and counts."""

    name: str
    type: bytes
    size: int
    linkname: str
    mode: int
    uid: int
    gid: int


@dataclass
class TarStats:
    """Counts gathered while a tar stream passes."""

    entries: int = 0
    files: int = 0
    directories: int = 0
    symlinks: int = 0
    hardlinks: int = 0
    content_bytes: int = 0
    tar_bytes: int = 0


def _number(field_bytes: bytes) -> int:
    """A numeric tar field: octal text, or GNU base-256 when the high bit is set."""
    if field_bytes and field_bytes[0] & 0x80:
        value = int.from_bytes(field_bytes[1:], "big")
        if field_bytes[0] & 0x40:  # negative base-256 (only ever seen in mtimes)
            value -= 1 << (8 * (len(field_bytes) - 1))
        return value
    text = field_bytes.split(b"\x00", 1)[0].strip(b" \x00")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError as exc:
        raise DevkitError(f"corrupt tar header: bad number {text[:20]!r}") from exc


def _cstr(field_bytes: bytes) -> str:
    return field_bytes.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def _pax_records(data: bytes) -> dict[str, str]:
    """Parse pax extended header records (``"%d key=value\\n"``)."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:  # padding
            break
        space = data.find(b" ", pos)
        if space < 0:
            raise DevkitError("corrupt tar: malformed pax header")
        try:
            length = int(data[pos:space])
        except ValueError as exc:
            raise DevkitError("corrupt tar: malformed pax header") from exc
        if length <= 0 or pos + length > len(data):
            raise DevkitError("corrupt tar: malformed pax header")
        record = data[space + 1 : pos + length - 1]
        key, _, value = record.partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


def _with_checksum(header: bytearray) -> bytes:
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\x00 " % sum(header)
    return bytes(header)


def _pax_header(records: dict[str, str]) -> bytes:
    """A pax extended header (ustar block + records) carrying ``records``."""
    body = bytearray()
    for key, value in records.items():
        kv = (
            b" "
            + key.encode("utf-8", "surrogateescape")
            + b"="
            + value.encode("utf-8", "surrogateescape")
            + b"\n"
        )
        length = len(kv) + 1
        while len(str(length)) + len(kv) != length:
            length = len(str(length)) + len(kv)
        body += str(length).encode() + kv
    header = bytearray(512)
    header[0:14] = b"././@PaxHeader"
    header[100:108] = b"0000644\x00"
    header[108:116] = b"0000000\x00"
    header[116:124] = b"0000000\x00"
    header[124:136] = b"%011o\x00" % len(body)
    header[136:148] = b"00000000000\x00"
    header[156:157] = PAX_LOCAL
    header[257:265] = b"ustar\x0000"
    return _with_checksum(header) + bytes(body) + b"\x00" * ((-len(body)) % 512)


class TarWalker:
    """Follows a tar stream chunk by chunk, looking only at headers (no copy of file data).

    ``feed()`` takes any chunking; ``on_member`` is called for every real member (pax and
    GNU long-name records are folded into the member they describe). ``finish()`` raises if
    the stream ended before the tar's end-of-archive marker.

    With ``rebase="volume"`` the walker also produces a rewritten stream (collect it with
    :meth:`take`) in which every member name, and every hard-link target, is moved under
    ``volume/``. devkit extracts into the container's root that way because the engine
    refuses, when extracting *into* a directory, relative symlinks that point above it —
    and a volume's symlinks must come back as they were, whatever they point at.
    """

    def __init__(
        self, on_member: Callable[[Member], None] | None = None, *, rebase: str | None = None
    ) -> None:
        self.stats = TarStats()
        self._on_member = on_member
        self._rebase = rebase
        self._out: list[bytes | memoryview] = []
        self._skip = 0  # bytes of file data (plus padding) still to pass over
        self._emit_skip = True  # copy the skipped bytes to the output (file data: yes)
        self._header = bytearray()
        self._meta_type: bytes | None = None  # collecting the data of a pax/GNU record
        self._meta_left = 0
        self._meta_pad = 0
        self._meta = bytearray()
        self._pax: dict[str, str] = {}
        self._global_pax: dict[str, str] = {}
        self._long_name: str | None = None
        self._long_link: str | None = None
        self.ended = False

    def take(self) -> bytes:
        """The rewritten bytes produced since the last call (``rebase`` mode)."""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def feed(self, chunk: bytes | memoryview) -> None:
        view = memoryview(chunk)
        self.stats.tar_bytes += len(view)
        pos, end = 0, len(view)
        emit = self._rebase is not None
        while pos < end:
            if self.ended:
                return  # padding after the end-of-archive marker
            if self._skip:
                step = min(self._skip, end - pos)
                if emit and self._emit_skip:
                    self._out.append(view[pos : pos + step])
                self._skip -= step
                pos += step
                continue
            if self._meta_type is not None:
                step = min(self._meta_left, end - pos)
                self._meta += view[pos : pos + step]
                self._meta_left -= step
                pos += step
                if self._meta_left == 0:
                    self._finish_meta()
                continue
            step = min(512 - len(self._header), end - pos)
            self._header += view[pos : pos + step]
            pos += step
            if len(self._header) == 512:
                header = bytes(self._header)
                self._header.clear()
                self._header_block(header)

    def _header_block(self, block: bytes) -> None:
        if block == b"\x00" * 512:
            self.ended = True
            if self._rebase is not None:
                self._out.append(b"\x00" * 1024)
            return
        stored = _number(block[148:156])
        computed = sum(block[:148]) + 256 + sum(block[156:])
        if stored != computed:
            raise DevkitError("corrupt tar: header checksum mismatch (damaged archive)")
        kind = block[156:157]
        size = _number(block[124:136])
        if kind in _META_TYPES:
            if size > _MAX_MANIFEST * 16:
                raise DevkitError("corrupt tar: oversized extended header")
            self._meta_type = kind
            self._meta_left = size
            self._meta_pad = (-size) % 512
            self._meta.clear()
            if size == 0:
                self._finish_meta()
            return
        name = _cstr(block[0:100])
        if block[257:263] == b"ustar\x00":  # POSIX ustar: a prefix field extends the name
            prefix = _cstr(block[345:500])
            if prefix:
                name = f"{prefix}/{name}"
        linkname = _cstr(block[157:257])
        local = self._pax
        pax = {**self._global_pax, **local}
        extended = bool(local) or self._long_name is not None or self._long_link is not None
        if self._long_name is not None:
            name = self._long_name
        if self._long_link is not None:
            linkname = self._long_link
        name = pax.get("path", name)
        linkname = pax.get("linkpath", linkname)
        if "size" in pax:
            size = int(pax["size"])
        uid = int(pax["uid"]) if "uid" in pax else _number(block[108:116])
        gid = int(pax["gid"]) if "gid" in pax else _number(block[116:124])
        member = Member(name, kind, size, linkname, _number(block[100:108]), uid, gid)
        self._pax, self._long_name, self._long_link = {}, None, None
        self._count(member)
        if self._on_member is not None:
            self._on_member(member)
        if self._rebase is not None:
            self._out.append(self._rebased_header(block, member, pax, extended))
        # Hard links, symlinks and directories carry no data even if size says so.
        data = 0 if kind in (HARDLINK, SYMLINK, DIRECTORY) else size
        self._skip = data + (-data) % 512
        self._emit_skip = True

    def _rebased_header(
        self, block: bytes, member: Member, pax: dict[str, str], extended: bool
    ) -> bytes:
        assert self._rebase is not None
        rel = "/".join(_parts(member.name))
        name = f"{self._rebase}/{rel}" if rel else f"{self._rebase}/"
        link = member.linkname
        if member.type == HARDLINK:
            link = f"{self._rebase}/{'/'.join(_parts(link))}"
        raw_name = name.encode("utf-8", "surrogateescape")
        raw_link = link.encode("utf-8", "surrogateescape")
        header = bytearray(block)
        if not extended and len(raw_name) <= 100 and len(raw_link) <= 100:
            # Common case: rewrite the name field in place, no extra header block.
            header[0:100] = raw_name.ljust(100, b"\x00")
            if member.type == HARDLINK:
                header[157:257] = raw_link.ljust(100, b"\x00")
            if header[257:263] == b"ustar\x00":
                header[345:500] = b"\x00" * 155
            return _with_checksum(header)
        records = {**pax, "path": name}
        if member.type == HARDLINK or "linkpath" in records or len(raw_link) > 100:
            records["linkpath"] = link
        return _pax_header(records) + _with_checksum(header)

    def _finish_meta(self) -> None:
        data = bytes(self._meta)
        kind = self._meta_type
        self._meta_type = None
        self._skip = self._meta_pad
        self._emit_skip = False  # pax/GNU records are folded into the rewritten header
        if kind == PAX_LOCAL:
            self._pax = _pax_records(data)
        elif kind == PAX_GLOBAL:
            self._global_pax.update(_pax_records(data))
        elif kind == GNU_LONGNAME:
            self._long_name = data.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")
        elif kind == GNU_LONGLINK:
            self._long_link = data.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")

    def _count(self, member: Member) -> None:
        s = self.stats
        s.entries += 1
        if member.type in REGULAR:
            s.files += 1
            s.content_bytes += member.size
        elif member.type == DIRECTORY:
            s.directories += 1
        elif member.type == SYMLINK:
            s.symlinks += 1
        elif member.type == HARDLINK:
            s.hardlinks += 1

    def finish(self) -> TarStats:
        """The counts; raises if the stream stopped before the end-of-archive marker."""
        if not self.ended:
            raise DevkitError("truncated tar stream: the archive ends before its end marker")
        return self.stats


# --------------------------------------------------------------------------- safety rules


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


class MemberPolicy:
    """Rejects tar members that could write outside the volume, before anything is written.

    Rules: no absolute paths, no ``..`` components (in names or in hard-link targets), no
    member (or hard-link target) whose parent path goes through a symlink that appears in
    the archive, and no device nodes. Symlink *targets* are left alone: they come back as
    they were; a hard link to a symlink is allowed and counts as a symlink from then on.
    """

    def __init__(self) -> None:
        self._symlinks: set[tuple[str, ...]] = set()

    def check(self, member: Member) -> None:
        name = member.name
        if name.startswith("/") or ".." in name.split("/"):
            raise DevkitError(f"unsafe backup: member {name!r} has an absolute path or '..'")
        parts = tuple(_parts(name))
        for i in range(1, len(parts)):
            if parts[:i] in self._symlinks:
                raise DevkitError(
                    f"unsafe backup: member {name!r} would be written through the symlink "
                    f"{'/'.join(parts[:i])!r}"
                )
        if member.type == HARDLINK:
            target = member.linkname
            if target.startswith("/") or ".." in target.split("/"):
                raise DevkitError(
                    f"unsafe backup: hard link {name!r} points outside the volume ({target!r})"
                )
            tparts = tuple(_parts(target))
            for i in range(1, len(tparts)):
                if tparts[:i] in self._symlinks:
                    raise DevkitError(
                        f"unsafe backup: hard link {name!r} goes through a symlink ({target!r})"
                    )
        if member.type in (CHARDEV, BLOCKDEV):
            raise DevkitError(f"unsafe backup: member {name!r} is a device node")
        if member.type == SYMLINK or (
            member.type == HARDLINK and tuple(_parts(member.linkname)) in self._symlinks
        ):
            # A hard link *to* a symlink (`ln symlink other` makes one) is itself a symlink:
            # link(2) does not follow the target, but later members must not go through it.
            self._symlinks.add(parts)
        elif parts in self._symlinks:
            # A later member replacing a symlink by a real entry is fine for writing the entry
            # itself, but not for entries below it that we may already have accepted.
            self._symlinks.discard(parts)


# --------------------------------------------------------------------------- writing


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
    return header + text + _GZIP_TAIL


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
        trailer = _zstd_trailer(manifest) if compression == "zstd" else _gzip_trailer(manifest)
        out.write(trailer)
        out.flush()
    except OSError as exc:
        _abandon(sink, comp)
        raise _os_error("writing the backup", exc) from exc
    except BaseException:  # Ctrl-C, SIGTERM, a truncated stream
        _abandon(sink, comp)
        raise
    return manifest


def _os_error(action: str, exc: OSError) -> DevkitError:
    if exc.errno == errno.ENOSPC:
        return DevkitError(f"no space left on device while {action}")
    if exc.errno == errno.EPIPE:
        return DevkitError(f"the output pipe was closed while {action}")
    return DevkitError(f"{action} failed: {exc.strerror or exc}")


# --------------------------------------------------------------------------- reading


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
        raise _os_error(f"reading {path}", exc) from exc


def _read_manifest(fh: BinaryIO, label: str) -> dict[str, Any]:
    head = fh.read(4)
    if head.startswith(ZSTD_MAGIC):
        compression = "zstd"
    elif head.startswith(GZIP_MAGIC):
        compression = "gzip"
    else:
        raise DevkitError(f"{label} is not a devkit backup (neither zstd nor gzip data)")
    size = fh.seek(0, os.SEEK_END)
    tail_len = min(size, _MAX_MANIFEST + 64)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    if compression == "gzip":
        if not tail.endswith(_GZIP_TAIL):
            raise _no_trailer(label)
        tail = tail[: -len(_GZIP_TAIL)]
    match = _FOOTER_RE.search(tail[-_FOOTER_LEN:])
    if not match:
        raise _no_trailer(label)
    length = int(match.group(1))
    json_end = len(tail) - _FOOTER_LEN
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
    trailer_len = len(_zstd_trailer(manifest) if compression == "zstd" else _gzip_trailer(manifest))
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
        raise _os_error(f"reading {path}", exc) from exc
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
            raise _os_error(f"reading {path}", exc) from exc
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


def rebase(chunks: Iterable[bytes], folder: str) -> Iterator[bytes]:
    """Rewrite a tar stream with every member moved under ``folder`` (see TarWalker)."""
    walker = TarWalker(rebase=folder)
    for chunk in chunks:
        walker.feed(chunk)
        out = walker.take()
        if out:
            yield out
    walker.finish()
