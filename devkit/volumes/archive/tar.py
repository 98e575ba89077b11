"""Streaming tar: a walker that follows a tar stream chunk by chunk, looking only at its
headers (members, counts, the end marker), and rewrites it with every member moved under
one folder (:func:`rebase`). It never holds file data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from devkit.errors import DevkitError

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
#: pax/GNU records bigger than this are not real ones (16 times the largest manifest).
MAX_EXTENDED = 16 << 20


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
            if size > MAX_EXTENDED:
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
        rel = "/".join(path_parts(member.name))
        name = f"{self._rebase}/{rel}" if rel else f"{self._rebase}/"
        link = member.linkname
        if member.type == HARDLINK:
            link = f"{self._rebase}/{'/'.join(path_parts(link))}"
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


def path_parts(path: str) -> list[str]:
    """The components of a member path, without empty and ``.`` ones."""
    return [p for p in path.split("/") if p not in ("", ".")]


def rebase(chunks: Iterable[bytes], folder: str) -> Iterator[bytes]:
    """Rewrite a tar stream with every member moved under ``folder`` (see TarWalker)."""
    walker = TarWalker(rebase=folder)
    for chunk in chunks:
        walker.feed(chunk)
        out = walker.take()
        if out:
            yield out
    walker.finish()
