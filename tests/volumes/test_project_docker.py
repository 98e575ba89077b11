"""A project's volumes against the real engine: created with their labels, seeded from
their newest backups, quietly and idempotently."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devkit import volumes as vol
from devkit.cli import main
from devkit.labels import MANAGED_LABEL, PROJECT_LABEL, PURPOSE_LABEL

from .docker_helpers import EXTRA, Volumes, unique

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


def test_create_project_is_idempotent_and_quiet(
    docker_client: Any, small_source: str, vols: Volumes, tmp_path: Path
) -> None:
    project = unique("dkproj")
    names = [f"{project}-pip-cache", f"{project}-shell-history"]
    vols.names.extend(names)
    (tmp_path / ".devcontainer").mkdir()
    compose = "volumes:\n" + "".join(
        f"  {purpose}:\n    name: {project}-{purpose}\n    labels:\n"
        f"      dev.devkit.project: {project}\n      dev.devkit.purpose: {purpose}\n"
        f'      dev.devkit.managed: "true"\n'
        for purpose in ("pip-cache", "shell-history")
    )
    (tmp_path / ".devcontainer" / "compose.yaml").write_text(
        "services:\n  dev:\n    image: x\n" + compose, encoding="utf-8"
    )
    # seed material: a backup of small_source recorded under the pip-cache volume's name
    src_backup = vol.backup(docker_client, small_source, output=tmp_path / "s.tar.zst")
    assert src_backup.path is not None
    vol.restore(docker_client, src_backup.path, target=names[0])
    vol.backup(docker_client, names[0])
    docker_client.volumes.get(names[0]).remove()

    env = {**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA}
    cmd = [
        sys.executable,
        "-m",
        "devkit",
        "volumes",
        "create",
        "--project",
        ".",
        "--restore-latest",
    ]
    first = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "" and first.stderr == ""
    for purpose, name in zip(("pip-cache", "shell-history"), names, strict=True):
        labels = docker_client.volumes.get(name).attrs["Labels"]
        assert labels[PROJECT_LABEL] == project and labels[PURPOSE_LABEL] == purpose
        assert labels[MANAGED_LABEL] == "true"
    assert not vol.is_empty(docker_client, names[0])  # seeded from its newest backup
    assert vol.is_empty(docker_client, names[1])  # no backup: stays empty
    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    # A backup of an empty volume is never restored (nothing to seed, and it would cost a
    # check and a write on every start); a non-empty volume is left alone.
    vol.backup(docker_client, names[1])
    assert vol.seed_from_latest(docker_client, names[1], created=False) is None
    assert vol.seed_from_latest(docker_client, names[0], created=False) is None
    # By name, too: a new volume is seeded from its newest backup.
    docker_client.volumes.get(names[0]).remove()
    assert main(["volumes", "create", names[0], "--restore-latest"]) == 0
    assert not vol.is_empty(docker_client, names[0])
