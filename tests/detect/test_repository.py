"""Detecting a whole repository (devkit/detect/repository.py): the report's shape, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit.detect import detect, own_manifests, stack_of
from devkit.errors import DevkitError

from .detect_helpers import FIXTURES, detected, write


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_every_fixture_gives_a_json_report(name: str) -> None:
    report = detected(name).to_dict()
    assert json.loads(json.dumps(report)) == report
    assert {
        "root",
        "project_name",
        "stacks",
        "existing_devcontainer",
        "conflicts",
        "warnings",
        "tools",
    } <= set(report)
    for stack in report["stacks"]:
        assert {"evidence", "manager", "manager_version", "version", "manifests"} <= set(
            report[stack]
        )


def test_the_documented_shape() -> None:
    report = detected("python-node-mix").to_dict()
    assert report["stacks"] == ["python", "node"]
    assert report["project_name"] == {
        "value": "python-node-mix",
        "from": "python-node-mix (folder name)",
    }
    python = report["python"]
    assert python["manager"] == {"value": "uv", "from": "uv.lock"}
    assert python["version"]["value"] == "3.12"
    assert python["version"]["from"] == ".github/workflows/python.yml:18"
    assert {"spec": ">=3.10", "kind": "range", "from": "pyproject.toml:4"} in python["version"][
        "constraints"
    ]
    assert python["extras"] == {
        "value": ["minify"],
        "from": "pyproject.toml:7 ([project.optional-dependencies])",
    }
    assert python["manifests"] == ["pyproject.toml", "uv.lock"]
    assert report["node"]["manager"] == {"value": "npm", "from": "package-lock.json"}


def test_unparsable_manifests_warn_in_one_line_and_detection_goes_on(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project\nname = "broken"\n',
            "package.json": '{"name": "broken",\n  "version": 1,,\n}\n',
            "requirements.txt": "requests\n",
            "uv.lock": "\x00not toml",
        },
    )
    found = detect(tmp_path)
    assert list(found.stacks) == ["python", "node"]
    assert found.stacks["python"].manager is not None
    assert found.stacks["python"].manager.value == "uv"
    assert found.stacks["node"].manager is not None
    assert found.stacks["node"].manager.value == "npm"
    assert all("\n" not in w for w in found.warnings)
    assert any(w.startswith("pyproject.toml: not valid TOML") for w in found.warnings)
    assert any(
        w.startswith("package.json: not valid JSON (line 2, column 16") for w in found.warnings
    )
    assert any(w.startswith("uv.lock: not valid TOML") for w in found.warnings)


def test_binary_and_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_bytes(b"\xff\xfe\x00garbage")
    found = detect(tmp_path)
    assert found.warnings == ["package.json: not UTF-8 text, not read"]
    assert list(found.stacks) == ["node"]


def test_nothing_at_the_root_says_where_projects_are(tmp_path: Path) -> None:
    write(tmp_path, {"backend/pyproject.toml": "", "frontend/package.json": "{}", "README.md": ""})
    found = detect(tmp_path)
    assert found.stacks == {}
    assert found.warnings == [
        "no project at the root, but below it: backend/pyproject.toml, frontend/package.json; "
        "devkit installs the root's dependencies only (pass --data stacks=… to choose toolchains)"
    ]


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DevkitError, match="is not a folder"):
        detect(tmp_path / "missing")


def test_own_manifests(tmp_path: Path) -> None:
    assert own_manifests(tmp_path) == []
    write(tmp_path, {"requirements/dev.txt": "", "go.mod": "", "README.md": ""})
    assert own_manifests(tmp_path) == ["requirements/dev.txt", "go.mod"]
    assert own_manifests(tmp_path, "go") == ["go.mod"]
    assert own_manifests(tmp_path, "node") == []
    assert [stack_of(f) for f in ("package.json", "requirements.txt", "gradle.properties")] == [
        "node",
        "python",
        "java",
    ]
    assert stack_of("README.md") is None


def test_ecosystems_without_a_stack_are_named(tmp_path: Path) -> None:
    write(tmp_path, {"Gemfile": "source 'https://rubygems.org'\n", "package.json": "{}"})
    found = detect(tmp_path)
    assert list(found.stacks) == ["node"]
    assert found.warnings == ["Gemfile: Ruby is not one of devkit's stacks; not installed"]


def test_a_file_shape_nobody_foresaw_costs_one_stack_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devkit.detect import node

    def broken(ctx: object) -> None:
        raise AttributeError("'list' object has no attribute 'get'")

    monkeypatch.setattr(node, "detect", broken)
    write(tmp_path, {"package.json": "[]", "go.mod": "module x\n\ngo 1.26\n"})
    found = detect(tmp_path)
    assert list(found.stacks) == ["go"]
    assert found.warnings == [
        "the node stack could not be read (AttributeError: 'list' object has no attribute "
        "'get'); skipped"
    ]


def test_a_makefile_is_a_tool_to_install(tmp_path: Path) -> None:
    """A Makefile at the root (any of GNU make's three names) asks for Debian's make; one in a
    subfolder or none asks for nothing."""
    plain = write(tmp_path / "none", {"pyproject.toml": "[project]\nname='x'\n"})
    assert detected(plain).tools is None
    nested = write(tmp_path / "nested", {"docs/Makefile": "html:\n", "package.json": "{}"})
    assert detected(nested).tools is None
    for name in ("Makefile", "makefile", "GNUmakefile"):
        found = detected(write(tmp_path / name.lower(), {name: "test:\n", "package.json": "{}"}))
        assert found.tools is not None
        assert found.to_dict()["tools"] == {"value": ["make"], "from": name}
