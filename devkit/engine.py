"""Connecting to the Docker engine, with errors a user can act on.

Every module that talks to Docker through the SDK gets its client here, so the
"engine not reachable" message is the same everywhere; and every module that catches the
SDK's errors catches :data:`DOCKER_ERRORS` and turns them into one line with
:func:`docker_error` (or :func:`describe`).

Which engine answers (Docker, or Podman through its Docker-compatible API) is
:func:`identify`; :func:`connect` refuses engines older than the floor devkit is tested on
(:data:`API_FLOOR`, :data:`PODMAN_FLOOR`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
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

#: Where docker-py connects when neither DOCKER_HOST nor a context says otherwise.
DEFAULT_HOST = "unix:///var/run/docker.sock"
#: The oldest Engine API devkit works with: what docker-py negotiates with Docker Engine 20.10
#: and with Podman 4 (docker-py takes the engine's own API version). Docker 20.10 and Podman
#: 4.3 are the oldest engines CI runs devkit against.
API_FLOOR = (1, 41)
#: The oldest Podman devkit supports (Debian 12's). Every Podman 4 and 5 reports API 1.41, so
#: the API version cannot tell them apart: the Podman version is checked too.
PODMAN_FLOOR = (4, 3)
DOCKER = "docker"
PODMAN = "podman"


@dataclass(frozen=True)
class EngineInfo:
    """Which engine answers: ``kind`` (:data:`DOCKER` or :data:`PODMAN`), its version, the
    Engine API version the client speaks to it, and where it is (the client's base URL)."""

    kind: str
    version: str
    api_version: str
    host: str = DEFAULT_HOST

    @property
    def name(self) -> str:
        """``Docker 26.1.5`` or ``Podman 4.3.1``, for messages."""
        return f"{'Podman' if self.kind == PODMAN else 'Docker'} {self.version}"

    def to_dict(self) -> dict[str, str]:
        """The ``--json`` form: every field."""
        return {
            "kind": self.kind,
            "version": self.version,
            "api_version": self.api_version,
            "host": self.host,
        }


def _version_tuple(text: str) -> tuple[int, ...]:
    """``"4.3.1"`` -> ``(4, 3, 1)``; ``"5.4.0-rc1"`` -> ``(5, 4, 0)``; unparsable parts end it."""
    parts: list[int] = []
    for piece in text.split("."):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group()))
    return tuple(parts)


def identify(client: Any) -> EngineInfo:
    """Which engine ``client`` talks to, from ``GET /version``.

    Podman's Docker-compatible API lists a component named ``Podman Engine`` (with Podman's
    version; its top-level ``Version`` is Podman's too); Docker's does not.
    """
    try:
        answer: dict[str, Any] = client.version()
    except __getattr__("DOCKER_ERRORS") as exc:  # the global is made on first use
        raise docker_error("asking the engine for its version", exc) from exc
    host = str(getattr(client, "devkit_host", None) or DEFAULT_HOST)
    api = str(answer.get("ApiVersion") or getattr(client.api, "api_version", "") or "")
    for component in answer.get("Components") or []:
        if str(component.get("Name", "")).lower().startswith("podman"):
            return EngineInfo(PODMAN, str(component.get("Version") or "?"), api, host)
    return EngineInfo(DOCKER, str(answer.get("Version") or "?"), api, host)


def _floor_text() -> str:
    api = ".".join(map(str, API_FLOOR))
    podman = ".".join(map(str, PODMAN_FLOOR))
    return f"devkit needs Engine API {api} or newer: Docker Engine 20.10+ or Podman {podman}+"


def check_floor(info: EngineInfo, where: str) -> None:
    """Raise :class:`DevkitError` for an engine older than devkit supports."""
    api = _version_tuple(info.api_version)
    if api and api < API_FLOOR:
        raise DevkitError(
            f"the engine at {where} ({info.name}) speaks Engine API {info.api_version}; "
            + _floor_text()
        )
    if info.kind == PODMAN and _version_tuple(info.version) < PODMAN_FLOOR:
        raise DevkitError(f"the engine at {where} is {info.name}; {_floor_text()}")


def _podman_socket(host: str | None) -> str | None:
    """The socket path when ``host`` is a unix socket that looks like Podman's API socket."""
    if not host or not host.startswith("unix://"):
        return None
    path = host[len("unix://") :]
    return path if "podman" in path.lower() else None


def _unreachable(host: str | None, where: str, reason: str) -> DevkitError:
    """The error for an engine that does not answer, with how to start one."""
    socket = _podman_socket(host)
    if socket is None:
        return DevkitError(f"cannot reach the Docker engine at {where}: {reason}", hint=START_HINT)
    return DevkitError(
        f"cannot reach Podman's API service at {where}: {reason}",
        hint=(
            f"start it with `podman system service --time=0 unix://{socket} &`, "
            "or `systemctl --user start podman.socket` for a rootless Podman"
        ),
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
    except docker.errors.InvalidVersion as exc:  # older than docker-py's own floor (API 1.24)
        raise DevkitError(
            f"the engine at {where} speaks an Engine API older than 1.24 (docker-py's own "
            f"floor); {_floor_text()}"
        ) from exc
    except (docker.errors.DockerException, OSError) as exc:
        raise _unreachable(host, where, _reason(exc)) from exc
    # Where the engine is, for messages and for the capability cache of devkit.volumes.probe.
    client.devkit_host = host or DEFAULT_HOST
    try:
        check_floor(identify(client), where)
    except BaseException:
        client.close()
        raise
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


# The containerd image store mounts an image's snapshot (overlayfs) to create a container or to
# run a build step; the kernel refuses with EINVAL when the snapshots sit on overlayfs themselves,
# the usual case being dockerd inside a container. The engine says only "failed to mount
# /tmp/containerd-mount…: invalid argument" (newer ones add the whole mount data after it).
_SNAPSHOT_MOUNT = re.compile(
    r"failed to mount (\S*?containerd-mount\d+)\b.*?\binvalid argument", re.S
)
SNAPSHOT_MOUNT_HINT = (
    "the engine's containerd image store cannot mount its image snapshots; usually its data "
    "root is on overlayfs, as when dockerd runs inside a container: give it one on ext4, xfs "
    "or a tmpfs"
)


def describe(exc: BaseException) -> str:
    """A Docker SDK error in one line: the engine's own explanation when it sent one, else the
    first line of the message (docker-py appends the nested exception chain on further lines),
    cut to 300 characters. A containerd snapshot mount the kernel refused gets what to do."""
    explanation = getattr(exc, "explanation", None)
    mount = _SNAPSHOT_MOUNT.search(str(explanation or exc))
    if mount:
        return f"failed to mount {mount.group(1)}: invalid argument ({SNAPSHOT_MOUNT_HINT})"
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
