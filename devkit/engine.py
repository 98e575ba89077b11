"""Connecting to the Docker engine, with errors a user can act on.

Every module that talks to Docker through the SDK gets its client here, so the
"engine not reachable" message is the same everywhere.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from devkit.errors import DevkitError

if TYPE_CHECKING:
    import docker

#: Label put on everything devkit creates in the engine (volumes, containers, images).
LABEL_PREFIX = "dev.devkit"
MANAGED_LABEL = f"{LABEL_PREFIX}.managed"
PROJECT_LABEL = f"{LABEL_PREFIX}.project"
PURPOSE_LABEL = f"{LABEL_PREFIX}.purpose"

START_HINT = (
    "start Docker (Docker Desktop, or `sudo dockerd &` on Linux), "
    "or point DOCKER_HOST / `docker context use` at a running engine"
)


def _base_url_from_context() -> str | None:
    """The endpoint of the current `docker context`, when it is not the default one.

    docker-py's ``from_env`` reads DOCKER_HOST but not contexts; users who switched with
    ``docker context use remote`` expect devkit to follow.
    """
    if os.environ.get("DOCKER_HOST"):
        return None
    try:
        from docker.context import ContextAPI

        ctx = ContextAPI.get_current_context()
    except Exception:  # a broken ~/.docker/config.json must not stop the default path
        return None
    if ctx is None or ctx.name == "default":
        return None
    host: str | None = ctx.Host
    return host


def connect(timeout: int = 120) -> docker.DockerClient:
    """A client for the configured engine, already checked with a ping.

    Raises :class:`DevkitError` with a hint on how to start an engine when none answers.
    """
    import docker
    import docker.errors

    base_url = _base_url_from_context()
    where = base_url or os.environ.get("DOCKER_HOST") or "the local socket"
    try:
        if base_url:
            client = docker.DockerClient(base_url=base_url, timeout=timeout)
        else:
            client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        raise DevkitError(
            f"cannot reach the Docker engine at {where}: {_short(exc)}", hint=START_HINT
        ) from exc
    except OSError as exc:
        raise DevkitError(
            f"cannot reach the Docker engine at {where}: {exc}", hint=START_HINT
        ) from exc
    return client


def _short(exc: BaseException) -> str:
    """The first line of a docker-py error, without the nested exception chain."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def docker_error(action: str, exc: BaseException) -> DevkitError:
    """Translate a ``docker.errors.DockerException`` raised while doing ``action``."""
    explanation = getattr(exc, "explanation", None)
    return DevkitError(f"{action} failed: {explanation or _short(exc)}")
