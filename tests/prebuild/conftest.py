"""Fixtures for the prebuild tests that need an engine and a registry.

The registry is Debian's docker-registry on 127.0.0.1:5000 (plain HTTP), which CI starts with
``bash .ci/registry.sh``; ``DEVKIT_TEST_REGISTRY`` names another one. Each test pushes to a
repository of its own under ``devkit-test/<session>/`` and removes the images it tagged in
the engine.
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import TEST_LABEL_ARG, TEST_SESSION, _require_docker

from devkit.labels import EXTRA_LABELS_ENV
from prebuild.prebuild_helpers import remove_images

REGISTRY_ENV = "DEVKIT_TEST_REGISTRY"


@pytest.fixture(scope="session")
def registry_addr() -> str:
    """``HOST:PORT`` of the plain-HTTP test registry (skip, or fail under
    DEVKIT_REQUIRE_DOCKER=1, when none answers)."""
    addr = os.environ.get(REGISTRY_ENV, "127.0.0.1:5000")
    try:
        with urllib.request.urlopen(f"http://{addr}/v2/", timeout=5) as answer:
            answer.read()
    except OSError as exc:
        msg = f"no registry answers on {addr} ({exc}); start one with `bash .ci/registry.sh`"
        if _require_docker():
            pytest.fail(msg)
        pytest.skip(msg)
    return addr


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
