"""`devkit detect` (no Docker): in-process through devkit.cli.main and as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from detect.detect_helpers import fixture

from devkit.cli import main


def test_text_report_names_each_answer_and_its_file(capsys: Any) -> None:
    assert main(["detect", str(fixture("uv-workspace"))]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # messages go to stderr, stdout is for --json
    err = captured.err
    assert "python_package_manager = uv" in err
    assert "from uv.lock" in err
    assert "version 3.12: pinned, from .python-version:1" in err
    assert "workspace members: 2 (packages/cli, packages/core)" in err
    assert "watcher (no wheel for Linux" in err


def test_the_plan_for_an_existing_dev_container_is_shown(capsys: Any) -> None:
    assert main(["detect", str(fixture("existing-devcontainer"))]) == 0
    err = capsys.readouterr().err
    assert "This repository already has a dev container" in err
    assert "forwardPorts 8000 (.devcontainer/devcontainer.json:8): answer forward_ports" in err
    assert "Nothing changes without --force" in err


def test_conflicts_and_warnings_are_one_line_each(capsys: Any) -> None:
    assert main(["detect", str(fixture("conflicting-pins"))]) == 0
    err = capsys.readouterr().err
    assert "devkit: warning: conflict: .python-version:1 pins python 3.8, which" in err
    assert "devkit: warning: conflict: lock files of several managers" in err


def test_json(capsys: Any) -> None:
    assert main(["detect", str(fixture("python-node-mix")), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"detected", "answers", "not_used", "plan"}
    assert report["detected"]["stacks"] == ["python", "node"]
    assert report["answers"]["python_package_manager"] == {"value": "uv", "from": "uv.lock"}
    assert report["plan"] is None


def test_not_a_folder_is_one_line(tmp_path: Path, capsys: Any) -> None:
    assert main(["detect", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a folder" in err


def test_subprocess_json_and_bad_input_never_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "x",,}')
    (tmp_path / "pyproject.toml").write_text("[project\n")
    proc = subprocess.run(
        [sys.executable, "-m", "devkit", "detect", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["detected"]["stacks"] == ["node"]
    assert [w.split(":")[0] for w in report["detected"]["warnings"]] == [
        "pyproject.toml",
        "package.json",
    ]
