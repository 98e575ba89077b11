"""The backup format without a daemon: tar streams made by Python's tarfile stand in for
the engine's ``get_archive`` output."""

from __future__ import annotations

import contextlib
import errno
import gc
import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard

from devkit import volumes as vol
from devkit.errors import DevkitError
from devkit.schema import validation_errors
from devkit.volumes import archive, helper, transport
from devkit.volumes.archive import tar as archive_tar
from devkit.volumes.archive import writer

VOLUME = {"name": "demo-pip-cache", "driver": "local", "labels": {"dev.devkit.project": "demo"}}


def make_tar(
    members: list[tuple[str, str, Any]] | None = None, fmt: int = tarfile.PAX_FORMAT
) -> bytes:
    """A tar stream; members are (type, name, data-or-linkname)."""
    members = members or [
        ("dir", ".", None),
        ("dir", "./a", None),
        ("file", "./a/one.txt", b"one\n"),
        ("file", "./zero", b""),
        ("file", "./name with spaces é 日本.txt", b"x"),
        ("file", "./" + "long-dir-name/" * 12 + "deep.bin", bytes(range(256)) * 40),
        ("symlink", "./a/link", "/etc/passwd"),
        ("symlink", "./up", "../../../somewhere"),
        ("hardlink", "./a/hard", "./a/one.txt"),
        ("dir", "./empty", None),
    ]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for kind, name, value in members:
            info = tarfile.TarInfo(name)
            info.uid, info.gid, info.mtime, info.mode = 1000, 1000, 1_600_000_000, 0o644
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o2775
                tar.addfile(info)
            elif kind == "file":
                info.size = len(value)
                tar.addfile(info, io.BytesIO(value))
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, value
                tar.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, value
                tar.addfile(info)
            elif kind == "chardev":
                info.type = tarfile.CHRTYPE
                tar.addfile(info)
    return buf.getvalue()


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def write(tmp_path: Path, data: bytes, compression: str = "zstd", name: str = "b") -> Path:
    path = tmp_path / f"{name}{archive.EXTENSIONS[compression]}"
    with path.open("wb") as fh:
        archive.write_backup(chunked(data, 3000), fh, volume=VOLUME, compression=compression)
    return path


@pytest.mark.parametrize("compression", ["zstd", "gzip"])
def test_round_trip_is_byte_exact(tmp_path: Path, compression: str) -> None:
    data = make_tar()
    path = write(tmp_path, data, compression)
    manifest = archive.verify(path)
    assert b"".join(archive.iter_tar(path, manifest)) == data
    assert manifest["volume"] == VOLUME
    assert manifest["compression"] == compression
    assert manifest["file_count"] == 4  # regular files; the hard link is counted apart
    assert manifest["hardlink_count"] == 1 and manifest["symlink_count"] == 2
    assert manifest["directory_count"] == 3 and manifest["entry_count"] == 10
    assert manifest["uncompressed_bytes"] == len(data)
    raw = path.read_bytes()
    assert manifest["sha256"] == hashlib.sha256(raw[: manifest["compressed_bytes"]]).hexdigest()
    assert validation_errors(manifest, archive.MANIFEST_SCHEMA) == []


def test_plain_tools_restore_without_devkit(tmp_path: Path) -> None:
    """The trailer is invisible to decompressors: they output exactly the tar."""
    data = make_tar()
    zst = write(tmp_path, data, "zstd")
    dctx = zstandard.ZstdDecompressor()
    out = dctx.stream_reader(io.BytesIO(zst.read_bytes()), read_across_frames=True).read()
    assert out == data
    gz = write(tmp_path, data, "gzip")
    assert gzip.decompress(gz.read_bytes()) == data
    if shutil.which("zstd"):
        proc = subprocess.run(["zstd", "-dc", str(zst)], capture_output=True, check=True)
        assert proc.stdout == data
    if shutil.which("gzip"):
        proc = subprocess.run(["gzip", "-dc", str(gz)], capture_output=True, check=True)
        assert proc.stdout == data


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


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("file", "/etc/passwd", b"x")], "absolute path"),
        ([("file", "./a/../../escape", b"x")], "'..'"),
        ([("symlink", "./link", "/etc"), ("file", "./link/passwd", b"x")], "through the symlink"),
        ([("symlink", "./d", "../.."), ("dir", "./d/sub", None)], "through the symlink"),
        ([("hardlink", "./h", "../outside")], "outside the volume"),
        ([("hardlink", "./h", "/etc/shadow")], "outside the volume"),
        ([("symlink", "./l", "/"), ("hardlink", "./h", "./l/etc/shadow")], "through a symlink"),
        (
            [("symlink", "./l", "/etc"), ("hardlink", "./h", "./l"), ("file", "./h/passwd", b"x")],
            "through the symlink 'h'",
        ),
        ([("chardev", "./null", None)], "device node"),
    ],
)
def test_unsafe_members_are_rejected(
    tmp_path: Path, members: list[tuple[str, str, Any]], message: str
) -> None:
    path = write(tmp_path, make_tar([("dir", ".", None), *members]))
    with pytest.raises(DevkitError, match="unsafe backup") as err:
        archive.verify(path)
    assert message in str(err.value)
    # restore's write pass applies the same rules: nothing reaches the engine
    received: list[bytes] = []
    stream = archive.iter_tar(
        path, archive.read_manifest(path), on_member=archive.MemberPolicy().check, rebase="v"
    )
    with pytest.raises(DevkitError, match=message):
        for chunk in stream:
            received.append(chunk)
    assert received == []


def test_safe_symlinks_pointing_anywhere_are_fine(tmp_path: Path) -> None:
    members: list[tuple[str, str, Any]] = [
        ("dir", ".", None),
        ("symlink", "./abs", "/etc/passwd"),
        ("symlink", "./up", "../../../../x"),
        ("symlink", "./dangling", "nowhere"),
        ("file", "./abs-sibling", b"ok"),
        ("hardlink", "./abs-again", "./abs"),  # `ln symlink other`: a hard-linked symlink
    ]
    archive.verify(write(tmp_path, make_tar(members)))


def corrupt(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    manifest = archive.read_manifest(path)
    if how == "flip":
        data[manifest["compressed_bytes"] // 2] ^= 0x40
    elif how == "truncate":
        del data[manifest["compressed_bytes"] - 10 :]
    elif how == "truncate-trailer":
        del data[-5:]
    elif how == "manifest-sha":
        other = dict(manifest, sha256="1" * 64)
        data = data[: manifest["compressed_bytes"]] + bytearray(writer._zstd_trailer(other))
    elif how == "manifest-count":
        other = dict(manifest, file_count=manifest["file_count"] + 1)
        data = data[: manifest["compressed_bytes"]] + bytearray(writer._zstd_trailer(other))
    elif how == "manifest-invalid":
        other = dict(manifest, compression="lz4")
        data = data[: manifest["compressed_bytes"]] + bytearray(writer._zstd_trailer(other))
    elif how == "manifest-newer":
        other = dict(manifest, format_version=9)
        data = data[: manifest["compressed_bytes"]] + bytearray(writer._zstd_trailer(other))
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("flip", "checksum|corrupt"),
        ("truncate", "no devkit manifest|truncated"),
        ("truncate-trailer", "no devkit manifest"),
        ("manifest-sha", "checksum mismatch"),
        ("manifest-count", "do not match"),
        ("manifest-invalid", "invalid backup manifest"),
        ("manifest-newer", "newer than this devkit"),
    ],
)
def test_corruption_is_detected_before_the_last_chunk(
    tmp_path: Path, how: str, message: str
) -> None:
    path = write(tmp_path, make_tar())
    manifest = archive.read_manifest(path)
    corrupt(path, how)
    with pytest.raises(DevkitError, match=message):
        archive.verify(path)
    # A consumer that was already streaming never gets the end of the archive.
    if how in ("flip", "manifest-sha", "manifest-count"):
        received = b""
        with pytest.raises(DevkitError):
            for chunk in archive.iter_tar(path, archive.read_manifest(path)):
                received += chunk
        assert len(received) < manifest["uncompressed_bytes"]


def test_gzip_truncation_and_flip(tmp_path: Path) -> None:
    data = make_tar() + b"\x00" * 100_000
    path = write(tmp_path, data, "gzip")
    manifest = archive.read_manifest(path)
    raw = bytearray(path.read_bytes())
    raw[manifest["compressed_bytes"] // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DevkitError, match=r"checksum|corrupt"):
        archive.verify(path)
    path.write_bytes(bytes(raw[: len(raw) // 2]))
    with pytest.raises(DevkitError, match="no devkit manifest"):
        archive.verify(path)


@pytest.mark.parametrize("content", [b"", b"hello, not a backup\n", b"\x28\xb5\x2f\xfd junk"])
def test_wrong_file_types(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.tar.zst"
    path.write_bytes(content)
    with pytest.raises(DevkitError, match="not a devkit backup"):
        archive.read_manifest(path)
    with pytest.raises(DevkitError, match="directory"):
        archive.read_manifest(tmp_path)
    with pytest.raises(DevkitError, match="no such backup"):
        archive.read_manifest(tmp_path / "missing.tar.zst")


def test_truncated_source_stream_is_an_error(tmp_path: Path) -> None:
    data = make_tar()
    with (tmp_path / "x").open("wb") as fh, pytest.raises(DevkitError, match="truncated"):
        archive.write_backup(chunked(data[:2048], 100), fh, volume=VOLUME)


def test_corrupt_source_header_is_an_error(tmp_path: Path) -> None:
    data = bytearray(make_tar())
    data[520] ^= 0x01  # inside the second header
    with (tmp_path / "x").open("wb") as fh, pytest.raises(DevkitError, match="checksum"):
        archive.write_backup([bytes(data)], fh, volume=VOLUME)


class FullDisk(io.RawIOBase):
    def __init__(self, room: int) -> None:
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return len(data)


def test_full_disk_is_one_clear_error() -> None:
    data = make_tar() + bytes(200_000)
    with pytest.raises(DevkitError, match="no space left"):
        archive.write_backup(chunked(data, 4096), FullDisk(100), volume=VOLUME)  # type: ignore[arg-type]


class LateWrites(io.BytesIO):
    """An output that counts what is written into it after its caller gave up on it."""

    def __init__(self) -> None:
        super().__init__()
        self.given_up = False
        self.late = 0

    def write(self, data: Any) -> int:
        if self.given_up:
            self.late += len(data)
        return super().write(data)


@pytest.mark.parametrize("compression", archive.COMPRESSIONS)
def test_a_failed_backup_writes_nothing_after_it_raised(compression: str) -> None:
    """The compressor of an interrupted backup is not left for the garbage collector to close.

    Left open, gzip wrote its tail into the caller's closed file when collected, and Python
    3.13 printed that ValueError as a traceback after "interrupted".
    """

    def interrupted() -> Iterator[bytes]:
        yield make_tar()[:4096]
        raise KeyboardInterrupt

    out = LateWrites()
    try:
        archive.write_backup(interrupted(), out, volume=VOLUME, compression=compression)
    except KeyboardInterrupt:
        out.given_up = True  # as the CLI closes and removes the partial file here
    gc.collect()  # the traceback, and what it kept alive, is gone now
    assert out.late == 0


def test_full_disk_removes_the_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vol.backup removes its temporary file whatever goes wrong while writing."""

    class FakeContainer:
        def remove(self, **_: Any) -> None:
            pass

    class FakeClient:
        class api:
            @staticmethod
            def inspect_volume(name: str) -> dict[str, Any]:
                return {"Name": name, "Driver": "local", "Labels": {}}

        class containers:
            @staticmethod
            def create(*_: Any, **__: Any) -> FakeContainer:
                return FakeContainer()

    def fake_stream(client: Any, name: str, container: Any) -> Iterator[bytes]:
        yield from chunked(make_tar(), 1000)

    monkeypatch.setattr(transport, "stream", fake_stream)
    monkeypatch.setattr(helper, "ensure_helper_image", lambda client: "img")
    real = writer.write_backup

    def failing(chunks: Any, out: Any, **kw: Any) -> dict[str, Any]:
        out.write(b"partial data")
        raise writer.os_error("writing the backup", OSError(errno.ENOSPC, "full"))

    monkeypatch.setattr(writer, "write_backup", failing)
    with pytest.raises(DevkitError, match="no space left"):
        vol.backup(FakeClient(), "demo", output=tmp_path / "b.tar.zst")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(writer, "write_backup", real)
    result = vol.backup(FakeClient(), "demo", output=tmp_path / "b.tar.zst")
    assert result.path == tmp_path / "b.tar.zst"
    assert [p.name for p in tmp_path.iterdir()] == ["b.tar.zst"]
    assert archive.verify(result.path)["volume"]["name"] == "demo"


def test_prune_keeps_newest_and_ignores_strangers(tmp_path: Path) -> None:
    data = make_tar()
    made = []
    for i in range(4):
        for volume in ("v1", "v2"):
            path = tmp_path / "proj" / f"{volume}--2020010{i}T000000Z.tar.zst"
            path.parent.mkdir(exist_ok=True)
            with path.open("wb") as fh:
                archive.write_backup([data], fh, volume=dict(VOLUME, name=volume))
            # make the manifests' "created" differ, newest last
            raw = path.read_bytes()
            manifest = archive.read_manifest(path)
            manifest["created"] = f"2020-01-0{i + 1}T00:00:00Z"
            path.write_bytes(raw[: manifest["compressed_bytes"]] + writer._zstd_trailer(manifest))
            made.append(path)
    stranger = tmp_path / "proj" / "v1--19990101T000000Z.tar.zst"
    stranger.write_bytes(b"my own file, not a backup")
    notes = tmp_path / "proj" / "notes.txt"
    notes.write_text("keep me")
    would = vol.prune_backups(2, root=tmp_path, dry_run=True)
    assert len(would) == 4 and all(p.exists() for p in made)
    gone = vol.prune_backups(2, root=tmp_path)
    assert sorted(b.path.name for b in gone) == sorted(p.name for p in made[:4])
    left = sorted(p.name for p in (tmp_path / "proj").iterdir())
    assert stranger.name in left and notes.name in left and len(left) == 6
    assert vol.latest_backup("v1", tmp_path).path.name == "v1--20200103T000000Z.tar.zst"  # type: ignore[union-attr]
    # a newer safety backup counts apart: it does not push out the ordinary ones
    safety = tmp_path / "proj" / "v1--20200109T000000Z.safety.tar.zst"
    with safety.open("wb") as fh:
        archive.write_backup([data], fh, volume=dict(VOLUME, name="v1"), kind="safety")
    would = vol.prune_backups(1, root=tmp_path, volume="v1", dry_run=True)
    assert [b.path for b in would] == [made[4]]
    assert vol.latest_backup("v1", tmp_path).path == made[6]  # type: ignore[union-attr]


def test_manifest_schema_rejects_unknown_keys() -> None:
    bad = {"format": "devkit-volume-backup", "format_version": 1, "surprise": True}
    problems = validation_errors(bad, archive.MANIFEST_SCHEMA)
    assert any("surprise" in p for p in problems)
    assert json.loads(
        (Path(__file__).parent.parent / "schemas" / archive.MANIFEST_SCHEMA).read_text()
    )


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


def _fake_volume_stream(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Make helper.container/transport.stream hand out ``data`` as the volume archive."""

    @contextlib.contextmanager
    def fake_helper(client: Any, volume: str, *, read_only: bool = False) -> Iterator[Any]:
        yield object()

    def fake_stream(client: Any, name: str, container: Any) -> Iterator[bytes]:
        yield from chunked(data, 100)

    monkeypatch.setattr(helper, "container", fake_helper)
    monkeypatch.setattr(transport, "stream", fake_stream)


def test_is_empty_needs_a_complete_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    root_only = make_tar([("dir", ".", None)])
    _fake_volume_stream(monkeypatch, root_only)
    assert vol.is_empty(None, "v") is True
    _fake_volume_stream(monkeypatch, make_tar())
    assert vol.is_empty(None, "v") is False
    # An answer cut short (no end marker) must not pass for "empty": restore would then
    # write into a volume that holds data, without --force and without a safety backup.
    for cut in (root_only[:512], b""):
        _fake_volume_stream(monkeypatch, cut)
        with pytest.raises(DevkitError, match="ended early"):
            vol.is_empty(None, "v")


def test_seeding_skips_backups_of_empty_volumes(tmp_path: Path) -> None:
    """No engine call at all when the newest backup holds only the root folder."""
    empty = write(tmp_path, make_tar([("dir", ".", None)]), name="demo-pip-cache--1")
    backups = vol.find_backups(tmp_path)
    assert [b.path for b in backups] == [empty]
    # client=None: any engine call would raise AttributeError
    assert vol.seed_from_latest(None, "demo-pip-cache", created=True, backups=backups) is None
    assert vol.seed_from_latest(None, "other-volume", created=True, backups=backups) is None
