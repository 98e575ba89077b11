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
import json
import re
import tarfile
import uuid
from collections.abc import Iterator
from typing import Any

from devkit import engine
from devkit.engine import docker_error
from devkit.errors import DevkitError, one_line
from devkit.labels import HELPER_LABEL, MANAGED_LABEL, PURPOSE_LABEL, extra_labels
from devkit.volumes import archive, transport
from devkit.volumes.archive.tar import path_parts

#: The helper image devkit imports from an empty tar (never pulled).
HELPER_IMAGE = "devkit/volume-helper:1"
#: The purpose label of the helper image.
HELPER_PURPOSE = "volume-helper"
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
    """The helper image, imported from an empty tar (labelled as devkit's) if absent.

    The name goes in the import's ``repo`` parameter as ``devkit/volume-helper:1``, with no
    ``tag``: Podman's compatible import ignores ``tag`` (4.3 named the image
    ``devkit/volume-helper:latest``), while Docker and Podman both honour a tag inside ``repo``.
    An engine that still names it otherwise gets it tagged by the id the import returned; one
    that cannot even be made to is refused in one line.
    """
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
        answer = client.api.import_image_from_data(
            empty.getvalue(),
            repository=HELPER_IMAGE,
            # One label per LABEL: Podman 4.3 reads `LABEL a="x" b="y"` as one label a.
            changes=[f"LABEL {MANAGED_LABEL}=true", f"LABEL {PURPOSE_LABEL}={HELPER_PURPOSE}"],
        )
        if not _has_image(client, HELPER_IMAGE):
            image_id = _imported_id(answer)
            if image_id is None or not client.api.tag(image_id, repo, tag):
                raise DevkitError(
                    f"this engine did not name the imported helper image {HELPER_IMAGE} and "
                    f"devkit could not tag it (import answered {one_line(str(answer), 120)!r})"
                )
    except engine.DOCKER_ERRORS as exc:
        raise docker_error("making the helper image", exc) from exc
    if not _has_image(client, HELPER_IMAGE):
        raise DevkitError(f"this engine ignores the name of an imported image ({HELPER_IMAGE})")
    remove_stray_helper_images(client)
    return HELPER_IMAGE


def _has_image(client: Any, ref: str) -> bool:
    import docker.errors

    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def _imported_id(answer: Any) -> str | None:
    """The image id in an import's answer (JSON lines whose ``status`` is ``sha256:…``)."""
    for line in str(answer).splitlines():
        try:
            status = json.loads(line).get("status", "")
        except (ValueError, AttributeError):
            continue
        if isinstance(status, str) and re.fullmatch(r"(sha256:)?[0-9a-f]{12,64}", status):
            return status
    return None


def remove_stray_helper_images(client: Any) -> list[str]:
    """Remove the helper images an earlier devkit left on an engine that ignored the import's
    tag (Podman 4.3: ``devkit/volume-helper:latest``, then untagged copies of it, one per
    command). Only devkit's helper images (by label) whose only name is that ``:latest`` one,
    or none, are touched; returns their ids."""
    import docker.errors

    removed: list[str] = []
    try:
        images = client.api.images(all=True, filters={"label": MANAGED_LABEL})
    except engine.DOCKER_ERRORS:
        return removed
    for image in images:
        labels = image.get("Labels") or {}
        # Podman 4.3 read the old `LABEL managed="true" purpose="volume-helper"` as one label.
        old_podman = f'{PURPOSE_LABEL}="{HELPER_PURPOSE}' in labels.get(MANAGED_LABEL, "")
        if labels.get(PURPOSE_LABEL) != HELPER_PURPOSE and not old_podman:
            continue
        tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
        # (Docker names it "devkit/volume-helper:latest", Podman "docker.io/devkit/…")
        stray = "devkit/volume-helper:latest"
        if all(t == stray or t.endswith("/" + stray) for t in tags):
            try:
                client.api.remove_image(image["Id"], force=False, noprune=False)
            except (docker.errors.APIError, *engine.DOCKER_ERRORS):
                continue  # in use, or removed by another devkit meanwhile
            removed.append(image["Id"])
    return removed


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
        if not read_only and _on_podman(client):
            _first_use_now(client, created.id, volume)
        yield created
    finally:
        with contextlib.suppress(*engine.DOCKER_ERRORS):
            created.remove(force=True, v=False)


def _on_podman(client: Any) -> bool:
    """True when ``client`` talks to Podman (asked once per client)."""
    kind = getattr(client, "_devkit_engine_kind", None)
    if kind is None:
        kind = engine.identify(client).kind
        with contextlib.suppress(AttributeError):
            client._devkit_engine_kind = kind
    return bool(kind == engine.PODMAN)


def _first_use_now(client: Any, container_id: str, volume: str) -> None:
    """Have Podman do now what it does to a volume the first time a container using it
    initialises: give the volume's root folder that container's owner (and copy the image's
    files up into it). Done later, it would undo the owner devkit writes to the root: a
    restored volume would come back right, and lose its root's owner when first used.

    Podman's own ``init`` endpoint does it (and then fails, as the helper has nothing to
    run: expected). The volume's ``NeedsChown`` flag then says whether it was done; if not,
    nothing is written.

    Podman 4.3 is done after one ``init``. Podman 5.4 chowns the root to the helper's 0:0
    but keeps ``NeedsChown`` set (the next container to start on the volume while it is
    still empty gets its root again) unless the mount point also exists in the container's
    own file system, which the empty helper image lacks. The first ``init`` leaves that
    mount point there (measured), so a second ``init`` of the same container settles it.
    """
    for _ in range(2):
        with contextlib.suppress(*engine.DOCKER_ERRORS):
            transport.podman_init(client.api, container_id)
        try:
            state = transport.podman_volume(client.api, volume)
        except engine.DOCKER_ERRORS as exc:
            raise docker_error(f"asking Podman about volume {volume}", exc) from exc
        if not state.get("NeedsChown"):
            return
    raise DevkitError(
        f"Podman would still change volume {volume} when a container first uses it "
        "(it gives the volume's root folder that container's owner); nothing was written"
    )


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
    marker raises, so a hiccup of the engine never lets a restore overwrite data. The root
    is told apart by its name, not by coming first: Podman's archive has no root entry, so
    a volume holding one file answers with one member.
    """
    seen: list[str] = []
    walker = archive.TarWalker(
        lambda member: seen.append(member.name) if path_parts(member.name) else None
    )
    with (
        container(client, name, read_only=True) as helper,
        contextlib.closing(transport.stream(client, name, helper)) as stream,
    ):
        for chunk in stream:
            walker.feed(chunk)
            if seen or walker.ended:
                break
    if seen:
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
