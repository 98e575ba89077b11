"""Writing a backup: a truncated or corrupt source, a full disk and an interrupted backup
each end in one error, with nothing written after it."""

from __future__ import annotations

import errno
import gc
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devkit.errors import DevkitError
from devkit.volumes import archive

from .archive_helpers import VOLUME, chunked, make_tar


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


# --------------------------------------------------------------------------- the extension frame


def _payload_as_older_devkits_read_it(path: Path, manifest: dict[str, Any]) -> bytes:
    """The tar, decompressed the way devkit 0.1's reader does (the file's first
    ``compressed_bytes``, across frames/members), knowing nothing of the extension."""
    import zlib

    import zstandard

    payload = path.read_bytes()[: manifest["compressed_bytes"]]
    if manifest["compression"] == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(payload), read_across_frames=True
        )
        return reader.read()
    out, data = b"", payload
    while data:
        dobj = zlib.decompressobj(wbits=31)
        out += dobj.decompress(data)
        data = dobj.unused_data
    return out


@pytest.mark.parametrize("compression", ["zstd", "gzip"])
def test_the_extension_records_the_tree_and_older_devkits_skip_it(
    tmp_path: Path, compression: str
) -> None:
    data = make_tar()
    path = tmp_path / f"b{archive.EXTENSIONS[compression]}"
    source = {"engine": "podman", "engine_version": "4.3.1", "read": "mount"}
    with path.open("wb") as fh:
        manifest = archive.write_backup(
            chunked(data, 1000), fh, volume=VOLUME, compression=compression, source=source
        )
    extension = archive.read_extension(path, manifest)
    assert extension is not None and extension["source"] == source
    digest = archive.TreeDigest()
    walker = archive.TarWalker(digest.add)
    walker.feed(data)
    walker.finish()
    assert extension["tree"] == {
        "algorithm": "devkit-tree-1",
        "sha256": digest.sha256,
        "sha256_without_owners": digest.without_owners,
    }
    # The manifest keeps exactly the keys every devkit knows (their schema allows no other),
    # and the payload, extension and all, decompresses to the very tar: devkit 0.1 reads it.
    assert set(manifest) == {
        "format", "format_version", "kind", "devkit_version", "created", "volume",
        "compression", "compressed_bytes", "sha256", "uncompressed_bytes", "file_count",
        "entry_count", "directory_count", "symlink_count", "hardlink_count", "content_bytes",
    }  # fmt: skip
    assert _payload_as_older_devkits_read_it(path, manifest) == data
    assert archive.verify(path) == manifest


def _rewrite(path: Path, payload: bytes, manifest: dict[str, Any]) -> dict[str, Any]:
    """Give ``path`` a new payload, with a manifest that matches it."""
    import hashlib

    from devkit.volumes.archive import writer

    manifest = dict(
        manifest, compressed_bytes=len(payload), sha256=hashlib.sha256(payload).hexdigest()
    )
    path.write_bytes(payload + writer.trailer(manifest))
    return manifest


def test_a_backup_without_extension_still_verifies(tmp_path: Path) -> None:
    """Backups made by devkit 0.1 have no extension frame."""
    from devkit.volumes.archive import writer

    path = tmp_path / "old.tar.zst"
    with path.open("wb") as fh:
        manifest = archive.write_backup([make_tar()], fh, volume=VOLUME)
    frame = writer.extension_frame(archive.read_extension(path, manifest) or {}, "zstd")
    payload = path.read_bytes()[: manifest["compressed_bytes"]]
    assert payload.endswith(frame)
    manifest = _rewrite(path, payload[: -len(frame)], manifest)
    assert archive.read_extension(path, manifest) is None
    assert archive.verify(path) == manifest


def test_a_tree_that_does_not_match_its_recorded_digest_is_refused(tmp_path: Path) -> None:
    from devkit.volumes.archive import writer

    path = tmp_path / "forged.tar.zst"
    with path.open("wb") as fh:
        manifest = archive.write_backup([make_tar()], fh, volume=VOLUME)
    extension = archive.read_extension(path, manifest) or {}
    frame = writer.extension_frame(extension, "zstd")
    payload = path.read_bytes()[: manifest["compressed_bytes"]][: -len(frame)]
    forged = dict(extension, tree=dict(extension["tree"], sha256="0" * 64))
    _rewrite(path, payload + writer.extension_frame(forged, "zstd"), manifest)
    with pytest.raises(DevkitError, match="does not match the digest it records"):
        archive.verify(path)
    bad = dict(extension, tree={"algorithm": "md5"})
    _rewrite(path, payload + writer.extension_frame(bad, "zstd"), manifest)
    with pytest.raises(DevkitError, match="invalid backup extension"):
        archive.verify(path)
