"""Edits that are always undone, even after a killed run (devkit.bench.treeguard)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from devkit.bench.treeguard import TreeGuard, recover


def test_tree_guard_restores_bytes_mode_times_and_inode(tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_bytes(b"original\n")
    os.chmod(path, 0o640)
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    before = path.stat()
    dir_mtime = tmp_path.stat().st_mtime_ns
    with pytest.raises(KeyboardInterrupt), TreeGuard() as tree:
        tree.write(path, b"changed, and longer than before\n")
        tree.write(path, b"changed twice\n")
        assert path.read_bytes() == b"changed twice\n"
        raise KeyboardInterrupt
    after = path.stat()
    assert path.read_bytes() == b"original\n"
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert after.st_mtime_ns == before.st_mtime_ns
    assert after.st_ino == before.st_ino
    assert tmp_path.stat().st_mtime_ns == dir_mtime


def test_journal_lets_a_killed_run_be_undone(tmp_path: Path) -> None:
    journal = tmp_path / "journal" / "run1.json"
    kept = tmp_path / "kept.py"
    changed = tmp_path / "changed.py"
    for path in (kept, changed):
        path.write_bytes(b"original\n")
        os.utime(path, ns=(5_000_000_000, 6_000_000_000))
    tree = TreeGuard(journal)
    tree.write(kept, b"original\n# edited by devkit bench x\n")
    tree.write(changed, b"original\n# edited by devkit bench x\n")
    assert journal.is_file()
    # The process dies here (no restore). The user then edits one of the files.
    changed.write_bytes(b"the user's own work\n")
    restored, skipped = recover(journal.parent)
    assert restored == [kept.resolve()] and skipped == [changed.resolve()]
    assert kept.read_bytes() == b"original\n"
    assert kept.stat().st_mtime_ns == 6_000_000_000
    assert changed.read_bytes() == b"the user's own work\n"
    assert not journal.exists()


def test_clean_restore_removes_the_journal(tmp_path: Path) -> None:
    journal = tmp_path / "j.json"
    path = tmp_path / "a.py"
    path.write_text("a\n")
    with TreeGuard(journal) as tree:
        tree.write(path, b"b\n")
        assert journal.exists()
    assert not journal.exists() and path.read_text() == "a\n"


def test_recover_leaves_a_running_bench_alone(tmp_path: Path) -> None:
    journal = tmp_path / "journal" / "other.json"
    path = tmp_path / "a.py"
    path.write_text("a\n")
    tree = TreeGuard(journal)
    tree.write(path, b"a\n# edited by devkit bench x\n")
    doc = json.loads(journal.read_text())
    doc["pid"] = os.getppid()  # alive: pytest's parent
    journal.write_text(json.dumps(doc))
    assert recover(journal.parent) == ([], [])
    assert journal.exists() and path.read_text().endswith("bench x\n")
    tree.restore()
    assert not journal.exists() and path.read_text() == "a\n"
