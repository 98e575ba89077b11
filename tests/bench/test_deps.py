"""The dependency scenario's edit: a real small package, added as its manager would add it
(devkit.bench.deps)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from devkit.bench.deps import (
    NPM_CANDIDATES,
    PYPI_CANDIDATES,
    DependencyPlan,
    choose_package,
    manager_of,
)
from devkit.errors import DevkitError


def _toml(text: str) -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    doc: dict[str, Any] = tomllib.loads(text)
    return doc


def _never(argv: list[str], cwd: Path) -> tuple[int, str]:
    raise AssertionError(f"no lock command expected, ran {argv}")


def test_requirements_gets_a_real_package_with_the_token(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("flask==3.0.0")  # no trailing newline
    edit = DependencyPlan(req, runner=_never).edit("tok1")
    lines = edit.files[req].decode().splitlines()
    assert lines[0] == "flask==3.0.0"
    assert lines[1].split("#")[0].strip() == "six>=1.16"
    assert "tok1" in lines[1]
    assert edit.package == "six>=1.16" and edit.manager == "pip"
    assert "six>=1.16" in edit.description and edit.lockfile is None


def test_a_package_already_named_is_skipped(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("Six==1.16.0\nrequests\n")
    assert DependencyPlan(req, runner=_never).edit("t").package == "iniconfig>=2.0"
    # Names are matched whole: "sixer" is not "six".
    assert choose_package("sixer==1\n", PYPI_CANDIDATES)[0] == "six"
    every = "\n".join(name for name, _ in NPM_CANDIDATES)
    with pytest.raises(DevkitError, match="--dep-line"):
        choose_package(every, NPM_CANDIDATES)


@pytest.mark.parametrize(
    "deps",
    ['dependencies = ["rich>=13"]', "dependencies = []", 'dependencies = [\n    "rich>=13",\n]'],
    ids=["one-line", "empty", "multi-line"],
)
def test_pyproject_entry_stays_valid_toml(tmp_path: Path, deps: str) -> None:
    py = tmp_path / "pyproject.toml"
    py.write_text(f'[project]\nname = "x"\nversion = "1"\n{deps}\n')
    edit = DependencyPlan(py, runner=_never).edit("tok")
    doc = _toml(edit.files[py].decode())
    assert doc["project"]["dependencies"][0] == "six>=1.16"
    assert doc["project"]["dependencies"][1:] == (["rich>=13"] if "rich" in deps else [])


def test_pyproject_without_dependencies_falls_back_and_says_why(tmp_path: Path) -> None:
    py = tmp_path / "pyproject.toml"
    py.write_text('[project]\nname = "x"\ndynamic = ["dependencies"]\n')
    edit = DependencyPlan(py, runner=_never).edit("tok")
    assert edit.package is None
    assert "no dependencies list" in edit.description
    assert edit.files[py].decode().endswith("# edited by devkit bench tok\n")


def test_poetry_table_gets_a_poetry_entry(tmp_path: Path) -> None:
    py = tmp_path / "pyproject.toml"
    py.write_text('[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n')
    assert manager_of(py) == "poetry"
    edit = DependencyPlan(py, runner=_never).edit("tok")
    doc = _toml(edit.files[py].decode())
    assert doc["tool"]["poetry"]["dependencies"] == {"six": ">=1.16", "python": "^3.11"}


def test_uv_lock_is_updated_by_uv_in_a_scratch_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    py = tmp_path / "pyproject.toml"
    py.write_text('[project]\nname = "x"\nversion = "1"\ndependencies = []\n')
    lock = tmp_path / "uv.lock"
    lock.write_text("version = 1\n")
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    seen: list[tuple[list[str], Path]] = []

    def fake_uv(argv: list[str], cwd: Path) -> tuple[int, str]:
        seen.append((argv, cwd))
        assert cwd != tmp_path  # never in the user's tree
        assert '"six>=1.16"' in (cwd / "pyproject.toml").read_text()
        (cwd / "uv.lock").write_text('version = 1\n[[package]]\nname = "six"\n')
        return 0, ""

    plan = DependencyPlan(py, runner=fake_uv)
    first, second = plan.edit("a"), plan.edit("b")
    assert [argv for argv, _ in seen] == [["uv", "lock"]]  # once per run, not per edit
    assert manager_of(py) == "uv"
    assert first.lockfile == lock and b'name = "six"' in first.files[lock]
    assert first.files[py] != second.files[py]  # each repeat changes the manifest
    assert "uv.lock updated" in first.description
    assert lock.read_text() == "version = 1\n"  # nothing written yet: the runner does that


def test_lock_update_failure_falls_back_to_a_network_free_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "package.json"
    pkg.write_text('{\n  "name": "x"\n}\n')
    (tmp_path / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    edit = DependencyPlan(pkg, runner=_never).edit("tok")
    assert edit.manager == "pnpm" and edit.package is None
    assert "pnpm is not on PATH" in edit.description
    assert json.loads(edit.files[pkg]) == {"name": "x", "devkitBench": "tok"}

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    failing = DependencyPlan(pkg, runner=lambda argv, cwd: (1, "ERR_PNPM_FETCH_404\n"))
    assert "ERR_PNPM_FETCH_404" in failing.edit("t").description


def test_package_json_dependency_sorted_as_npm_saves_it(tmp_path: Path) -> None:
    pkg = tmp_path / "package.json"
    pkg.write_text('{\n    "name": "x",\n    "dependencies": {"zod": "^3", "a": "1"}\n}\n')
    edit = DependencyPlan(pkg, runner=_never).edit("tok")
    doc = json.loads(edit.files[pkg])
    assert list(doc["dependencies"]) == ["a", "ms", "zod"]
    assert doc["dependencies"]["ms"] == "^2.1.3" and doc["devkitBench"] == "tok"
    assert edit.files[pkg].decode().startswith('{\n    "name"')  # the file's indent is kept
    assert edit.manager == "npm" and edit.package == "ms^2.1.3"


def test_package_manager_field_names_the_manager(tmp_path: Path) -> None:
    pkg = tmp_path / "package.json"
    pkg.write_text('{"packageManager": "yarn@4.5.0"}')
    assert manager_of(pkg) == "yarn"


def test_go_mod_gets_a_comment_and_says_why(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text("module x\n")
    edit = DependencyPlan(gomod, runner=_never).edit("tok")
    assert edit.files[gomod].decode() == "module x\n// edited by devkit bench tok\n"
    assert edit.package is None and "go.sum" in edit.description


def test_explicit_dependency_line(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text("module x")
    edit = DependencyPlan(gomod, "require example.com/y v1.0.0", runner=_never).edit("tok")
    assert edit.files[gomod].decode() == "module x\nrequire example.com/y v1.0.0\n"
    assert "require example.com/y" in edit.description


def test_invalid_package_json_is_one_clear_error(tmp_path: Path) -> None:
    pkg = tmp_path / "package.json"
    pkg.write_text("{not json")
    with pytest.raises(DevkitError, match="not valid JSON"):
        DependencyPlan(pkg, runner=_never)


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_npm_updates_package_lock_for_real(tmp_path: Path) -> None:
    """The real npm, lockfile only: the new package is in the lock, the tree is untouched."""
    pkg = tmp_path / "package.json"
    pkg.write_text('{\n  "name": "x",\n  "version": "1.0.0"\n}\n')
    lock = tmp_path / "package-lock.json"
    lock.write_text(
        json.dumps(
            {
                "name": "x",
                "version": "1.0.0",
                "lockfileVersion": 3,
                "requires": True,
                "packages": {"": {"name": "x", "version": "1.0.0"}},
            }
        )
    )
    before = lock.read_bytes()
    edit = DependencyPlan(pkg).edit("tok")
    if edit.package is None:
        pytest.skip(f"npm could not reach its registry: {edit.description}")
    doc = json.loads(edit.files[lock])
    assert "node_modules/ms" in doc["packages"]
    assert lock.read_bytes() == before and not (tmp_path / "node_modules").exists()
