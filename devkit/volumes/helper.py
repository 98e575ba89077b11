"""Engine access for volumes: names, the helper image and container, inspect, users,
emptiness, and create/recreate/remove.

The *helper container* is created but never started, from a tiny image devkit imports from
an empty tar when it is absent (:data:`HELPER_IMAGE`): no image is pulled and no docker CLI
is needed. It only exists so that the archive endpoints (:mod:`devkit.volumes.transport`)
can reach the volume it mounts.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile
import uuid
from collections.abc import Iterator
from typing import Any

from devkit import engine
from devkit.engine import docker_error
from devkit.errors import DevkitError
from devkit.labels import HELPER_LABEL, MANAGED_LABEL, PURPOSE_LABEL, extra_labels
from devkit.volumes import archive, transport

#: The helper image devkit imports from an empty tar (never pulled).
HELPER_IMAGE = "devkit/volume-helper:1"
#: What Docker accepts as a volume name.
NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


def check_name(name: str) -> str:
    """Raise unless ``name`` is a valid Docker volume name."""
    if not NAME_RE.match(name):
        raise DevkitError(
            f"invalid volume name {name!r}: use letters, digits, '_', '.', '-' "
            "(starting with a letter or digit)"
        )
    return name


def ensure_helper_image(client: Any) -> str:
    """The helper image, imported from an empty tar (labelled as devkit's) if absent."""
    import docker.errors

    try:
        client.images.get(HELPER_IMAGE)
        return HELPER_IMAGE
    except docker.errors.ImageNotFound:
        pass
    except engine.DOCKER_ERRORS as exc:
        raise docker_error("looking up the helper image", exc) from exc
    empty = io.BytesIO()
    with tarfile.open(fileobj=empty, mode="w"):
        pass
    repo, tag = HELPER_IMAGE.rsplit(":", 1)
    try:
        client.api.import_image_from_data(
            empty.getvalue(),
            repository=repo,
            tag=tag,
            changes=[f'LABEL {MANAGED_LABEL}="true" {PURPOSE_LABEL}="volume-helper"'],
        )
    except engine.DOCKER_ERRORS as exc:
        raise docker_error("making the helper image", exc) from exc
    return HELPER_IMAGE


@contextlib.contextmanager
def container(client: Any, volume: str, *, read_only: bool = False) -> Iterator[Any]:
    """A created-but-never-started helper container with ``volume`` mounted at ``/volume``."""
    image = ensure_helper_image(client)
    name = f"devkit-helper-{uuid.uuid4().hex[:12]}"
    try:
        created = client.containers.create(
            image,
            command=["/devkit-never-runs"],
            name=name,
            volumes={volume: {"bind": transport.MOUNT, "mode": "ro" if read_only else "rw"}},
            labels={MANAGED_LABEL: "true", HELPER_LABEL: "1", **extra_labels()},
            network_disabled=True,
        )
    except BaseException as exc:
        # Ctrl-C (or SIGTERM) can land after the engine made the container and before its
        # answer reached us: remove it by the name we gave it, or it would outlive devkit.
        with contextlib.suppress(*engine.DOCKER_ERRORS):
            client.api.remove_container(name, force=True, v=False)
        if isinstance(exc, engine.DOCKER_ERRORS):
            raise docker_error(f"creating a helper container for volume {volume}", exc) from exc
        raise
    try:
        yield created
    finally:
        with contextlib.suppress(*engine.DOCKER_ERRORS):
            created.remove(force=True, v=False)


def inspect_volume(client: Any, name: str) -> dict[str, Any] | None:
    """The engine's description of a volume (``docker volume inspect``), None if absent."""
    import docker.errors

    check_name(name)
    try:
        attrs: dict[str, Any] = client.api.inspect_volume(name)
        return attrs
    except docker.errors.NotFound:
        return None
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"inspecting volume {name}", exc) from exc


def get_volume(client: Any, name: str) -> dict[str, Any]:
    """The engine's description of a volume (``docker volume inspect``)."""
    attrs = inspect_volume(client, name)
    if attrs is None:
        raise DevkitError(f"no such volume: {name}")
    return attrs


def volume_exists(client: Any, name: str) -> bool:
    """True when the engine has a volume called ``name``."""
    return inspect_volume(client, name) is not None


def container_name(summary: dict[str, Any]) -> str:
    """A container's name from a container-list entry (its short id if it has none)."""
    names = summary.get("Names")
    return str(names[0]).lstrip("/") if names else str(summary["Id"][:12])


def users(client: Any, name: str, *, running_only: bool = False) -> list[str]:
    """Names of the containers (running or stopped, or only running) that mount the volume.

    With ``running_only``, each container the list calls running is inspected: the engine
    updates its container list only after ``stop`` has returned (Docker 26 still listed a
    stopped container as running in 19 of 30 tries, for about 30 ms), so ``docker stop C &&
    devkit volumes copy …`` would be refused for a container that is already stopped.
    Inspect reads the container's own state, which is current.
    """
    try:
        found = client.api.containers(all=not running_only, filters={"volume": name})
        if running_only:
            found = [c for c in found if _running(client, c["Id"])]
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"listing the containers that use {name}", exc) from exc
    return sorted(container_name(c) for c in found)


def _running(client: Any, container_id: str) -> bool:
    """Whether the container runs now, by its own state (False once it is gone)."""
    import docker.errors

    try:
        state = client.api.inspect_container(container_id).get("State") or {}
    except docker.errors.NotFound:
        return False
    return bool(state.get("Running"))


def refuse_in_use(client: Any, name: str, action: str) -> None:
    """Raise naming the containers that use ``name``."""
    in_use = users(client, name)
    if in_use:
        raise DevkitError(
            f"cannot {action} volume {name}: it is used by container(s) {', '.join(in_use)}; "
            "remove them first (stopped containers count too)"
        )


def is_empty(client: Any, name: str) -> bool:
    """True when the volume holds nothing but its root directory (reads one or two headers).

    Only a complete answer counts as "empty": a stream that stops before the tar's end
    marker raises, so a hiccup of the engine never lets a restore overwrite data.
    """
    seen: list[str] = []
    walker = archive.TarWalker(lambda member: seen.append(member.name))
    with (
        container(client, name, read_only=True) as helper,
        contextlib.closing(transport.stream(client, name, helper)) as stream,
    ):
        for chunk in stream:
            walker.feed(chunk)
            if len(seen) > 1 or walker.ended:
                break
    if len(seen) > 1:
        return False
    if not walker.ended:
        raise DevkitError(f"reading volume {name} failed: the engine's archive ended early")
    return True


def create(client: Any, name: str, driver: str, labels: dict[str, str]) -> None:
    """Create volume ``name`` with devkit's managed label, ``labels`` and the extra labels."""
    all_labels = {MANAGED_LABEL: "true", **labels, **extra_labels()}
    try:
        client.api.create_volume(name=name, driver=driver, labels=all_labels)
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"creating volume {name}", exc) from exc


def create_volume(
    client: Any, name: str, *, labels: dict[str, str] | None = None, driver: str = "local"
) -> bool:
    """Create a volume with devkit's labels; returns False when it already existed."""
    if volume_exists(client, name):
        return False
    create(client, name, driver, labels or {})
    return True


def recreate(client: Any, attrs: dict[str, Any]) -> None:
    """Remove and recreate a volume empty, with the same driver, options and labels."""
    name = attrs["Name"]
    try:
        client.api.remove_volume(name)
        client.api.create_volume(
            name=name,
            driver=attrs.get("Driver") or "local",
            driver_opts=attrs.get("Options") or None,
            labels=attrs.get("Labels") or None,
        )
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"emptying volume {name}", exc) from exc


def remove_volume(client: Any, name: str) -> None:
    """Remove a volume that no container uses."""
    import docker.errors

    get_volume(client, name)
    refuse_in_use(client, name, "remove")
    try:
        client.api.remove_volume(name)
    except docker.errors.NotFound:
        pass
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"removing volume {name}", exc) from exc
