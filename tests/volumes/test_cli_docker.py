"""`devkit volumes` as a user runs it against the real engine: one-line errors, rm, prune."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devkit import volumes as vol
from devkit.cli import main

from .docker_helpers import EXTRA, Volumes, unique

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


def test_errors_are_one_line(vols: Volumes, tmp_path: Path, docker_client: Any) -> None:
    env = {**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA}

    def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "devkit", "volumes", *args],
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    missing = run("backup", unique("dkt-missing"), "-o", str(tmp_path / "m.tar.zst"))
    assert missing.returncode == 1 and "no such volume" in missing.stderr
    assert not list(tmp_path.iterdir())
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    wrong = run("verify", str(text))
    assert wrong.returncode == 1 and "not a devkit backup" in wrong.stderr
    down = run("list", DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert down.returncode == 1 and "cannot reach the Docker engine" in down.stderr
    for proc in (missing, wrong, down):
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_rm_and_prune(docker_client: Any, small_source: str, vols: Volumes, tmp_path: Path) -> None:
    doomed = vols.create()
    assert main(["volumes", "rm", doomed]) == 1  # not a terminal: no prompt, nothing removed
    assert vol.volume_exists(docker_client, doomed)
    assert main(["volumes", "rm", doomed, unique("dkt-missing"), "--yes"]) == 1
    assert vol.volume_exists(docker_client, doomed)  # all checked before any is removed
    assert main(["volumes", "rm", doomed, "--yes"]) == 0
    assert not vol.volume_exists(docker_client, doomed)
    backups = tmp_path / "backups"
    backups.mkdir()
    for _ in range(3):
        vol.backup(docker_client, small_source, output=backups)
    stranger = backups / f"{small_source}--20000101T000000Z.tar.zst"
    stranger.write_bytes(b"not a backup")
    assert main(["volumes", "prune-backups", "--keep", "1", "--dir", str(backups)]) == 0
    left = sorted(p.name for p in backups.iterdir())
    assert stranger.name in left and len(left) == 2
