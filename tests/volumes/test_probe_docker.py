"""The capability probe against the real engine (Docker here; Podman in test_podman.py)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TEST_LABEL_ARG

from devkit.labels import HELPER_LABEL
from devkit.volumes import probe

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


def test_docker_reads_and_writes_volumes_exactly(docker_client: Any) -> None:
    probe.forget()
    caps = probe.capabilities(docker_client, reprobe=True)
    assert caps.engine.kind == "docker"
    # Docker keeps symlinks above the volume only when the upload is at the root.
    assert caps.put == "root", caps.notes
    assert caps.read_api and caps.hardlinked_symlinks and caps.root_owner, caps.notes
    assert caps.read_mount, caps.notes  # the engine runs on this machine
    assert caps.notes == {}
    assert 0 < caps.seconds < 30
    mine = [f"{HELPER_LABEL}=probe", TEST_LABEL_ARG]  # (other sessions may be probing too)
    assert docker_client.volumes.list(filters={"label": mine}) == []
    assert probe.capabilities(docker_client) == caps  # remembered
