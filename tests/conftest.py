"""Shared fixtures.

Docker tests are marked ``@pytest.mark.docker`` and get the engine through the
``docker_client`` fixture: without an engine they are skipped, unless
``DEVKIT_REQUIRE_DOCKER=1`` (set by ``.ci/run``), where a missing engine is a failure.

Everything a test creates in the engine carries the label ``dev.devkit.test=<session>`` (see
``TEST_LABELS``); a session-end sweep removes whatever a failed test of this session left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devkit.labels import TEST_LABEL

REPO_ROOT = Path(__file__).resolve().parent.parent
ORACLES = REPO_ROOT.parent / "shared" / "oracles"
#: One value per test session, so the end-of-session sweep removes this session's leftovers
#: and never the objects of another session running on the same engine.
TEST_SESSION = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
TEST_LABELS = {TEST_LABEL: TEST_SESSION}
TEST_LABEL_ARG = f"{TEST_LABEL}={TEST_SESSION}"  # for `docker build --label`, filters
BASE_IMAGE = "debian:bookworm-slim"
#: The template's default base image (Debian 13), made the same way.
TRIXIE_IMAGE = "debian:trixie-slim"
BUSYBOX_IMAGE = "busybox:latest"


def pytest_configure(config: pytest.Config) -> None:
    """Let the Ctrl-C tests' children receive SIGINT even when pytest was started in the
    background (``cmd &`` in a script, ``nohup``): the shell then starts it with SIGINT ignored,
    every child inherits that, and Python leaves an inherited SIG_IGN alone, so a test's SIGINT
    would do nothing and the command under test would finish and exit 0. A handler of ours
    resets to the default in each child at exec."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _require_docker() -> bool:
    return os.environ.get("DEVKIT_REQUIRE_DOCKER") == "1"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: Any) -> None:
    """Keep backups and template copies out of the real user's data folder."""
    monkeypatch.setenv("DEVKIT_DATA_DIR", str(tmp_path_factory.getbasetemp() / "devkit-data"))
    # Run from a git hook or `git rebase -x`, the environment names the developer's own
    # repository; a test's git commands (and devkit's, in subprocesses) must never reach it.
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A docker-py client for the local engine (skip, or fail under DEVKIT_REQUIRE_DOCKER=1)."""
    import docker

    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except Exception as exc:
        if _require_docker():
            pytest.fail(f"DEVKIT_REQUIRE_DOCKER=1 but no Docker engine answers: {exc}")
        pytest.skip(f"no Docker engine: {exc}")
    yield client
    _sweep(client)
    client.close()


def _sweep(client: Any) -> None:
    """Remove every container and volume a test labelled and did not clean up."""
    import docker.errors

    # Tolerant: another process may be removing the same leftovers (409, 404).
    for container in client.containers.list(all=True, filters={"label": TEST_LABEL_ARG}):
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True, v=False)
    for volume in client.volumes.list(filters={"label": TEST_LABEL_ARG}):
        with contextlib.suppress(docker.errors.APIError):
            volume.remove(force=True)


def _need_image(client: Any, ref: str) -> None:
    import docker.errors

    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        msg = f"image {ref} is missing; make it with `bash .ci/base-images.sh` (never pulled)"
        if _require_docker():
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def base_image(docker_client: Any) -> str:
    """The locally made ``debian:bookworm-slim`` (debootstrap + docker import)."""
    _need_image(docker_client, BASE_IMAGE)
    return BASE_IMAGE


@pytest.fixture(scope="session")
def trixie_image(docker_client: Any) -> str:
    """The locally made ``debian:trixie-slim``, the template's default base image."""
    _need_image(docker_client, TRIXIE_IMAGE)
    return TRIXIE_IMAGE


@pytest.fixture(scope="session")
def busybox_image(docker_client: Any) -> str:
    """The locally made ``busybox:latest`` (Debian's busybox-static + docker import)."""
    _need_image(docker_client, BUSYBOX_IMAGE)
    return BUSYBOX_IMAGE


@pytest.fixture(scope="session")
def oracles() -> Path:
    """The official Dev Container and Compose schemas in ../shared/oracles/."""
    if not (ORACLES / "devContainer.base.schema.json").is_file():
        pytest.fail(f"the official schemas are missing from {ORACLES}")
    return ORACLES


@pytest.fixture(scope="session")
def buildkit_docker() -> str:
    """Path of a docker CLI that can build with BuildKit: ``$DEVKIT_DOCKER``, else Debian's."""
    for candidate in (os.environ.get("DEVKIT_DOCKER"), "/usr/bin/docker", shutil.which("docker")):
        if candidate and Path(candidate).exists():
            return candidate
    if _require_docker():
        pytest.fail("no docker CLI found")
    pytest.skip("no docker CLI found")


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
