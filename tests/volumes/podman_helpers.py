"""Podman, through its Docker-compatible API, for the tests marked ``podman``.

The contract with CI (``.ci/podman.sh`` starts the service and prints its address):

- ``DEVKIT_PODMAN_HOST`` — where Podman's API service listens, e.g.
  ``unix:///run/podman/podman.sock``. Unset: the Podman tests are skipped.
- ``DEVKIT_REQUIRE_PODMAN=1`` — Podman must be there: unset, unreachable, not Podman, or
  without the local ``busybox:latest`` image, each is a failure, not a skip. With
  ``DEVKIT_REQUIRE_DOCKER=1`` alone, a ``DEVKIT_PODMAN_HOST`` that is set but does not
  answer is a failure too (it was meant to be there).

Nothing is pulled: ``busybox:latest`` must be in Podman's store (``.ci/podman.sh`` copies
it from the Docker engine with ``docker save | podman load``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import TEST_LABEL_ARG

HOST_ENV = "DEVKIT_PODMAN_HOST"
REQUIRE_ENV = "DEVKIT_REQUIRE_PODMAN"
BUSYBOX = "busybox:latest"


@dataclass
class Podman:
    """A client for Podman's API service (connected as devkit connects) and its address."""

    client: Any
    host: str
    version: str

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a ``devkit`` subprocess aimed at this Podman."""
        return {**os.environ, "DOCKER_HOST": self.host, **extra}


def _missing(message: str, *, meant_to_be_there: bool) -> None:
    required = os.environ.get(REQUIRE_ENV) == "1"
    if required or (meant_to_be_there and os.environ.get("DEVKIT_REQUIRE_DOCKER") == "1"):
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def podman_engine() -> Iterator[Podman]:
    """Connect to ``$DEVKIT_PODMAN_HOST`` (skip or fail as the contract says), and remove
    what this test session left there at the end."""
    from devkit import engine
    from devkit.errors import DevkitError

    host = os.environ.get(HOST_ENV)
    if not host:
        _missing(f"{HOST_ENV} is not set (see .ci/podman.sh)", meant_to_be_there=False)
        raise AssertionError("unreachable")
    saved = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = host
    try:
        client = engine.connect(timeout=300)
    except DevkitError as exc:
        _missing(f"{HOST_ENV}={host}: {exc}", meant_to_be_there=True)
        raise
    finally:
        if saved is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = saved
    info = engine.identify(client)
    if info.kind != engine.PODMAN:
        pytest.fail(f"{HOST_ENV}={host} is {info.name}, not Podman")
    import docker.errors

    try:
        client.images.get(BUSYBOX)
    except docker.errors.ImageNotFound:
        _missing(
            f"{BUSYBOX} is not in Podman's store at {host} (.ci/podman.sh loads it; never pulled)",
            meant_to_be_there=True,
        )
    try:
        yield Podman(client, host, info.version)
    finally:
        for container in client.containers.list(all=True, filters={"label": TEST_LABEL_ARG}):
            with contextlib.suppress(docker.errors.APIError):
                container.remove(force=True, v=False)
        for volume in client.volumes.list(filters={"label": TEST_LABEL_ARG}):
            with contextlib.suppress(docker.errors.APIError):
                volume.remove(force=True)
        client.close()
