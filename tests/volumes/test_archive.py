"""The backup format as a whole, without a daemon: a round trip is byte-exact, plain
decompressors read a backup, and the manifest has a schema."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import zstandard
from conftest import REPO_ROOT

from devkit.schema import validation_errors
from devkit.volumes import archive

from .archive_helpers import VOLUME, make_tar, write


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


def test_manifest_schema_rejects_unknown_keys() -> None:
    bad = {"format": "devkit-volume-backup", "format_version": 1, "surprise": True}
    problems = validation_errors(bad, archive.MANIFEST_SCHEMA)
    assert any("surprise" in p for p in problems)
    assert json.loads((REPO_ROOT / "schemas" / archive.MANIFEST_SCHEMA).read_text())
