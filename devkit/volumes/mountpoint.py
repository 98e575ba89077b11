"""A volume read from its mount point on this machine, for engines whose archive endpoint
cannot be read exactly (Podman reports every owner as root) and to check a restored volume
without streaming it back.

Only used where :mod:`devkit.volumes.probe` proved it exact: the engine is on this machine,
its volumes' ``Mountpoint`` is readable here and shows the owners the engine wrote (no user
namespace in between), and only for plain ``local`` volumes without driver options (a
volume with ``o=bind``/``device=`` options is only mounted while a container uses it).

The tree is walked as the engines walk it (depth first, names in byte order, the root
first), and turned into the tar stream Docker's ``GET /containers/{id}/archive`` gives:
names ``./…``, whole-second mtimes, numeric owners without user names, hard links to the
first path of an inode, no sockets.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tarfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit.errors import DevkitError
from devkit.volumes.archive import tar

#: Chunks of about this size are yielded by :func:`tar_stream`.
CHUNK = 1 << 20


@dataclass
class Item:
    """One entry of the tree: its tar member, path on disk and lstat result."""

    member: tar.Member
    path: bytes
    st: os.stat_result


def usable_root(attrs: dict[str, Any]) -> Path | None:
    """The volume's folder on this machine, when it can be read there: a ``local`` volume
    without driver options whose ``Mountpoint`` is a readable folder. None otherwise."""
    if (attrs.get("Driver") or "local") != "local" or attrs.get("Options"):
        return None
    mountpoint = attrs.get("Mountpoint")
    if not mountpoint:
        return None
    root = Path(mountpoint)
    try:
        if not stat.S_ISDIR(root.lstat().st_mode):
            return None
    except OSError:
        return None
    return root if os.access(root, os.R_OK | os.X_OK) else None


def _walk(root: bytes, rel: bytes) -> Iterator[tuple[bytes, bytes, os.stat_result]]:
    """(relative path, path, lstat) of ``root/rel`` and everything below it, depth first,
    names in byte order."""
    path = os.path.join(root, rel) if rel else root
    st = os.lstat(path)
    yield rel, path, st
    if not stat.S_ISDIR(st.st_mode):
        return
    with os.scandir(path) as found:
        names = sorted(entry.name for entry in found)
    for name in names:
        yield from _walk(root, os.path.join(rel, name) if rel else name)


def items(root: Path) -> Iterator[Item]:
    """Every entry under ``root`` as a tar member would describe it (names ``./…``)."""
    first_of_inode: dict[tuple[int, int], str] = {}
    try:
        for rel, path, st in _walk(os.fsencode(root), b""):
            mode = st.st_mode
            if stat.S_ISSOCK(mode):
                continue  # the engines' tar skips sockets too
            name = "./" + os.fsdecode(rel) if rel else "./"
            size, link = 0, ""
            if stat.S_ISDIR(mode):
                kind = tar.DIRECTORY
            elif st.st_nlink > 1 and (st.st_dev, st.st_ino) in first_of_inode:
                kind, link = tar.HARDLINK, first_of_inode[(st.st_dev, st.st_ino)]
            elif stat.S_ISREG(mode):
                kind, size = tar.REGULAR[0], st.st_size
            elif stat.S_ISLNK(mode):
                kind, link = tar.SYMLINK, os.fsdecode(os.readlink(path))
            elif stat.S_ISCHR(mode):
                kind = tar.CHARDEV
            elif stat.S_ISBLK(mode):
                kind = tar.BLOCKDEV
            elif stat.S_ISFIFO(mode):
                kind = tar.FIFO
            else:
                continue
            if st.st_nlink > 1 and not stat.S_ISDIR(mode):
                first_of_inode.setdefault((st.st_dev, st.st_ino), name)
            member = tar.Member(
                name,
                kind,
                size,
                link,
                stat.S_IMODE(mode),
                st.st_uid,
                st.st_gid,
                st.st_mtime_ns // 1_000_000_000,
            )
            yield Item(member, path, st)
    except OSError as exc:
        raise _error(root, exc) from exc


def members(root: Path) -> Iterator[tar.Member]:
    """The tar members of the tree under ``root`` (headers only; nothing is read)."""
    for item in items(root):
        yield item.member


def _error(root: Path, exc: OSError) -> DevkitError:
    where = os.fsdecode(exc.filename) if exc.filename else str(root)
    return DevkitError(f"reading {where} failed: {exc.strerror or exc}")


_TYPES = {
    tar.DIRECTORY: tarfile.DIRTYPE,
    tar.HARDLINK: tarfile.LNKTYPE,
    tar.SYMLINK: tarfile.SYMTYPE,
    tar.CHARDEV: tarfile.CHRTYPE,
    tar.BLOCKDEV: tarfile.BLKTYPE,
    tar.FIFO: tarfile.FIFOTYPE,
}


def _header(item: Item) -> bytes:
    m = item.member
    info = tarfile.TarInfo(m.name)
    info.type = _TYPES.get(m.type, tarfile.REGTYPE)
    info.size, info.linkname, info.mode = m.size, m.linkname, m.mode
    info.uid, info.gid, info.mtime = m.uid, m.gid, m.mtime
    info.uname = info.gname = ""
    if m.type in (tar.CHARDEV, tar.BLOCKDEV):
        info.devmajor, info.devminor = os.major(item.st.st_rdev), os.minor(item.st.st_rdev)
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def tar_stream(root: Path) -> Generator[bytes, None, None]:
    """The tree under ``root`` as one tar stream, in chunks of about :data:`CHUNK` bytes.

    File data is read as it is sent, never held whole. A file that shrinks while it is
    read raises (its header already promised its size): stop the containers that write
    to the volume and try again.
    """
    out = bytearray()
    for item in items(root):
        out += _header(item)
        size = item.member.size
        if item.member.type in tar.REGULAR and size:
            try:
                fd = os.open(item.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
            except OSError as exc:
                raise _error(root, exc) from exc
            with contextlib.closing(os.fdopen(fd, "rb", buffering=0)) as fh:
                left = size
                while left:
                    try:
                        data = fh.read(min(CHUNK, left))
                    except OSError as exc:
                        raise _error(root, exc) from exc
                    if not data:
                        raise DevkitError(
                            f"{os.fsdecode(item.path)} shrank while it was read; stop the "
                            "containers that write to the volume and try again"
                        )
                    out += data
                    left -= len(data)
                    if len(out) >= CHUNK:
                        yield bytes(out)
                        out.clear()
            out += b"\0" * (-size % 512)
        if len(out) >= CHUNK:
            yield bytes(out)
            out.clear()
    out += b"\0" * 1024  # the end-of-archive marker
    yield bytes(out)
