"""The streaming tar walker against Python's tarfile: members, counts, long names, big sizes,
and the rewrite under one folder."""

from __future__ import annotations

import io
import tarfile
from typing import Any

import pytest

from devkit.errors import DevkitError
from devkit.volumes import archive
from devkit.volumes.archive import tar as archive_tar

from .archive_helpers import chunked, make_tar


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
@pytest.mark.parametrize("size", [1, 7, 511, 512, 513, 65536])
def test_walker_matches_tarfile(fmt: int, size: int) -> None:
    members: list[tuple[str, str, Any]] = [
        ("dir", ".", None),
        ("file", "./a/" + "x" * 90 + "/" + "y" * 40, b"data" * 300),  # long name
        ("symlink", "./s", "t"),
        ("file", "./plain", b""),
        ("hardlink", "./h", "./plain"),
    ]
    data = make_tar(members, fmt)
    seen: list[archive.Member] = []
    walker = archive.TarWalker(seen.append)
    for chunk in chunked(data, size):
        walker.feed(chunk)
    stats = walker.finish()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        expected = [(m.name, m.size if m.isreg() else 0, m.linkname) for m in tar.getmembers()]
    got = [
        (m.name.rstrip("/") or ".", m.size if m.type in archive.REGULAR else 0, m.linkname)
        for m in seen
    ]
    assert got == expected
    assert stats.entries == 5 and stats.files == 2 and stats.tar_bytes == len(data)
    assert stats.hardlinks == 1 and stats.symlinks == 1 and stats.content_bytes == 1200


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_rebase_moves_every_member_under_the_folder(fmt: int) -> None:
    long = "./" + "d" * 95 + "/f"
    members: list[tuple[str, str, Any]] = [
        ("dir", ".", None),
        ("file", "./a", b"abc"),
        ("file", long, b"long"),
        ("file", "./ü", b"u"),
        ("hardlink", "./h", "./a"),
        ("hardlink", "./h2", long),
        ("symlink", "./s", "../../x"),
    ]
    data = make_tar(members, fmt)
    out = b"".join(archive.rebase(chunked(data, 100), "volume"))
    with tarfile.open(fileobj=io.BytesIO(out)) as tar:
        got = {m.name: m for m in tar.getmembers()}
        assert set(got) == {
            "volume",
            "volume/a",
            long.replace("./", "volume/", 1),
            "volume/ü",
            "volume/h",
            "volume/h2",
            "volume/s",
        }
        assert got["volume/h"].linkname == "volume/a"
        assert got["volume/h2"].linkname == long.replace("./", "volume/", 1)
        assert got["volume/s"].linkname == "../../x"  # symlink targets stay as they were
        assert got["volume"].mode == 0o2775 and got["volume/a"].uid == 1000
        fh = tar.extractfile("volume/a")
        assert fh is not None and fh.read() == b"abc"


def test_numbers_octal_and_base256() -> None:
    assert archive_tar._number(b"0000644\x00") == 0o644
    assert archive_tar._number(b"  755 \x00") == 0o755
    big = 9 * 1024**3  # beyond the 8 GiB octal limit: GNU base-256
    field = b"\x80" + big.to_bytes(11, "big")
    assert archive_tar._number(field) == big
    with pytest.raises(DevkitError, match="bad number"):
        archive_tar._number(b"12x45\x00")


def test_big_file_header_sizes_are_followed() -> None:
    """pax ``size`` and GNU base-256 sizes decide where the next header is."""
    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        info = tarfile.TarInfo("./huge")
        info.size = 9 * 1024**3
        header = info.tobuf(format=fmt)
        seen: list[archive.Member] = []
        walker = archive.TarWalker(seen.append)
        walker.feed(header)
        assert seen[0].size == info.size
        assert walker._skip == info.size  # the data is skipped, not parsed as headers
