"""A volume read from its folder: the same members, in the same order, as the engines' own
tar of it, and a tar stream any tar tool reads back exactly."""

from __future__ import annotations

import io
import os
import socket
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from devkit.errors import DevkitError
from devkit.volumes import archive, mountpoint

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")


def populate(root: Path) -> None:
    """Every kind of entry a volume may hold, with owners, modes and mtimes of their own."""
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "deep.txt").write_bytes(b"hello\n")
    (root / "a-c").write_bytes(b"")  # sorts between "a" and "a/…" as the engines walk
    (root / "big.bin").write_bytes(os.urandom(3 * mountpoint.CHUNK + 5))
    secret = root / "a" / "secret"
    secret.write_bytes(b"secret")
    os.chmod(secret, 0o600)
    os.link(secret, root / "a" / "b" / "secret-hardlink")
    os.symlink("a/b/deep.txt", root / "rel-link")
    os.symlink("../../../outside", root / "dangling")
    os.link(root / "rel-link", root / "rel-link-hardlink", follow_symlinks=False)
    os.mkfifo(root / "fifo")
    (root / "sticky").mkdir()
    os.chmod(root / "sticky", 0o1777)
    (root / "name with spaces é 日本.txt").write_bytes(b"x")
    (root / os.fsdecode(b"bad-\xff-name")).write_bytes(b"y")
    with socket.socket(socket.AF_UNIX) as sock:  # the engines' tar leaves sockets out
        sock.bind(str(root / "sock"))
    if os.geteuid() == 0:
        os.chown(secret, 1001, 1002)
        os.lchown(root / "rel-link", 3000, 3001)
    os.utime(secret, (981173106, 981173106))
    os.utime(root / "a", (1323785716.7, 1323785716.7))


def test_members_follow_the_engines_walk(tmp_path: Path) -> None:
    populate(tmp_path)
    names = [m.name for m in mountpoint.members(tmp_path)]
    assert names[0] == "./"
    assert "./sock" not in names
    # Depth first, names in byte order: "a" and all below it, then "a-c".
    assert names.index("./a/secret") < names.index("./a-c")
    assert names.index("./a/b/secret-hardlink") < names.index("./a/secret")
    by_name = {m.name: m for m in mountpoint.members(tmp_path)}
    # The first path of an inode is the file, later ones are hard links to it.
    assert by_name["./a/secret"].type == archive.HARDLINK
    assert by_name["./a/secret"].linkname == "./a/b/secret-hardlink"
    assert by_name["./rel-link-hardlink"].type == archive.HARDLINK  # to a symlink
    assert by_name["./rel-link"].linkname == "a/b/deep.txt"
    assert by_name["./fifo"].type == archive.FIFO
    assert by_name["./sticky"].mode == 0o1777
    assert by_name["./a"].mtime == 1323785716  # whole seconds, rounded down


def test_the_tar_stream_is_the_tree_exactly(tmp_path: Path) -> None:
    populate(tmp_path)
    data = b"".join(mountpoint.tar_stream(tmp_path))
    # The walker sees the same members as the walk itself, and the same digest.
    seen = archive.TreeDigest()
    walker = archive.TarWalker(seen.add)
    walker.feed(data)
    walker.finish()
    walked = archive.TreeDigest()
    for m in mountpoint.members(tmp_path):
        walked.add(m)
    assert seen.sha256 == walked.sha256 and seen.entries == walked.entries
    # And GNU tar extracts it into the same tree, contents included. (Not Python's tarfile:
    # it links a hard link to a symlink to the symlink's target, and chmods that.)
    out = tmp_path.parent / "extracted"
    out.mkdir()
    subprocess.run(["tar", "--numeric-owner", "-xpf", "-", "-C", str(out)], input=data, check=True)
    copy = archive.TreeDigest()
    for m in mountpoint.members(out):
        copy.add(m)
    assert copy.without_owners == walked.without_owners
    if os.geteuid() == 0:
        assert copy.sha256 == walked.sha256
    assert (out / "big.bin").read_bytes() == (tmp_path / "big.bin").read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert os.fsdecode(b"./bad-\xff-name") in tar.getnames()


def test_a_file_that_shrinks_while_read_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "grows-then-shrinks").write_bytes(b"x" * (2 * mountpoint.CHUNK))
    stream = mountpoint.tar_stream(tmp_path)
    with pytest.raises(DevkitError, match="shrank while it was read"):
        for i, _chunk in enumerate(stream):
            if i == 0:
                (tmp_path / "grows-then-shrinks").write_bytes(b"short")


def test_an_unreadable_entry_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "d").write_bytes(b"")
    (tmp_path / "e").write_bytes(b"")
    items = mountpoint.items(tmp_path)
    assert [next(items).member.name, next(items).member.name] == ["./", "./d"]
    (tmp_path / "e").unlink()  # removed after the folder was listed
    with pytest.raises(DevkitError, match=r"reading .*/e failed: No such file"):
        next(items)


def test_only_plain_local_volumes_are_read_from_their_folder(tmp_path: Path) -> None:
    base = {"Driver": "local", "Mountpoint": str(tmp_path), "Options": None}
    assert mountpoint.usable_root(base) == tmp_path
    # A bind-backed volume's folder is only mounted while a container uses it.
    assert mountpoint.usable_root({**base, "Options": {"o": "bind", "device": "/x"}}) is None
    assert mountpoint.usable_root({**base, "Driver": "nfs-plugin"}) is None
    assert mountpoint.usable_root({**base, "Mountpoint": str(tmp_path / "absent")}) is None
    assert mountpoint.usable_root({**base, "Mountpoint": ""}) is None
    (tmp_path / "file").write_bytes(b"")
    assert mountpoint.usable_root({**base, "Mountpoint": str(tmp_path / "file")}) is None
    assert stat.S_ISDIR(os.lstat(tmp_path).st_mode)


@ROOT_ONLY
def test_owners_come_through_as_numbers(tmp_path: Path) -> None:
    populate(tmp_path)
    by_name = {m.name: m for m in mountpoint.members(tmp_path)}
    assert (by_name["./a/b/secret-hardlink"].uid, by_name["./a/b/secret-hardlink"].gid) == (
        1001,
        1002,
    )
    assert (by_name["./rel-link"].uid, by_name["./rel-link"].gid) == (3000, 3001)
    with tarfile.open(fileobj=io.BytesIO(b"".join(mountpoint.tar_stream(tmp_path)))) as tar:
        info = tar.getmember("./rel-link")
        assert (info.uid, info.gid, info.uname, info.gname) == (3000, 3001, "", "")
