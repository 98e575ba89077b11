"""Reading a backup: every kind of damage is found, before a streaming consumer gets the
end of the archive."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.errors import DevkitError
from devkit.volumes import archive
from devkit.volumes.archive import writer

from .archive_helpers import make_tar, write


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
