"""Which engines `devkit bench` can measure: Docker engines whose builds run on BuildKit."""

from __future__ import annotations

from devkit import engine
from devkit.errors import DevkitError


def check_engine() -> None:
    """Before any probe build: the engine answers (else one line saying how to start one)
    and is one whose builds bench can measure (:func:`require_buildkit_engine`)."""
    client = engine.connect()
    try:
        require_buildkit_engine(engine.identify(client))
    finally:
        client.close()


def require_buildkit_engine(info: engine.EngineInfo) -> None:
    """Raise :class:`DevkitError` when the engine behind the docker client is not one whose
    builds bench can measure: Podman builds with buildah, not BuildKit, so there are no cache
    mounts to isolate and no BuildKit progress to read steps and cache hits from (a BuildKit
    container buildx might start on it would measure that container, not Podman's builds)."""
    if info.kind == engine.PODMAN:
        raise DevkitError(
            f"the engine at {info.host} is {info.name}, which builds with buildah, not "
            "BuildKit: devkit bench measures BuildKit builds (cache mounts, BuildKit's step "
            "progress) and cannot measure Podman's; point DOCKER_HOST at a Docker engine"
        )
