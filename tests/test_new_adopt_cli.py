"""`devkit new` in an existing repository (no Docker): detection as the defaults, no starter
manifests beside the repository's own, the plan for an existing dev container and --force's
backup. In-process through devkit.cli.main and as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from detect.detect_helpers import copy_fixture, write

from devkit import answers as ans
from devkit.cli import main


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: Any) -> None:
    from devkit.cli._common import UI

    monkeypatch.setattr(UI, "interactive", property(lambda self: False))


def recorded(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return data


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_subprocess_defaults_json_reports_what_was_detected_and_rendered(tmp_path: Path) -> None:
    target = copy_fixture("python-node-mix", tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "devkit", "new", str(target), "--defaults", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["detected"]["stacks"] == ["python", "node"]
    assert report["detected"]["python"]["manager"] == {"value": "uv", "from": "uv.lock"}
    assert report["detected_answers"]["stacks"] == {
        "value": ["python", "node"],
        "from": "pyproject.toml, package.json",
    }
    assert report["answers"]["stacks"] == ["python", "node"]
    assert report["answers"]["python_package_manager"] == "uv"
    assert report["answers"]["project_name"] == "python-node-mix"
    assert report["plan"] is None and report["backup"] is None
    # The detected manifests are the template's python_manifests / node_manifests: it renders
    # no starter manifest at all, and the repository's own files stay as they were.
    assert report["kept"] == [] and report["skipped"] == []
    assert report["answers"]["python_manifests"][0] == "pyproject.toml"
    assert "package.json" in report["answers"]["node_manifests"]
    assert not {"requirements.txt", "package.json", "pyproject.toml"} & set(report["files"])
    assert ".devcontainer/Dockerfile" in report["files"]
    answers = recorded(target)
    assert answers["stacks"] == ["python", "node"]
    assert answers["node_package_manager"] == "npm"


def test_detected_answers_are_shown_and_given_ones_win(tmp_path: Path, capsys: Any) -> None:
    target = copy_fixture("yarn-berry", tmp_path)
    (tmp_path / "team.yml").write_text("uid: 1500\n")
    argv = ["new", str(target), "--defaults", "--answers-file", str(tmp_path / "team.yml")]
    assert main([*argv, "--data", "node_package_manager=npm"]) == 0
    err = capsys.readouterr().err
    assert "node_package_manager = yarn" in err
    assert "from package.json:4 (packageManager)" in err
    answers = recorded(target)
    assert answers["stacks"] == ["node"]  # detected
    assert answers["node_package_manager"] == "npm"  # --data wins over detection
    assert answers["uid"] == 1500  # the answers file too
    assert answers["project_name"] == "yarn-berry"


def test_no_starter_manifest_beside_the_repositorys_own(tmp_path: Path, capsys: Any) -> None:
    target = copy_fixture("extras-flit", tmp_path)
    assert main(["new", str(target), "--defaults"]) == 0
    assert not (target / "requirements.txt").exists()
    capsys.readouterr()
    assert recorded(target)["python_manifests"] == ["pyproject.toml"]
    # A Node repository with a pyproject.toml that only configures tools still has Python
    # manifests of its own: no requirements.txt. A stack it does not use yet (go) gets its
    # starter, which the new stack's dependency stage needs.
    node = copy_fixture("npm-engines", tmp_path)
    (node / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    assert main(["new", str(node), "--defaults", "--data", "stacks=node,python,go", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["skipped"] == ["requirements.txt"]
    out = capsys.readouterr().out
    assert main(["new", str(node), "--defaults", "--force", "--data", "stacks=node,python,go"]) == 0
    out = capsys.readouterr().out
    assert "Not written: requirements.txt (starter manifests; the repository has its own)" in out
    assert "go.mod" in report["files"]
    assert not (node / "requirements.txt").exists()


def test_a_new_folder_still_gets_its_starter_manifests(tmp_path: Path, capsys: Any) -> None:
    assert main(["new", str(tmp_path / "fresh"), "--defaults", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "requirements.txt" in report["files"]
    assert report["skipped"] == [] and report["detected"] is None


def test_an_existing_dev_container_gets_a_plan_and_is_left_alone(
    tmp_path: Path, capsys: Any
) -> None:
    target = copy_fixture("existing-devcontainer", tmp_path)
    before = listing(tmp_path)
    assert main(["new", str(target), "--defaults"]) == 1
    err = capsys.readouterr().err
    assert "This repository already has a dev container" in err
    assert "image mcr.microsoft.com/devcontainers/python:3.12" in err
    assert "forwardPorts 8000 (.devcontainer/devcontainer.json:8): answer forward_ports" in err
    assert "onCreateCommand .devcontainer/on-create.sh" in err
    assert "already holds a dev container" in err and "--force" in err
    assert listing(tmp_path) == before


def test_force_moves_the_old_dev_container_to_a_backup(tmp_path: Path, capsys: Any) -> None:
    target = copy_fixture("existing-devcontainer", tmp_path)
    old = (target / ".devcontainer" / "devcontainer.json").read_text()
    assert main(["new", str(target), "--defaults", "--force", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    backup = target / report["backup"]
    assert report["backup"].startswith(".devcontainer.devkit-backup-")
    assert report["moved"] == [".devcontainer/"]
    assert (backup / ".devcontainer" / "devcontainer.json").read_text() == old
    assert (backup / ".devcontainer" / "on-create.sh").is_file()
    assert not (target / ".devcontainer" / "on-create.sh").exists()
    assert report["plan"]["carried_over"][0]["key"] == "forwardPorts"
    # Carried over as answers: the ports and the extensions.
    answers = recorded(target)
    assert answers["forward_ports"] == [8000]
    assert answers["extensions"] == ["ms-python.python", "charliermarsh.ruff"]
    rendered = json.loads((target / ".devcontainer" / "devcontainer.json").read_text())
    assert rendered["forwardPorts"] == [8000]
    assert (target / "scripts" / "start-services.sh").is_file()  # outside: left where it was
    assert (target / "requirements.txt").read_text() == "django>=4.2\n"


def test_a_root_devcontainer_json_counts_too(tmp_path: Path, capsys: Any) -> None:
    target = write(
        tmp_path / "size",
        {".devcontainer.json": '{"image": "x", "postCreateCommand": "./setup.sh"}', "setup.sh": ""},
    )
    assert main(["new", str(target), "--defaults"]) == 1
    assert "already holds a dev container (.devcontainer.json)" in capsys.readouterr().err
    assert main(["new", str(target), "--defaults", "--force"]) == 0
    out = capsys.readouterr().out
    backups = [p for p in target.iterdir() if p.name.startswith(".devcontainer.devkit-backup-")]
    assert len(backups) == 1
    assert (backups[0] / ".devcontainer.json").is_file()
    assert not (target / ".devcontainer.json").exists()
    assert f"The old files (.devcontainer.json) are in {backups[0].name}/" in out


def test_carried_over_scripts_are_copied_back(tmp_path: Path) -> None:
    from devkit.render import render
    from devkit.template import resolve_source

    target = copy_fixture("existing-devcontainer", tmp_path)
    answers = {**ans.defaults(), "project_name": "api"}
    result = render(
        answers,
        target,
        source=resolve_source(None, None),
        force=True,
        keep=[".devcontainer/on-create.sh", ".devcontainer/devcontainer.json"],
    )
    # The rendered devcontainer.json is devkit's; the script comes back from the backup.
    assert result.carried == [".devcontainer/on-create.sh"]
    assert (target / ".devcontainer" / "on-create.sh").read_text().startswith("#!/bin/sh")
    assert result.backup is not None
    assert (target / result.backup / ".devcontainer" / "on-create.sh").is_file()


def test_unparsable_manifests_are_one_warning_line_each(tmp_path: Path, capsys: Any) -> None:
    target = write(
        tmp_path / "broken",
        {"package.json": '{"name": "x",,}', "pyproject.toml": "[project\n", "requirements.txt": ""},
    )
    assert main(["new", str(target), "--defaults"]) == 0
    err = capsys.readouterr().err
    assert "devkit: warning: pyproject.toml: not valid TOML" in err
    assert "devkit: warning: package.json: not valid JSON (line 1, column 14" in err
    assert "Traceback" not in err
    assert recorded(target)["stacks"] == ["python", "node"]


def test_the_wizard_is_told_where_each_default_came_from(tmp_path: Path, monkeypatch: Any) -> None:
    from devkit.cli import wizard
    from devkit.cli._common import UI

    monkeypatch.setattr(UI, "interactive", property(lambda self: True))
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(wizard, "ask", lambda initial, **kw: calls.append({**kw, **initial}) or {})
    target = copy_fixture("pnpm-workspace", tmp_path)
    assert main(["new", str(target), "--data", "uid=1001"]) == 0
    assert calls[0]["node_package_manager"] == "pnpm"
    assert calls[0]["detected"]["node_package_manager"] == "package.json:4 (packageManager)"
    assert "uid" not in calls[0]["detected"]
