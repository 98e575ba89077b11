"""Tar streams made by Python's tarfile, standing in for the engine's ``get_archive`` output,
and backups written from them."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

from devkit.labels import PROJECT_LABEL
from devkit.volumes import archive

VOLUME = {"name": "demo-pip-cache", "driver": "local", "labels": {PROJECT_LABEL: "demo"}}


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
