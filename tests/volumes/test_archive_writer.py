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
