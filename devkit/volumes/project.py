"""A project's declared volumes: read from its compose file (:mod:`devkit.compose`),
created with devkit's labels, and seeded from their newest backups."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit import compose, engine
from devkit.engine import docker_error
from devkit.errors import DevkitError
from devkit.labels import PURPOSE_LABEL
from devkit.volumes import archive, catalog, helper, oci
from devkit.volumes.restore import restore


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
    #: The registry reference the volume was seeded from (``--seed-from``).
    seeded_from: str | None = None


def create_project_volumes(
    client: Any,
    project_dir: Path,
    *,
    restore_latest: bool = False,
    seed_from: str | None = None,
) -> list[CreateResult]:
    """Create every volume the project's compose file declares (idempotent).

    With ``restore_latest`` a volume that is new or empty is seeded from its newest backup;
    with ``seed_from`` (a registry reference, see :func:`seed_from_registry`) an empty cache
    volume still empty after that is seeded from the team's backup. A failed seed is
    reported as a warning, not raised, so a dev container still comes up.
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
    if seed_from:
        seed_from_registry(client, specs, results, seed_from)
    return results


def _is_cache(spec: VolumeSpec) -> bool:
    # Package caches (pip-cache, npm-cache, …) and the build cache: what a team can share.
    # Shell history and editor extensions are a person's own.
    return spec.labels.get(PURPOSE_LABEL, "").endswith("-cache")


def seed_from_registry(
    client: Any, specs: list[VolumeSpec], results: list[CreateResult], ref: str
) -> None:
    """Seed the empty cache volume whose purpose matches the backup ``ref`` holds.

    Nothing is pulled when no cache volume is empty (the usual start). The backup is checked
    like a restore; the outcome is recorded on ``results`` (``seeded_from``, or a one-line
    ``warning`` when the registry or tag is unavailable or nothing matches).
    """
    by_name = {r.name: r for r in results}
    empty = [
        s
        for s in specs
        if _is_cache(s)
        and not by_name[s.name].restored_from
        and (
            by_name[s.name].created
            or (not helper.users(client, s.name) and helper.is_empty(client, s.name))
        )
    ]
    if not empty:
        return
    try:
        with oci.fetch(client, ref) as pulled:
            purpose = pulled.label.get("purpose")
            spec = next(
                (s for s in empty if s.labels.get(PURPOSE_LABEL) == purpose),
                None,
            )
            if spec is None:
                first = by_name[empty[0].name]
                first.warning = (
                    f"not seeded from {ref}: it holds a {purpose or 'unlabelled'} volume, "
                    f"and no empty volume of this project has that purpose"
                )
                return
            restore(client, pulled.path, target=spec.name)
            by_name[spec.name].seeded_from = pulled.ref
    except DevkitError as exc:
        by_name[
            empty[0].name
        ].warning = f"could not seed from {ref}: {exc}; continuing with empty caches"


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
