"""Which image a project's dev container runs, and how it is built.

A rendered project builds its dev image through ``.devcontainer/compose.yaml``: the service
``devcontainer.json`` names (``dev`` in devkit's template), with its ``build:`` section's
context, dockerfile, target, args and platforms. A project without a compose file is built from
a plain Dockerfile (``Dockerfile`` or ``.devcontainer/Dockerfile``, the project as context and
the final stage as target), as ``docker build .`` would.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit import compose
from devkit.errors import DevkitError

#: The service devkit's template runs (the rendered project's contract).
DEFAULT_SERVICE = "dev"
#: Plain Dockerfiles looked for when a project has no compose file, in that order.
DOCKERFILES = ("Dockerfile", ".devcontainer/Dockerfile")


@dataclass(frozen=True)
class BuildTarget:
    """Everything the build command line says about the dev image.

    ``args`` are the build arguments given (compose ``build.args`` and ``--build-arg``);
    ``platforms`` are compose's ``build.platforms`` (empty: not said there); ``image`` is the
    compose ``image:`` name the dev container runs, if any; ``source`` says where this came
    from, for messages (``.devcontainer/compose.yaml service dev``).
    """

    project: Path
    context: Path
    dockerfile: Path
    target: str | None
    args: dict[str, str] = field(default_factory=dict)
    platforms: tuple[str, ...] = ()
    image: str | None = None
    source: str = ""

    def rel(self, path: Path) -> str:
        """``path`` relative to the project folder when inside it (for messages and JSON)."""
        try:
            return path.resolve().relative_to(self.project.resolve()).as_posix() or "."
        except ValueError:
            return str(path)

    def to_dict(self) -> dict[str, Any]:
        """The target as JSON-ready data (paths relative to the project)."""
        return {
            "source": self.source,
            "context": self.rel(self.context),
            "dockerfile": self.rel(self.dockerfile),
            "target": self.target,
            "build_args": sorted(self.args),
            "platforms": list(self.platforms),
            "image": self.image,
        }


def find(
    project: Path,
    *,
    service: str | None = None,
    dockerfile: Path | None = None,
    target: str | None = None,
    build_args: dict[str, str] | None = None,
) -> BuildTarget:
    """The dev image of the project in ``project``.

    ``dockerfile`` (relative to the project) skips the compose file: the project folder is the
    context. Otherwise the compose file's ``service`` (default: the one ``devcontainer.json``
    names, else ``dev``, else the only service with a ``build:``) is used. ``target`` and
    ``build_args`` override what the compose file says. Raises :class:`DevkitError` when there
    is nothing to build.
    """
    project = project.resolve()
    if not project.is_dir():
        raise DevkitError(f"{project}: no such folder")
    extra = dict(build_args or {})
    if dockerfile is not None:
        path = dockerfile if dockerfile.is_absolute() else project / dockerfile
        if not path.is_file():
            raise DevkitError(f"{path}: no such Dockerfile")
        return BuildTarget(project, project, path, target, extra, source=str(dockerfile))
    compose_file = compose.find(project)
    if compose_file is not None:
        found = _from_compose(project, compose_file, service)
        return BuildTarget(
            project=found.project,
            context=found.context,
            dockerfile=found.dockerfile,
            target=target or found.target,
            args={**found.args, **extra},
            platforms=found.platforms,
            image=found.image,
            source=found.source,
        )
    if service:
        raise DevkitError(f"{project}: no compose file, so no service {service!r} to build")
    for rel in DOCKERFILES:
        if (project / rel).is_file():
            return BuildTarget(project, project, project / rel, target, extra, source=rel)
    raise DevkitError(
        f"{project}: nothing to prebuild (no {', '.join(compose.PATHS[:1] + DOCKERFILES)})",
        hint="render one with `devkit new`, or name a Dockerfile with --file",
    )


def _from_compose(project: Path, path: Path, service: str | None) -> BuildTarget:
    where = path.relative_to(project).as_posix()
    doc = compose.parse(_read(path), where)
    services = doc.get("services") or {}
    if not isinstance(services, dict):
        raise DevkitError(f"{where}: 'services' must be a mapping")
    name = service or _devcontainer_service(path.parent) or _default_service(services, where)
    entry = services.get(name)
    if not isinstance(entry, dict):
        known = ", ".join(sorted(map(str, services))) or "none"
        raise DevkitError(f"{where}: no service {name!r} (services: {known})")
    build = entry.get("build")
    if build is None:
        raise DevkitError(f"{where}: service {name!r} has no 'build:' (it runs a ready-made image)")
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict):
        raise DevkitError(f"{where}: service {name!r}: 'build' must be a path or a mapping")
    context = (path.parent / _interpolate(str(build.get("context") or "."))).resolve()
    if not context.is_dir():
        raise DevkitError(f"{where}: service {name!r}: build context {context} is not a folder")
    dockerfile = context / _interpolate(str(build.get("dockerfile") or "Dockerfile"))
    if not dockerfile.is_file():
        raise DevkitError(f"{where}: service {name!r}: no Dockerfile at {dockerfile}")
    if build.get("dockerfile_inline") is not None:
        raise DevkitError(f"{where}: service {name!r}: dockerfile_inline is not supported")
    target = build.get("target")
    platforms = build.get("platforms") or []
    if not isinstance(platforms, list):
        raise DevkitError(f"{where}: service {name!r}: 'build.platforms' must be a list")
    image = entry.get("image")
    return BuildTarget(
        project=project,
        context=context,
        dockerfile=dockerfile,
        target=_interpolate(str(target)) if target else None,
        args=_args(build.get("args"), f"{where}: service {name!r}"),
        platforms=tuple(_interpolate(str(p)) for p in platforms),
        image=_interpolate(str(image)) if image else None,
        source=f"{where} service {name}",
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DevkitError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc


def _devcontainer_service(folder: Path) -> str | None:
    """The ``service`` of ``devcontainer.json`` beside the compose file, when it is plain JSON.

    (JSON with comments is left to the default: this only spares users a ``--service``.)
    """
    try:
        data = json.loads((folder / "devcontainer.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    service = data.get("service") if isinstance(data, dict) else None
    return service if isinstance(service, str) and service else None


def _default_service(services: dict[str, Any], where: str) -> str:
    if DEFAULT_SERVICE in services:
        return DEFAULT_SERVICE
    built = [str(k) for k, v in services.items() if isinstance(v, dict) and "build" in v]
    if len(built) == 1:
        return built[0]
    raise DevkitError(
        f"{where}: cannot tell which service is the dev container "
        f"(services with a build: {', '.join(built) or 'none'})",
        hint="name it with --service",
    )


def _args(raw: Any, where: str) -> dict[str, str]:
    """Compose's build args: a mapping, or a list of ``NAME=value`` / ``NAME`` (from the
    environment, as Compose takes it); an arg without any value is left out, as Compose does."""
    if raw is None:
        return {}
    pairs: list[tuple[str, Any]]
    if isinstance(raw, dict):
        pairs = [(str(k), v) for k, v in raw.items()]
    elif isinstance(raw, list):
        pairs = []
        for item in raw:
            key, eq, text = str(item).partition("=")
            pairs.append((key, text if eq else None))
    else:
        raise DevkitError(f"{where}: 'build.args' must be a mapping or a list")
    out: dict[str, str] = {}
    for key, raw_value in pairs:
        found = os.environ.get(key) if raw_value is None else str(raw_value)
        if found is not None:
            out[key] = _interpolate(found)
    return out


def _interpolate(text: str) -> str:
    """Compose's interpolation from the environment, as ``docker compose`` run here reads it."""
    return compose.interpolate(text, os.environ)
