"""What the source and dependency scenarios edit, and how (devkit.bench.edits)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.bench.edits import (
    context_files,
    pick_manifest,
    pick_source_file,
    source_edit,
)
from devkit.bench.targets import Target
from devkit.errors import DevkitError

from .bench_helpers import small_project


@pytest.mark.parametrize(("name", "start"), [("a.py", "# "), ("a.ts", "// "), ("a.css", "/* ")])
def test_source_edit_appends_a_comment(tmp_path: Path, name: str, start: str) -> None:
    path = tmp_path / name
    path.write_text("x")
    new = source_edit(path, "tok").decode()
    assert new.startswith("x\n" + start)
    assert "tok" in new


def test_pick_files(tmp_path: Path) -> None:
    target = small_project(tmp_path)
    files = context_files(target)
    assert tmp_path / "big.log" not in files
    assert pick_source_file(target, files) == tmp_path / "src" / "pkg" / "b.py"
    # The manifest the Dockerfile copies wins over the generally preferred package.json.
    assert pick_manifest(target, files) == tmp_path / "requirements-dev.txt"


def test_no_manifest_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\n")
    target = Target("t", tmp_path / "Dockerfile", tmp_path)
    with pytest.raises(DevkitError, match="--dep-file"):
        pick_manifest(target, context_files(target))
