"""`devkit volumes copy` and the --migrate-volumes policy against the real engine."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from conftest import TEST_LABELS

from devkit import volumes as vol
from devkit.cli import main
from devkit.errors import DevkitError
from devkit.labels import MANAGED_LABEL, PROJECT_LABEL, PURPOSE_LABEL
from devkit.volumes import helper

from .docker_helpers import EXTRA, Volumes, tree, unique

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


def test_copy_volume(
    docker_client: Any,
    busybox_image: str,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
) -> None:
    target = vols.name()
    purpose = {PURPOSE_LABEL: "uv-cache"}
    result = vol.copy_volume(docker_client, small_source, target, labels=purpose)
    assert (result.source, result.target, result.created) == (small_source, target, True)
    assert result.tar_bytes > 0
    assert tree(docker_client, busybox_image, target) == small_tree
    labels = docker_client.volumes.get(target).attrs["Labels"]
    assert labels[PURPOSE_LABEL] == "uv-cache" and labels[PROJECT_LABEL] == "dkt"
    # A volume Compose created: its com.docker.compose.* labels do not travel to the copy.
    composed = vols.create(
        labels={"com.docker.compose.project": "svc", "com.docker.compose.volume": "pip-cache"}
    )
    copy_of = vols.name()
    assert vol.copy_volume(docker_client, composed, copy_of).created
    copied = docker_client.volumes.get(copy_of).attrs["Labels"]
    assert not [k for k in copied if k.startswith("com.docker.compose.")], copied
    assert copied[MANAGED_LABEL] == "true"
    with pytest.raises(DevkitError, match="not empty"):
        vol.copy_volume(docker_client, small_source, target)
    # a running container on the source is refused, a stopped one is fine
    runner = docker_client.containers.run(
        busybox_image,
        ["sleep", "120"],
        detach=True,
        name=unique("dkt-runner"),
        volumes={small_source: {"bind": "/v", "mode": "ro"}},
        labels=TEST_LABELS,
    )
    try:
        with pytest.raises(DevkitError, match=runner.name):
            vol.copy_volume(docker_client, small_source, vols.name())
        runner.stop(timeout=0)
        again = vols.name()
        assert vol.copy_volume(docker_client, small_source, again).created
        assert tree(docker_client, busybox_image, again) == small_tree
    finally:
        runner.remove(force=True)


def test_migrate_outcomes(
    docker_client: Any,
    busybox_image: str,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The `devkit update --migrate-volumes` policy: outcomes, never an error, for a missing
    old volume and a new one that holds data; the new volume's emptiness is looked at once."""
    looked: list[str] = []
    real_is_empty = vol.is_empty

    def counting_is_empty(client: Any, name: str) -> bool:
        looked.append(name)
        return real_is_empty(client, name)

    monkeypatch.setattr(helper, "is_empty", counting_is_empty)
    labels = {PURPOSE_LABEL: "uv-cache"}
    assert vol.migrate(docker_client, vols.name(), vols.name(), labels) == vol.NOTHING_TO_MIGRATE
    new = vols.name()
    assert vol.migrate(docker_client, small_source, new, labels) == vol.MIGRATED
    assert tree(docker_client, busybox_image, new) == small_tree
    assert docker_client.volumes.get(new).attrs["Labels"][PURPOSE_LABEL] == "uv-cache"
    looked.clear()
    again = vol.migrate(docker_client, small_source, new, labels)
    assert again == f"not copied: {new} already holds data" and looked == [new]
    empty = vols.create()
    looked.clear()
    assert vol.migrate(docker_client, small_source, empty, labels) == vol.MIGRATED
    assert looked == [empty]  # one helper container to check it, not two
    assert tree(docker_client, busybox_image, empty) == small_tree
    assert vol.users(docker_client, small_source) == []  # the old volume is left as it was


def test_copy_cli(
    docker_client: Any,
    busybox_image: str,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`devkit volumes copy` in-process (--json) and as a user runs it (quiet on success)."""
    target = vols.name()
    assert main(["volumes", "copy", small_source, target, "--purpose", "uv-cache", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["source"], result["target"], result["created"]) == (small_source, target, True)
    assert result["tar_bytes"] > 0
    assert tree(docker_client, busybox_image, target) == small_tree
    labels = docker_client.volumes.get(target).attrs["Labels"]
    assert labels[PURPOSE_LABEL] == "uv-cache" and labels[PROJECT_LABEL] == "dkt"

    # Into an existing empty volume: no labels may be asked for; without them it copies.
    empty = vols.create()
    assert main(["volumes", "copy", small_source, empty, "--purpose", "x"]) == 1
    assert "labels cannot change" in capsys.readouterr().err
    env = {**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA}
    proc = subprocess.run(
        ["devkit", "volumes", "copy", small_source, empty],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert tree(docker_client, busybox_image, empty) == small_tree

    # A non-empty target, an unknown source, the same name twice: one line each.
    for argv, code, message in (
        ([small_source, target], 1, "not empty"),
        ([unique("dkt-missing"), vols.name()], 1, "no such volume"),
        ([small_source, small_source], 2, "SOURCE and TARGET are the same volume"),
    ):
        proc = subprocess.run(
            ["devkit", "volumes", "copy", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert proc.returncode == code, proc.stderr
        assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert tree(docker_client, busybox_image, small_source) == small_tree  # never changed
