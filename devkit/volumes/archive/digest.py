"""What a volume's tree is, independent of how a tar stream orders or spells it: one
:class:`Entry` per member, and :class:`TreeDigest`, a digest of the set of entries.

A restore or copy is checked by computing the digest of what was sent and of what the
volume holds afterwards (read back through the engine, or from its mount point); a backup
records the digest of its tree (:mod:`.extension`). The digest covers every entry's path,
type, owner, mode, size, mtime and link target — not file contents, which the backup's
SHA-256 already pins and which would cost a hash of every byte on both sides.

The digest of a set: the sum, modulo 2**256, of the SHA-256 of each entry's line. It does
not depend on the order of the members (engines walk a volume in the same lexical order,
but nothing needs to rely on it) and needs no memory per entry. Member names are normalised
(``./a/b``, ``volume/a/b``, ``/a/b`` and ``a/b`` are all ``a/b``; the volume's root is
``.``), so archives from Docker (``./…``), Podman (``/…`` and ``""`` for the root) and the
rebased streams devkit sends compare equal. Lines are also summed without uid/gid, for
engines that read every owner as root (:attr:`TreeDigest.without_owners`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from devkit.volumes.archive.tar import (
    BLOCKDEV,
    CHARDEV,
    DIRECTORY,
    FIFO,
    HARDLINK,
    REGULAR,
    SYMLINK,
    Member,
    path_parts,
)

#: The name of this digest's definition, recorded next to it.
ALGORITHM = "devkit-tree-1"
_MODULUS = 1 << 256
_KINDS = {
    DIRECTORY: "directory",
    SYMLINK: "symlink",
    HARDLINK: "hard link",
    CHARDEV: "character device",
    BLOCKDEV: "block device",
    FIFO: "fifo",
}


def normalise(name: str, strip: str | None = None) -> str:
    """A member path as the digest sees it: no leading ``./``, ``/`` or ``strip`` folder."""
    parts = path_parts(name)
    if strip is not None and parts[:1] == [strip]:
        parts = parts[1:]
    return "/".join(parts) or "."


@dataclass(frozen=True)
class Entry:
    """One member of a volume's tree, normalised."""

    path: str
    kind: str
    uid: int
    gid: int
    mode: int
    size: int
    mtime: int
    link: str

    @classmethod
    def of(cls, member: Member, strip: str | None = None) -> Entry:
        """The entry for a tar member (``strip``: a folder all names sit under, if any)."""
        kind = (
            "file" if member.type in REGULAR else _KINDS.get(member.type, f"type {member.type!r}")
        )
        link = ""
        if member.type == SYMLINK:
            link = member.linkname
        elif member.type == HARDLINK:
            link = normalise(member.linkname, strip)
        return cls(
            normalise(member.name, strip),
            kind,
            member.uid,
            member.gid,
            member.mode & 0o7777,
            member.size if kind == "file" else 0,
            member.mtime,
            link,
        )

    def line(self, *, owners: bool = True) -> bytes:
        """The entry as the bytes the digest hashes (NUL-separated fields)."""
        owner = f"{self.uid}\0{self.gid}" if owners else "-\0-"
        text = (
            f"{self.path}\0{self.kind}\0{owner}\0{self.mode:o}\0{self.size}\0"
            f"{self.mtime}\0{self.link}\n"
        )
        return text.encode("utf-8", "surrogateescape")

    def difference(self, expected: Entry, *, owners: bool = True) -> str | None:
        """How this entry differs from ``expected`` (the first field that does), or None."""
        if self.kind != expected.kind:
            return f"{self.kind}, expected a {expected.kind}"
        if owners and (self.uid, self.gid) != (expected.uid, expected.gid):
            return f"owner {self.uid}:{self.gid}, expected {expected.uid}:{expected.gid}"
        if self.mode != expected.mode:
            return f"mode {self.mode:04o}, expected {expected.mode:04o}"
        if self.size != expected.size:
            return f"{self.size} bytes, expected {expected.size}"
        if self.link != expected.link:
            return f"links to {self.link!r}, expected {expected.link!r}"
        if self.mtime != expected.mtime:
            return f"modified {_when(self.mtime)}, expected {_when(expected.mtime)}"
        return None


def _when(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return str(seconds)


@dataclass
class TreeDigest:
    """The digest of a tree, fed one member at a time, with the counts a manifest has."""

    strip: str | None = None
    entries: int = 0
    files: int = 0
    directories: int = 0
    symlinks: int = 0
    hardlinks: int = 0
    content_bytes: int = 0
    root: Entry | None = field(default=None, repr=False)
    _with: int = field(default=0, repr=False)
    _without: int = field(default=0, repr=False)

    def add(self, member: Member) -> None:
        """Count a tar member (pass it as ``on_member`` to a :class:`TarWalker`)."""
        self.add_entry(Entry.of(member, self.strip))

    def add_entry(self, entry: Entry, sign: int = 1) -> None:
        """Count an entry (``sign=-1``: take one out again)."""
        if entry.path == ".":
            self.root = entry if sign > 0 else None
        self.entries += sign
        if entry.kind == "file":
            self.files += sign
            self.content_bytes += sign * entry.size
        elif entry.kind == "directory":
            self.directories += sign
        elif entry.kind == "symlink":
            self.symlinks += sign
        elif entry.kind == "hard link":
            self.hardlinks += sign
        self._with = (self._with + sign * _value(entry.line(owners=True))) % _MODULUS
        self._without = (self._without + sign * _value(entry.line(owners=False))) % _MODULUS

    def drop_root(self) -> None:
        """Leave the volume's root folder out (to compare with a tree that has none)."""
        if self.root is not None:
            self.add_entry(self.root, -1)

    @property
    def sha256(self) -> str:
        """The digest over every field (64 hex digits)."""
        return f"{self._with:064x}"

    @property
    def without_owners(self) -> str:
        """The digest with uid/gid left out (64 hex digits)."""
        return f"{self._without:064x}"

    def digest(self, *, owners: bool = True) -> str:
        """:attr:`sha256` or :attr:`without_owners`."""
        return self.sha256 if owners else self.without_owners

    def counts(self) -> dict[str, int]:
        """The counts, under the manifest's names."""
        return {
            "entry_count": self.entries,
            "file_count": self.files,
            "directory_count": self.directories,
            "symlink_count": self.symlinks,
            "hardlink_count": self.hardlinks,
            "content_bytes": self.content_bytes,
        }


class Survey:
    """What some engines cannot write, noted while a member stream passes: the first hard
    link to a symlink (``ln symlink other``: Podman links it to the symlink's target and
    chmods that), and the root folder's owner (for an engine whose probe saw it lost). Pass
    :meth:`add` as ``on_member``."""

    def __init__(self) -> None:
        self._symlinks: set[str] = set()
        self.hardlinked_symlink: str | None = None
        self.root_owner: tuple[int, int] | None = None

    def add(self, member: Member) -> None:
        """Look at one member."""
        path = normalise(member.name)
        if path == ".":
            self.root_owner = (member.uid, member.gid)
        if member.type == SYMLINK:
            self._symlinks.add(path)
        elif member.type == HARDLINK and normalise(member.linkname) in self._symlinks:
            self._symlinks.add(path)
            if self.hardlinked_symlink is None:
                self.hardlinked_symlink = path


def _value(line: bytes) -> int:
    return int.from_bytes(hashlib.sha256(line).digest(), "big")


def compare_counts(actual: TreeDigest, expected: TreeDigest) -> str | None:
    """The first count that differs, as ``"N entries, expected M"``, or None."""
    names = {
        "entry_count": "entries",
        "file_count": "files",
        "directory_count": "directories",
        "symlink_count": "symlinks",
        "hardlink_count": "hard links",
        "content_bytes": "bytes of file content",
    }
    got, want = actual.counts(), expected.counts()
    for key, label in names.items():
        if got[key] != want[key]:
            return f"{got[key]} {label}, expected {want[key]}"
    return None


def first_difference(
    actual: Iterable[Entry],
    expected: Iterable[Entry],
    *,
    owners: bool = True,
    source: str = "the backup",
) -> str | None:
    """The first path (in sorted order) where two trees differ, said in a few words:
    ``"a/b is missing"``, ``"a/c is not in the backup"``, ``"a/b: owner 0:0, expected
    1000:1001"``. None when they are the same. Holds both trees in memory: for the error
    path, after the digests disagreed."""
    found = differences(actual, expected, owners=owners, source=source, limit=1)
    return found[0] if found else None


def differences(
    actual: Iterable[Entry],
    expected: Iterable[Entry],
    *,
    owners: bool = True,
    source: str = "the backup",
    limit: int = 3,
) -> list[str]:
    """Up to ``limit`` differences (as :func:`first_difference` says them), the first of
    each kind (missing, extra, type, owner, mode, size, link, mtime), in path order."""
    got = {e.path: e for e in actual}
    want = {e.path: e for e in expected}
    found: dict[str, str] = {}
    for path in sorted(got.keys() | want.keys()):
        label = "the volume's root folder" if path == "." else path
        if path not in got:
            kind, text = "missing", f"{label} is missing"
        elif path not in want:
            kind, text = "extra", f"{label} is not in {source}"
        else:
            diff = got[path].difference(want[path], owners=owners)
            if diff is None:
                continue
            kind, text = diff.split(" ", 1)[0], f"{label}: {diff}"
        found.setdefault(kind, text)
        if len(found) >= limit:
            break
    return list(found.values())
