"""Named volumes through the Docker SDK: create, list, back up, restore, copy and remove.

Data moves over the Engine API's archive endpoints (``get_archive``/``put_archive``) through
a *helper container* that is created but never started, from a tiny image devkit imports
from an empty tar when it is absent. No image is pulled and no docker CLI is needed, so it
works offline, against a remote engine (``DOCKER_HOST=tcp://…``/``ssh://…``) and with contexts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from devkit import archive, compose, engine
from devkit.archive import ProgressFn
from devkit.engine import docker_error
from devkit.errors import DevkitError
from devkit.volumes import catalog, helper, transport
from devkit.volumes.backup import BackupResult, backup
from devkit.volumes.catalog import (
    backups_dir,
    default_backup_path,
    find_backups,
    latest_backup,
    prune_backups,
)
from devkit.volumes.helper import (
    HELPER_IMAGE,
    check_name,
    create_volume,
    ensure_helper_image,
    get_volume,
    is_empty,
    refuse_in_use,
    remove_volume,
    users,
    volume_exists,
)
from devkit.volumes.listing import VolumeInfo, list_volumes
from devkit.volumes.restore import RestoreResult, restore
from devkit.volumes.transport import MOUNT, REBASE, STREAM_CHUNK

__all__ = [
    "HELPER_IMAGE",
    "MIGRATED",
    "MOUNT",
    "NOTHING_TO_MIGRATE",
    "REBASE",
    "STREAM_CHUNK",
    "BackupResult",
    "CopyResult",
    "CreateResult",
    "RestoreResult",
    "VolumeInfo",
    "VolumeSpec",
    "backup",
    "backups_dir",
    "check_name",
    "compose_file",
    "copy_volume",
    "create_project_volumes",
    "create_volume",
    "default_backup_path",
    "ensure_helper_image",
    "find_backups",
    "get_volume",
    "is_empty",
    "latest_backup",
    "list_volumes",
    "migrate",
    "project_volumes",
    "prune_backups",
    "refuse_in_use",
    "remove_volume",
    "restore",
    "seed_from_latest",
    "users",
    "volume_exists",
]

# --------------------------------------------------------------------------- projects


@dataclass
class VolumeSpec:
    """One top-level volume of a project's compose file."""

    key: str
    name: str
    labels: dict[str, str]
    driver: str = "local"


def compose_file(project_dir: Path) -> Path:
    """The project's compose file (see :mod:`devkit.compose` for the names and their order)."""
    path = compose.find(project_dir)
    if path is None:
        raise DevkitError(
            f"no .devcontainer/compose.yaml in {project_dir} (render one with `devkit new`)"
        )
    return path


def project_volumes(project_dir: Path) -> list[VolumeSpec]:
    """The named volumes a project's compose file declares (explicit ``name:`` required)."""
    path = compose_file(project_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DevkitError(f"cannot read {path}: {str(exc).splitlines()[0]}") from exc
    data = compose.parse(text, str(path))
    compose_project = data.get("name")
    specs = []
    for volume in compose.named_volumes(data, str(path)):
        if not volume.name:
            raise DevkitError(
                f"{path}: volume {volume.key!r} has no explicit 'name:'; devkit only manages "
                "volumes with an explicit name"
            )
        labels = dict(volume.labels)
        if compose_project:
            # The labels Compose itself puts on volumes it creates, so that `compose up`
            # accepts the volume devkit made first without a warning.
            labels.setdefault("com.docker.compose.project", str(compose_project))
            labels.setdefault("com.docker.compose.volume", volume.key)
        specs.append(VolumeSpec(volume.key, helper.check_name(volume.name), labels, volume.driver))
    return specs


@dataclass
class CreateResult:
    name: str
    created: bool
    restored_from: Path | None = None
    warning: str | None = None


def create_project_volumes(
    client: Any, project_dir: Path, *, restore_latest: bool = False
) -> list[CreateResult]:
    """Create every volume the project's compose file declares (idempotent).

    With ``restore_latest`` a volume that is new or empty is seeded from its newest backup;
    a failed seed is reported as a warning, not raised, so a dev container still comes up.
    """
    specs = project_volumes(project_dir)
    try:
        existing = {v["Name"] for v in (client.api.volumes().get("Volumes") or [])}
    except engine.DOCKER_ERRORS as exc:
        raise docker_error("listing volumes", exc) from exc
    results = []
    backups: list[archive.BackupFile] | None = None
    for spec in specs:
        created = False
        if spec.name not in existing:
            helper.create(client, spec.name, spec.driver, spec.labels)
            created = True
        result = CreateResult(spec.name, created)
        if restore_latest:
            if backups is None:  # scan the backups folder once, and only when needed
                backups = catalog.find_backups()
            try:
                result.restored_from = seed_from_latest(client, spec.name, created, backups)
            except DevkitError as exc:
                result.warning = f"could not seed {spec.name}: {exc}"
        results.append(result)
    return results


def seed_from_latest(
    client: Any, name: str, created: bool, backups: list[archive.BackupFile] | None = None
) -> Path | None:
    """Restore the newest ordinary backup of ``name`` into it when the volume is new, or
    empty and used by no container; returns the backup used, None when nothing was done.

    Backups that hold nothing (only the root folder) are skipped without looking at the
    volume, so that the usual case on every start (volumes exist, backups of empty
    volumes) stays a few API calls. ``backups`` is a :func:`catalog.find_backups` result to reuse.
    """
    latest = catalog.newest(catalog.find_backups() if backups is None else backups, name)
    if latest is None or latest.manifest["entry_count"] <= 1:
        return None
    # A volume that a (dev) container already uses is not "new": leave it alone, quietly,
    # as this runs on every start.
    if not created and (helper.users(client, name) or not helper.is_empty(client, name)):
        return None
    restore(client, latest.path, target=name)
    return latest.path


# --------------------------------------------------------------------------- copy / remove


@dataclass
class CopyResult:
    """A volume copied: from where, to where, whether ``target`` was created, and the size of
    the tar stream that carried the data."""

    source: str
    target: str
    created: bool
    tar_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: every field."""
        return asdict(self)


def copy_volume(
    client: Any,
    source: str,
    target: str,
    *,
    labels: dict[str, str] | None = None,
    progress: ProgressFn | None = None,
) -> CopyResult:
    """Copy the data of volume ``source`` into volume ``target``.

    ``target`` is created when missing — with ``source``'s driver and labels (except Docker
    Compose's ``com.docker.compose.*``), updated with ``labels`` (e.g. a new
    purpose label) — or must exist and be empty. Ownership,
    modes, symlinks, hard links and mtimes are kept (the tar stream goes straight from one
    helper container to the other, nothing touches the local disk). ``source`` may be used
    by stopped containers but not by a running one; ``target`` by no container at all.
    Returns what was done (:class:`CopyResult`).
    Raises :class:`DevkitError` (unknown source, target not empty, volume in use, engine errors).
    """
    src = helper.get_volume(client, source)
    helper.check_name(target)
    _refuse_running(client, source)
    exists = helper.volume_exists(client, target)
    if exists:
        helper.refuse_in_use(client, target, "copy into")
        if not helper.is_empty(client, target):
            raise DevkitError(f"cannot copy into volume {target}: it is not empty")
    sent = _transfer(
        client, source, src, target, create=not exists, labels=labels, progress=progress
    )
    return CopyResult(source, target, not exists, sent)


#: What :func:`migrate` reports when it copied, and when there was nothing to copy.
MIGRATED = "copied (old volume kept)"
NOTHING_TO_MIGRATE = "nothing to copy: no such volume here"


def migrate(client: Any, old: str, new: str, labels: dict[str, str]) -> str:
    """Move a renamed volume's data from ``old`` into ``new`` (``devkit update
    --migrate-volumes``); returns the outcome in a few words for the user.

    ``old`` is never changed or removed. Two cases are outcomes, not errors: ``old`` does not
    exist on this engine (the project never ran here: :data:`NOTHING_TO_MIGRATE`), and ``new``
    already holds data (its container already ran: ``"not copied: <new> already holds
    data"``). Otherwise the data is copied as by :func:`copy_volume`, ``new`` being created
    with ``labels`` (:data:`MIGRATED`); a volume in use or an engine error raises
    :class:`DevkitError`.
    """
    src = helper.inspect_volume(client, old)
    if src is None:
        return NOTHING_TO_MIGRATE
    helper.check_name(new)
    exists = helper.volume_exists(client, new)
    # Looked at once: the emptiness of ``new`` decides the outcome and guards the copy.
    if exists and not helper.is_empty(client, new):
        return f"not copied: {new} already holds data"
    _refuse_running(client, old)
    if exists:
        helper.refuse_in_use(client, new, "copy into")
    _transfer(client, old, src, new, create=not exists, labels=labels)
    return MIGRATED


def _refuse_running(client: Any, source: str) -> None:
    # Reading a volume that only stopped containers use is safe; a running one may change
    # under the copy.
    running = helper.users(client, source, running_only=True)
    if running:
        raise DevkitError(
            f"cannot copy volume {source}: running container(s) {', '.join(running)} use it; "
            "stop them first"
        )


def _transfer(
    client: Any,
    source: str,
    src: dict[str, Any],
    target: str,
    *,
    create: bool,
    labels: dict[str, str] | None,
    progress: ProgressFn | None = None,
) -> int:
    """Stream ``source``'s files into ``target`` (checked by the caller), creating ``target``
    first when ``create`` — and removing it again if the copy does not complete. Returns the
    bytes of tar stream sent."""
    if create:
        # Compose's own labels say which compose project/key created the source; the copy was
        # not created by Compose, and carrying them over makes Compose misattribute it.
        inherited = {
            k: v
            for k, v in (src.get("Labels") or {}).items()
            if not k.startswith("com.docker.compose.")
        }
        helper.create(client, target, src.get("Driver") or "local", {**inherited, **(labels or {})})
    sent = 0
    try:
        with (
            helper.container(client, source, read_only=True) as reader,
            helper.container(client, target) as writer,
            contextlib.closing(transport.stream(client, source, reader)) as stream,
        ):

            def chunks() -> Iterator[bytes]:
                nonlocal sent
                for chunk in stream:
                    sent += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
                    yield chunk

            transport.put(client, writer, archive.rebase(chunks(), transport.REBASE), target)
    except BaseException:
        if create:
            with contextlib.suppress(*engine.DOCKER_ERRORS):
                client.api.remove_volume(target)
        raise
    return sent
