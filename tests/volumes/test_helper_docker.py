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
        assert image.attrs["Size"] == 0  # nothing pulled, nothing inside
        assert vol.ensure_helper_image(docker_client) == ref  # present: reused
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(ref, force=True)
