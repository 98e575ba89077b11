"""A repository's project: the builds and dev containers its devcontainer.json files,
compose files and lone Dockerfiles declare, read as the tools that build and run them do."""

from __future__ import annotations

from pathlib import Path

from devkit.doctor.model import Run
from devkit.doctor.project.compose import ComposeReader, default_override
from devkit.doctor.project.devcontainer import read_devcontainer
from devkit.doctor.project.model import Build, DevContainer, Project


def read_project(
    run: Run, dockerfiles: list[Path], composes: list[Path], devcontainer_files: list[Path]
) -> Project:
    """Read the files :func:`devkit.doctor.discover.discover` found into a :class:`Project`;
    a file that cannot be read or parsed is a DK000 finding on ``run``."""
    reader = ComposeReader(run)
    builds: list[Build] = []
    devcontainers: list[DevContainer] = []
    compose_seen: set[Path] = set()
    for path in devcontainer_files:
        dc = read_devcontainer(run, reader, path, compose_seen)
        if dc is not None:
            devcontainers.append(dc)
            if dc.build is not None:
                builds.append(dc.build)
    # A file another one includes is read as part of that one, not on its own too; so is
    # the override file `docker compose` reads with a default file.
    included = {inc for path in composes for inc in reader.includes(path)}
    for path in composes:
        override = default_override(path)
        if override is not None:
            included.add(override.resolve())
            if path.resolve() not in compose_seen:
                compose_seen.update((path.resolve(), override.resolve()))
                reader.compose([path, override])
    for path in composes:
        if path.resolve() not in compose_seen and path.resolve() not in included:
            reader.compose([path])
    # Every service with a build (also the other services of a dev container's compose
    # project, a database image say) has its Dockerfile and context audited.
    builds.extend(reader.compose_builds)
    referenced = {b.key for b in builds}
    for path in dockerfiles:
        if path.resolve() not in referenced:
            builds.append(Build(dockerfile=path, context=path.parent))
    return Project(builds, devcontainers)
