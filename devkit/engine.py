"""Connecting to the Docker engine, with errors a user can act on.

Every module that talks to Docker through the SDK gets its client here, so the
"engine not reachable" message is the same everywhere; and every module that catches the
SDK's errors catches :data:`DOCKER_ERRORS` and turns them into one line with
:func:`docker_error` (or :func:`describe`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from devkit.errors import DevkitError, one_line

if TYPE_CHECKING:
    import docker

    #: What the Docker SDK raises: its own errors and those of requests beneath it (timeouts,
    #: dropped connections). Read it as ``engine.DOCKER_ERRORS`` where it is caught: it is
    #: made on first use (see :func:`__getattr__`).
    DOCKER_ERRORS: tuple[type[BaseException], ...]


def __getattr__(name: str) -> Any:
    """``DOCKER_ERRORS``, made when first read: importing docker-py takes about a quarter of a
    second, which commands that never reach the engine (``--help``, doctor) should not pay."""
    if name == "DOCKER_ERRORS":
        import docker.errors
        import requests

        errors = (docker.errors.DockerException, requests.exceptions.RequestException)
        globals()[name] = errors
        return errors
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


START_HINT = (
    "start Docker (Docker Desktop, or `sudo dockerd &` on Linux), "
    "or point DOCKER_HOST / `docker context use` at a running engine"
)


def _context_endpoint() -> tuple[str, str, object] | None:
    """(name, host, TLS config) of the Docker context in effect, unless it is the default.

    docker-py's ``from_env`` reads DOCKER_HOST but not contexts; users who switched with
    ``docker context use remote`` (or set DOCKER_CONTEXT) expect devkit to follow. Same
    precedence as the docker CLI: DOCKER_HOST, then DOCKER_CONTEXT, then the current
    context in ~/.docker/config.json.
    """
    if os.environ.get("DOCKER_HOST"):
        return None
    wanted = os.environ.get("DOCKER_CONTEXT") or None
    try:
        from docker.context import ContextAPI

        ctx = ContextAPI.get_context(wanted)  # None: the current context of config.json
    except Exception as exc:  # a broken ~/.docker must not stop the default path
        if wanted:
            raise DevkitError(f"cannot read docker context {wanted!r}: {describe(exc)}") from exc
        return None
    if ctx is None:
        if wanted:
            raise DevkitError(f"no such docker context: {wanted} (see `docker context ls`)")
        return None
    if ctx.name == "default" or not ctx.Host:
        return None
    return str(ctx.name), str(ctx.Host), ctx.TLSConfig


def connect(timeout: int = 120) -> docker.DockerClient:
    """A client for the configured engine, already checked with a ping.

    Raises :class:`DevkitError` with a hint on how to start an engine when none answers.
    """
    import docker
    import docker.errors

    context = _context_endpoint()
    host = context[1] if context else os.environ.get("DOCKER_HOST")
    where = f"{host} (docker context {context[0]})" if context else host or "the local socket"
    try:
        if context:
            client = docker.DockerClient(base_url=context[1], tls=context[2], timeout=timeout)
        else:
            client = docker.from_env(timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:
        raise DevkitError(
            f"cannot reach the Docker engine at {where}: {_reason(exc)}", hint=START_HINT
        ) from exc
    return client


def _reason(exc: BaseException) -> str:
    """The root cause of a connection failure (e.g. "Connection refused"), not the whole
    chain of requests/urllib3 wrappers docker-py puts around it."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    root: OSError | None = None
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.strerror:
            root = cause
        cause = cause.__cause__ or cause.__context__
    return root.strerror if root is not None and root.strerror else describe(exc)


def describe(exc: BaseException) -> str:
    """A Docker SDK error in one line: the engine's own explanation when it sent one, else the
    first line of the message (docker-py appends the nested exception chain on further lines),
    cut to 300 characters."""
    explanation = getattr(exc, "explanation", None)
    if explanation:
        return one_line(explanation, 300)
    lines = str(exc).strip().splitlines()
    return one_line(lines[0], 300) if lines else type(exc).__name__


def docker_error(action: str, exc: BaseException) -> DevkitError:
    """The :class:`DevkitError` for one of :data:`DOCKER_ERRORS` raised while doing ``action``:
    ``"<action> failed: <what the engine said>"``."""
    return DevkitError(f"{action} failed: {describe(exc)}")


def inspect_image(client: Any, ref: str) -> dict[str, Any] | None:
    """The engine's description of image ``ref`` (``docker image inspect``), None if absent."""
    import docker.errors
    import requests

    try:
        attrs: dict[str, Any] = client.api.inspect_image(ref)
    except docker.errors.ImageNotFound:
        return None
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise docker_error(f"inspecting image {ref}", exc) from exc
    return attrs
