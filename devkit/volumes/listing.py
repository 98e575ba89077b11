"""Volumes as ``devkit volumes list`` shows them: project, purpose, size and users."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from devkit import engine
from devkit.engine import docker_error
from devkit.labels import MANAGED_LABEL, PROJECT_LABEL, PURPOSE_LABEL
from devkit.volumes import helper, transport


@dataclass
class VolumeInfo:
    """One volume as ``devkit volumes list`` shows it."""

    name: str
    project: str | None
    purpose: str | None
    driver: str
    size: int | None
    containers: list[str]
    created: str | None
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: every field (``size`` in raw bytes, None when not measured)."""
        return asdict(self)


def _df_volumes(client: Any) -> list[dict[str, Any]]:
    """Sizes of all volumes from one ``/system/df`` call (see :func:`_system_df_volumes`)."""
    data = transport.system_df_volumes(client.api)
    if data is None:
        data = client.api.df()
    return list(data.get("Volumes") or [])


def list_volumes(
    client: Any,
    *,
    project: str | None = None,
    purpose: str | None = None,
    include_all: bool = False,
    sizes: bool = True,
) -> list[VolumeInfo]:
    """Volumes with project, purpose, size and users, from three API calls in all.

    Sizes come from one ``df`` call for all volumes (the engine measures them); the users
    from one container listing. Only devkit's volumes unless ``include_all``.
    """
    filters: dict[str, Any] = {}
    if not include_all or project or purpose:
        wanted = [] if include_all else [MANAGED_LABEL]
        if project:
            wanted.append(f"{PROJECT_LABEL}={project}")
        if purpose:
            wanted.append(f"{PURPOSE_LABEL}={purpose}")
        filters["label"] = wanted
    try:
        volumes = client.api.volumes(filters=filters or None).get("Volumes") or []
        containers = client.api.containers(all=True)
        usage = {}
        if sizes and volumes:
            for v in _df_volumes(client):
                data = v.get("UsageData") or {}
                size = data.get("Size", -1)
                usage[v["Name"]] = size if isinstance(size, int) and size >= 0 else None
    except engine.DOCKER_ERRORS as exc:
        raise docker_error("listing volumes", exc) from exc
    used_by: dict[str, list[str]] = {}
    for c in containers:
        for mount in c.get("Mounts") or []:
            if mount.get("Type") == "volume" and mount.get("Name"):
                used_by.setdefault(mount["Name"], []).append(helper.container_name(c))
    out = []
    for v in volumes:
        labels = v.get("Labels") or {}
        out.append(
            VolumeInfo(
                name=v["Name"],
                project=labels.get(PROJECT_LABEL),
                purpose=labels.get(PURPOSE_LABEL),
                driver=v.get("Driver", "local"),
                size=usage.get(v["Name"]) if sizes else None,
                containers=sorted(used_by.get(v["Name"], [])),
                created=v.get("CreatedAt"),
                labels=dict(labels),
            )
        )
    return sorted(out, key=lambda i: (i.project or "", i.name))
