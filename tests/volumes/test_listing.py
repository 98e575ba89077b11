"""list_volumes without an engine: what the engine's label filter answers is narrowed as
Docker narrows it."""

from __future__ import annotations

from typing import Any

from devkit.labels import MANAGED_LABEL, PROJECT_LABEL, PURPOSE_LABEL
from devkit.volumes.listing import list_volumes


class OrFilteringApi:
    """An engine API that, as Podman 4.3 does, answers volumes matching ANY of the label
    filters (Docker: all of them)."""

    def __init__(self, volumes: list[dict[str, Any]]) -> None:
        self._volumes = volumes
        self.filters: Any = None

    def volumes(self, filters: Any = None) -> dict[str, Any]:
        self.filters = filters
        wanted = (filters or {}).get("label", [])

        def any_match(labels: dict[str, str]) -> bool:
            return not wanted or any(
                k in labels and (not v or labels[k] == v)
                for k, _, v in (w.partition("=") for w in wanted)
            )

        return {"Volumes": [v for v in self._volumes if any_match(v["Labels"])]}

    def containers(self, all: bool = False) -> list[dict[str, Any]]:
        return []


class Client:
    def __init__(self, api: OrFilteringApi) -> None:
        self.api = api


def volume(name: str, **labels: str) -> dict[str, Any]:
    return {"Name": name, "Driver": "local", "Labels": labels, "CreatedAt": "2026-11-30"}


def test_every_label_filter_must_match_as_on_docker() -> None:
    api = OrFilteringApi(
        [
            volume("mine", **{MANAGED_LABEL: "true", PROJECT_LABEL: "p", PURPOSE_LABEL: "cache"}),
            volume("other-project", **{MANAGED_LABEL: "true", PROJECT_LABEL: "q"}),
            volume("same-project-other-purpose", **{MANAGED_LABEL: "true", PROJECT_LABEL: "p"}),
            volume("stranger", **{PROJECT_LABEL: "p"}),
            volume("unlabelled"),
        ]
    )
    client = Client(api)
    found = list_volumes(client, project="p", purpose="cache", sizes=False)
    assert [v.name for v in found] == ["mine"]
    assert api.filters == {"label": [MANAGED_LABEL, f"{PROJECT_LABEL}=p", f"{PURPOSE_LABEL}=cache"]}
    assert [v.name for v in list_volumes(client, project="p", sizes=False)] == [
        "mine",
        "same-project-other-purpose",
    ]
    everything = list_volumes(client, include_all=True, sizes=False)
    assert len(everything) == 5
