"""devkit.fsutil: files appear complete or not at all; no-clobber and private modes."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit import fsutil
from devkit.errors import DevkitError


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_writes_and_replaces(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "report.json"
    fsutil.write_atomic(path, "first\n")
    fsutil.write_atomic(path, "second ✓\n")
    assert path.read_text(encoding="utf-8") == "second ✓\n"
    fsutil.write_atomic(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left
    assert _mode(path) == 0o644  # an ordinary file: the umask decides, as with open()


def test_write_atomic_follows_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    fsutil.write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_write_atomic_into_a_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DevkitError, match="is not a directory"):
        fsutil.write_atomic(tmp_path / "nope" / "x.json", "{}")


def test_failure_leaves_no_file_and_the_old_one_intact(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    with pytest.raises(RuntimeError), fsutil.AtomicFile(path) as fh:
        fh.write(b"half of it")
        raise RuntimeError("the writer failed")
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), fsutil.AtomicFile(path) as fh:
        fh.write(b"half of the new one")
        raise KeyboardInterrupt  # Ctrl-C cleans up too
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]
    assert path.read_bytes() == b"old"


def test_a_failed_flush_is_reported_and_cleaned_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil.os, "fsync", full)
    with pytest.raises(DevkitError, match=r"cannot flush .* No space left"):
        fsutil.write_atomic(tmp_path / "x", "data")
    assert list(tmp_path.iterdir()) == []


def test_partial_name_is_hidden_beside_the_target(tmp_path: Path) -> None:
    seen: list[str] = []
    with fsutil.AtomicFile(tmp_path / "b.tar.zst") as fh:
        fh.write(b"x")
        seen = [p.name for p in tmp_path.iterdir()]
    assert seen == [f".b.tar.zst.{os.getpid()}.partial"]


def test_publish_no_clobber_refuses_an_existing_file(tmp_path: Path) -> None:
    final = tmp_path / "final"
    final.write_text("mine")
    tmp = tmp_path / "tmp"
    tmp.write_text("new")
    with pytest.raises(FileExistsError):
        fsutil.publish(tmp, final)
    assert final.read_text() == "mine" and tmp.read_text() == "new"  # tmp is the caller's
    assert fsutil.publish(tmp, final, overwrite=True) == final
    assert final.read_text() == "new" and not tmp.exists()


@pytest.mark.parametrize("hard_links", [True, False])
def test_publish_takes_the_next_free_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    if not hard_links:

        def no_links(src: object, dst: object) -> None:
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(fsutil.os, "link", no_links)
    taken = [tmp_path / "v.tar.zst", tmp_path / "v-2.tar.zst"]
    for path in taken:
        path.write_text("older backup")
    tmp = tmp_path / ".partial"
    tmp.write_text("new")
    got = fsutil.publish(tmp, taken[0], alternative=lambda n: tmp_path / f"v-{n}.tar.zst")
    assert got == tmp_path / "v-3.tar.zst" and got.read_text() == "new"
    assert all(p.read_text() == "older backup" for p in taken) and not tmp.exists()


def test_atomic_file_reports_where_it_landed(tmp_path: Path) -> None:
    final = tmp_path / "v.tar.zst"
    final.write_text("older")
    out = fsutil.AtomicFile(
        final, overwrite=False, alternative=lambda n: final.with_name(f"v-{n}.tar.zst")
    )
    with out as fh:
        fh.write(b"newer")
    assert out.path == tmp_path / "v-2.tar.zst" and out.path.read_bytes() == b"newer"
    assert final.read_text() == "older"
    # Without an alternative, an existing destination is an error, and nothing is left over.
    with (
        pytest.raises(DevkitError, match="cannot write"),
        fsutil.AtomicFile(final, overwrite=False) as fh,
    ):
        fh.write(b"newest")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v-2.tar.zst", "v.tar.zst"]


def test_private_files_are_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        leftover = fsutil.partial_name(tmp_path / "secret")
        leftover.write_text("from a crashed run")
        leftover.chmod(0o666)
        fsutil.write_atomic(tmp_path / "secret", "token", private=True)
        with fsutil.private_file(tmp_path / "other") as fh:
            fh.write(b"token")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "secret") == 0o600
    assert _mode(tmp_path / "other") == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "secret"]


def test_fsync_dir_is_best_effort(tmp_path: Path) -> None:
    fsutil.fsync_dir(tmp_path)
    fsutil.fsync_dir(tmp_path / "missing")  # no error: the data is flushed already
