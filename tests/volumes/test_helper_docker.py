"""The helper image against the real engine: imported from an empty tar, never pulled."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import docker.errors
import pytest

from devkit import volumes as vol
from devkit.labels import MANAGED_LABEL
from devkit.volumes import helper

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


def test_helper_image_is_made_from_an_empty_tar(
    docker_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = f"devkit/volume-helper-test:{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(helper, "HELPER_IMAGE", ref)
    try:
        assert vol.ensure_helper_image(docker_client) == ref
        image = docker_client.images.get(ref)
        assert image.labels[MANAGED_LABEL] == "true"
        # Nothing pulled, nothing inside: the classic store counts 0 bytes, the containerd
        # store its manifest, config and empty layer (815 bytes with Docker 26.1).
        assert image.attrs["Size"] < 4096
        assert vol.ensure_helper_image(docker_client) == ref  # present: reused
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(ref, force=True)


def test_an_interrupt_after_the_engine_created_the_helper_leaves_no_container(
    docker_client: Any, vols: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C that lands between the engine's create and its answer: the container devkit
    cannot see yet is still removed (seen under load as a helper left behind by SIGTERM)."""
    name = vols.create()
    collection = type(docker_client.containers)  # a new collection object on every access
    real_create = collection.create

    def create_then_interrupt(self: Any, *args: Any, **kwargs: Any) -> Any:
        real_create(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(collection, "create", create_then_interrupt)
    with pytest.raises(KeyboardInterrupt), helper.container(docker_client, name):
        pytest.fail("the body must not run")
    assert vol.users(docker_client, name) == []
