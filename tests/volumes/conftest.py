"""Fixtures of the real-engine tests of `devkit volumes` (see docker_helpers.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest
from conftest import TEST_LABELS

from devkit.labels import MANAGED_LABEL, PROJECT_LABEL, PURPOSE_LABEL

from .docker_helpers import EXTRA, POPULATE, Volumes, run_script, tree, unique


@pytest.fixture
def label_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """devkit labels what it creates with this session's test label too."""
    monkeypatch.setenv("DEVKIT_EXTRA_LABELS", EXTRA)


@pytest.fixture
def vols(docker_client: Any) -> Iterator[Volumes]:
    v = Volumes(docker_client)
    yield v
    v.cleanup()


@pytest.fixture(scope="package")
def small_source(docker_client: Any, busybox_image: str) -> Iterator[str]:
    """A volume with every kind of entry the issue lists (no big files)."""
    name = unique("dkt-src")
    docker_client.volumes.create(
        name,
        labels={
            **TEST_LABELS,
            MANAGED_LABEL: "true",
            PROJECT_LABEL: "dkt",
            PURPOSE_LABEL: "pip-cache",
        },
    )
    try:
        run_script(docker_client, busybox_image, name, POPULATE, {"BIG_MB": "0"})
        yield name
    finally:
        # (another test session's end-of-session sweep may have removed it already)
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.volumes.get(name).remove(force=True)


@pytest.fixture(scope="package")
def small_tree(docker_client: Any, busybox_image: str, small_source: str) -> list[tuple[str, ...]]:
    return tree(docker_client, busybox_image, small_source)
