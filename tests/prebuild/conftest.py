"""Fixtures for the prebuild tests that need an engine and a registry.

The registry (``registry_addr``, from tests/conftest.py) is Debian's docker-registry on
127.0.0.1:5000 (plain HTTP), which CI starts with ``bash .ci/registry.sh``;
``DEVKIT_TEST_REGISTRY`` names another one. Each test pushes to a repository of its own
under ``devkit-test/<session>/`` and removes the images it tagged in the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import TEST_LABEL_ARG, TEST_SESSION

from devkit.labels import EXTRA_LABELS_ENV
from prebuild.prebuild_helpers import remove_images


@pytest.fixture
def repo(registry_addr: str, request: pytest.FixtureRequest, docker_client: Any) -> Iterator[str]:
    """A repository of this test's own; the engine's images of it are removed afterwards."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60]
    repository = f"{registry_addr}/devkit-test/{TEST_SESSION}/{name}"
    yield repository
    remove_images(docker_client, repository)


@pytest.fixture
def labelled(monkeypatch: pytest.MonkeyPatch) -> None:
    """What devkit builds carries this session's test label."""
    monkeypatch.setenv(EXTRA_LABELS_ENV, TEST_LABEL_ARG)
