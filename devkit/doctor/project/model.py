"""What an audit builds and runs: each build (Dockerfile, context, target, args, who
declared it), each dev container (workspace, image, mounts, environment, users, lifecycle
commands) and the project that holds them all."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Mount:
    """A mount into the dev container: named/anonymous volume, bind or tmpfs."""

    kind: str  # volume | bind | tmpfs
    source: str | None
    target: str
    file: str
    line: int | None


@dataclass
class Build:
    """One way a Dockerfile is built: context, target, args, and who declared it.

    A compose ``dockerfile_inline`` build has its text in ``inline`` (numbered as the lines of
    the compose file that holds it); ``dockerfile`` is then that compose file.
    """

    dockerfile: Path
    context: Path
    target: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    #: The file and line that declared this build (devcontainer.json, compose service);
    #: None for a Dockerfile found by walking the tree.
    origin: tuple[str, int | None] | None = None
    inline: str | None = None
    #: For an inline Dockerfile: the service it belongs to (so two in one file differ).
    service: str | None = None
    #: The user a compose service runs the image as (``user:``), if it says.
    user: str | None = None
    #: Where the build reads and writes its cache: compose ``cache_from``/``cache_to``,
    #: devcontainer.json ``build.cacheFrom`` (each as written: an image reference or
    #: ``type=…,…``), and the line that declares ``cache_from``/``cacheFrom``.
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    cache_line: int | None = None
    #: The image name the build is tagged with (a compose service's ``image:``).
    image: str | None = None

    @functools.cached_property
    def key(self) -> Path:
        """What identifies the Dockerfile built: its resolved path (for an inline one, the
        compose file's path with ``#<service>`` added). Resolved once: rules compare it for
        every dev container and Dockerfile."""
        path = self.dockerfile.resolve()
        return Path(f"{path}#{self.service}") if self.inline is not None else path

    def exists(self) -> bool:
        """Whether there is a Dockerfile to build: inline text, or a regular file."""
        return self.inline is not None or self.dockerfile.is_file()


@dataclass
class DevContainer:
    """What matters about one devcontainer.json (and its compose service)."""

    file: str
    build: Build | None
    mounts: list[Mount]
    env: dict[str, str]
    remote_user: str | None
    container_user: str | None
    anchor_file: str
    anchor_line: int | None
    #: The lifecycle commands (postCreateCommand & co.), each as one shell script.
    commands: list[str] = field(default_factory=list)
    #: The folder the Dev Containers CLI opens for this configuration: the parent of its
    #: ``.devcontainer/`` folder (for ``X/.devcontainer.json``: X). Its manifests are the
    #: project the developer works on (not the audited root's).
    workspace: Path | None = None
    #: The image it runs when nothing is built (devcontainer.json ``image``, or the compose
    #: service's ``image``).
    image: str | None = None
    #: The devcontainer.json file itself.
    config: Path | None = None


@dataclass
class Project:
    """Everything an audit builds and runs: every build (those devcontainer.json and compose
    files declare first, then each Dockerfile nobody references, built in its own folder) and
    every dev container."""

    builds: list[Build]
    devcontainers: list[DevContainer]

    def built(self) -> dict[Path, list[Build]]:
        """The builds of each Dockerfile that exists, by :attr:`Build.key`, in build order."""
        found: dict[Path, list[Build]] = {}
        for b in self.builds:
            if b.exists():
                found.setdefault(b.key, []).append(b)
        return found
