"""What the source and dependency scenarios edit, and how (devkit.bench.edits)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit.bench.edits import (
    context_files,
    dependency_edit,
    pick_manifest,
    pick_source_file,
    source_edit,
)
from devkit.bench.targets import Target
from devkit.errors import DevkitError

from .bench_helpers import small_project


def test_requirements_gets_a_network_free_entry(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("flask==3.0.0")  # no trailing newline
    data, desc = dependency_edit(req, "tok1")
    lines = data.decode().splitlines()
    assert lines[0] == "flask==3.0.0"
    assert lines[1].split("#")[0].strip() == "pip"
    assert "tok1" in lines[1]
    assert "pip" in desc


def test_pyproject_entry_stays_valid_toml(tmp_path: Path) -> None:
    py = tmp_path / "pyproject.toml"
    py.write_text('[project]\nname = "x"\nversion = "1"\ndependencies = [\n    "rich>=13",\n]\n')
    data, _ = dependency_edit(py, "tok")
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    doc = tomllib.loads(data.decode())
    assert doc["project"]["dependencies"] == ["pip", "rich>=13"]


def test_package_json_stays_valid_json(tmp_path: Path) -> None:
    pkg = tmp_path / "package.json"
    pkg.write_text('{\n    "name": "x",\n    "dependencies": {"a": "1"}\n}\n')
    data, desc = dependency_edit(pkg, "tok")
    doc = json.loads(data)
    assert doc["devkitBench"] == "tok"
    assert doc["dependencies"] == {"a": "1"}
    assert data.decode().startswith('{\n    "name"')  # the file's indent is kept
    assert "network" in desc


def test_explicit_dependency_line(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text("module x\n")
    data, desc = dependency_edit(gomod, "tok", "require example.com/y v1.0.0")
    assert data.decode() == "module x\nrequire example.com/y v1.0.0\n"
    assert "require example.com/y" in desc


def test_go_mod_without_line_gets_a_comment(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text("module x\n")
    data, _ = dependency_edit(gomod, "tok")
    assert data.decode() == "module x\n// edited by devkit bench tok\n"


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
