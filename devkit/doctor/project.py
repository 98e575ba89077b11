"""The dev-container model of a repository and its readers: the builds (Dockerfile,
context, target, args) that devcontainer.json files, compose services and lone Dockerfiles
declare, and each dev container's mounts, environment, users and lifecycle commands."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.dockerfile import substitute
from devkit.doctor.model import Run
from devkit.doctor.parse import LineError, json_key_line, parse_jsonc, parse_yaml_lines, text_line


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
    """One way a Dockerfile is built: context, target, args, and who declared it."""

    dockerfile: Path
    context: Path
    target: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    #: The file and line that declared this build (devcontainer.json, compose service);
    #: None for a Dockerfile found by walking the tree.
    origin: tuple[str, int | None] | None = None


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


@dataclass
class Project:
    """Everything an audit builds and runs: every build (those devcontainer.json and compose
    files declare first, then each Dockerfile nobody references, built in its own folder) and
    every dev container."""

    builds: list[Build]
    devcontainers: list[DevContainer]

    def built(self) -> dict[Path, list[Build]]:
        """The builds of each Dockerfile that exists, by its resolved path, in build order."""
        found: dict[Path, list[Build]] = {}
        for b in self.builds:
            if b.dockerfile.is_file():
                found.setdefault(b.dockerfile.resolve(), []).append(b)
        return found


def read_project(
    run: Run, dockerfiles: list[Path], composes: list[Path], devcontainer_files: list[Path]
) -> Project:
    """Read the files :func:`devkit.doctor.discover.discover` found into a :class:`Project`;
    a file that cannot be read or parsed is a DK000 finding on ``run``."""
    reader = Reader(run)
    builds: list[Build] = []
    devcontainers: list[DevContainer] = []
    compose_seen: set[Path] = set()
    for path in devcontainer_files:
        dc = reader.devcontainer(path, compose_seen)
        if dc is not None:
            devcontainers.append(dc)
            if dc.build is not None:
                builds.append(dc.build)
    for path in composes:
        if path.resolve() not in compose_seen:
            reader.compose([path])
    # Every service with a build (also the other services of a dev container's compose
    # project, a database image say) has its Dockerfile and context audited.
    builds.extend(reader.compose_builds)
    referenced = {b.dockerfile.resolve() for b in builds}
    for path in dockerfiles:
        if path.resolve() not in referenced:
            builds.append(Build(dockerfile=path, context=path.parent))
    return Project(builds, devcontainers)


class Reader:
    """Reads devcontainer.json and compose files for one audit (each compose file once)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        #: Parsed compose files (None: not parseable, DK000 already reported). A compose
        #: file shared by several devcontainer.json files is parsed once.
        self.compose_docs: dict[Path, tuple[Any, dict[tuple[Any, ...], int]] | None] = {}
        #: The builds of every compose service read, in the order read.
        self.compose_builds: list[Build] = []

    def devcontainer(self, path: Path, compose_seen: set[Path]) -> DevContainer | None:
        """Read one devcontainer.json (and its compose service); None if it cannot be read.

        The compose files it names are added to ``compose_seen``.
        """
        self.run.files.add(self.run.rel(path))
        try:
            data, text = parse_jsonc(self.run.read(path))
        except LineError as exc:
            self.run.add("DK000", path, exc.line, exc.message)
            return None
        if not isinstance(data, dict):
            self.run.add("DK000", path, 1, "devcontainer.json must be a JSON object")
            return None
        base = path.parent
        rel = self.run.rel(path)
        env: dict[str, str] = {}
        for key in ("containerEnv", "remoteEnv"):
            if isinstance(data.get(key), dict):
                env.update({str(k): str(v) for k, v in data[key].items() if v is not None})
        mounts = []
        for item in _as_list(data.get("mounts")):
            mount = _devcontainer_mount(item)
            if mount is not None:
                mount.file = rel
                mount.line = text_line(text, mount.target)
                mounts.append(mount)
        build: Build | None = None
        anchor_file, anchor_line = rel, None
        compose_user: str | None = None
        compose_files = data.get("dockerComposeFile")
        if compose_files:
            paths = [
                base / p
                for p in ([compose_files] if isinstance(compose_files, str) else compose_files)
                if isinstance(p, str)
            ]
            compose_seen.update(p.resolve() for p in paths)
            services = self.compose(paths)
            service = data.get("service")
            if services is not None and isinstance(service, str) and service in services:
                svc = services[service]
                build = svc.build
                mounts.extend(svc.mounts)
                env = {**svc.env, **env}
                compose_user = svc.user
                anchor_file, anchor_line = svc.file, svc.line
        else:
            b: dict[str, Any] = data["build"] if isinstance(data.get("build"), dict) else {}
            dockerfile = b.get("dockerfile") or data.get("dockerFile")
            if isinstance(dockerfile, str):
                context = base / str(b.get("context") or data.get("context") or ".")
                build = Build(
                    dockerfile=base / dockerfile,
                    context=context,
                    target=b.get("target") if isinstance(b.get("target"), str) else None,
                    args={str(k): str(v) for k, v in _as_dict(b.get("args")).items()},
                )
                anchor_line = json_key_line(text, "build") or json_key_line(text, "dockerFile")
                build.origin = (rel, anchor_line)
            else:
                anchor_line = json_key_line(text, "image")
        return DevContainer(
            file=rel,
            build=build,
            mounts=mounts,
            env=env,
            remote_user=_str_or_none(data.get("remoteUser")),
            container_user=_str_or_none(data.get("containerUser")) or compose_user,
            anchor_file=anchor_file,
            anchor_line=anchor_line,
            commands=_lifecycle_scripts(data),
        )

    def compose(self, paths: list[Path]) -> dict[str, Service] | None:
        """Services of the compose files (later files override earlier ones)."""
        services: dict[str, Service] = {}
        for path in paths:
            if not path.is_file():
                continue
            self.run.files.add(self.run.rel(path))
            key = path.resolve()
            if key not in self.compose_docs:
                try:
                    self.compose_docs[key] = parse_yaml_lines(self.run.read(path))
                except LineError as exc:
                    self.compose_docs[key] = None
                    self.run.add("DK000", path, exc.line, exc.message)
            doc = self.compose_docs[key]
            if doc is None:
                return None
            data, lines = doc
            if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
                continue
            for name, spec in data["services"].items():
                if not isinstance(spec, dict):
                    continue
                svc = services.setdefault(
                    name, Service(file=self.run.rel(path), line=lines.get(("services", name)))
                )
                svc.absorb(spec, path, self.run.rel(path), lines, ("services", name))
        self.compose_builds.extend(svc.build for svc in services.values() if svc.build)
        return services


@dataclass
class Service:
    """One compose service, merged over the compose files that declare it."""

    file: str
    line: int | None
    build: Build | None = None
    mounts: list[Mount] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None

    def absorb(
        self,
        spec: dict[str, Any],
        path: Path,
        rel: str,
        lines: dict[tuple[Any, ...], int],
        key: tuple[Any, ...],
    ) -> None:
        """Merge one compose file's ``spec`` of this service (found at ``key`` in ``path``)."""
        base = path.parent
        build = spec.get("build")
        if isinstance(build, str):
            context = base / _interp(build)
            self.build = Build(
                dockerfile=context / "Dockerfile", context=context, origin=(rel, self.line)
            )
        elif isinstance(build, dict):
            context = base / _interp(str(build.get("context") or "."))
            args_raw = build.get("args") or {}
            if isinstance(args_raw, list):
                args_raw = dict(str(a).partition("=")[::2] for a in args_raw)
            args_raw = _as_dict(args_raw)
            self.build = Build(
                dockerfile=context / _interp(str(build.get("dockerfile") or "Dockerfile")),
                context=context,
                target=_interp(str(build["target"])) if build.get("target") else None,
                args={str(k): _interp(str(v)) for k, v in args_raw.items() if v is not None},
                origin=(rel, self.line),
            )
        env = spec.get("environment")
        if isinstance(env, dict):
            self.env.update({str(k): _interp(str(v)) for k, v in env.items() if v is not None})
        elif isinstance(env, list):
            for item in env:
                k, _, v = str(item).partition("=")
                self.env[k] = _interp(v)
        if spec.get("user") is not None:
            self.user = _interp(str(spec["user"]))
        for idx, vol in enumerate(_as_list(spec.get("volumes"))):
            mount = _compose_mount(vol)
            if mount is not None:
                mount.file = rel
                mount.line = lines.get((*key, "volumes", idx))
                self.mounts.append(mount)


def _interp(value: str) -> str:
    """Compose variable interpolation with an empty environment (defaults apply)."""
    return substitute(value.replace("$$", "\0"), {}).replace("\0", "$")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _compose_mount(vol: Any) -> Mount | None:
    """A compose ``volumes:`` entry (short ``src:dst[:mode]`` or long syntax) as a Mount."""
    if isinstance(vol, str):
        parts = _interp(vol).split(":")
        if len(parts) == 1:
            return Mount("volume", None, parts[0], "", None)
        source, target = parts[0], parts[1]
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        return Mount(kind, source or None, target, "", None)
    if isinstance(vol, dict) and vol.get("target"):
        kind = str(vol.get("type") or "volume")
        src = _interp(str(vol["source"])) if vol.get("source") else None
        return Mount(kind, src, _interp(str(vol["target"])), "", None)
    return None


def _devcontainer_mount(item: Any) -> Mount | None:
    if isinstance(item, str):
        opts: dict[str, str] = {}
        for part in item.split(","):
            k, _, v = part.partition("=")
            opts[k.strip().lower()] = v.strip()
        item = opts
    if not isinstance(item, dict):
        return None
    target = item.get("target") or item.get("dst") or item.get("destination")
    if not target:
        return None
    source = item.get("source") or item.get("src")
    return Mount(
        str(item.get("type") or "volume"), str(source) if source else None, str(target), "", None
    )


def _lifecycle_scripts(data: Mapping[str, Any]) -> list[str]:
    """devcontainer.json's lifecycle commands as shell scripts (string, exec-form array, or
    an object of named commands of either form)."""
    scripts: list[str] = []
    for key in _LIFECYCLE:
        value = data.get(key)
        items = list(value.values()) if isinstance(value, dict) else [value]
        for item in items:
            if isinstance(item, str):
                scripts.append(item)
            elif isinstance(item, list):
                scripts.append(shlex.join(str(word) for word in item))
    return scripts


# Not initializeCommand: it runs on the host, not in the container.
_LIFECYCLE = (
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
)
