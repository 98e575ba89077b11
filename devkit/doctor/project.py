"""The dev-container model of a repository and its readers: the builds (Dockerfile,
context, target, args) that devcontainer.json files, compose services and lone Dockerfiles
declare, and each dev container's workspace, image, mounts, environment, users and lifecycle
commands.

Compose files are read as Compose reads them: several files merged (paths relative to the
first one's folder), ``include:`` (each included file a project of its own), ``extends:``
(from the same or another file, paths relative to the file that declares them), Compose's
``!reset`` and ``!override`` tags, remote (git or URL) build contexts, and
``dockerfile_inline``.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.dockerfile import substitute
from devkit.doctor.model import Run
from devkit.doctor.parse import (
    RESET,
    LineError,
    OverrideDict,
    OverrideList,
    json_key_line,
    parse_jsonc,
    parse_yaml_lines,
    text_line,
)


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
    # A file another one includes is read as part of that one, not on its own too; so is
    # the override file `docker compose` reads with a default file.
    included = {inc for path in composes for inc in reader.includes(path)}
    for path in composes:
        override = _default_override(path)
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


def _default_override(path: Path) -> Path | None:
    """The override file ``docker compose`` reads along with default file ``path``
    (``compose.yaml`` → ``compose.override.yaml``), if there is one."""
    stem, _, ext = path.name.rpartition(".")
    if stem not in ("compose", "docker-compose") or ext not in ("yaml", "yml"):
        return None
    for name in (f"{stem}.override.yml", f"{stem}.override.yaml"):
        if (path.parent / name).is_file():
            return path.parent / name
    return None


def workspace_of(config: Path) -> Path:
    """The folder the Dev Containers CLI opens to use the devcontainer.json at ``config``:
    it looks for ``.devcontainer/devcontainer.json``, ``.devcontainer.json`` and
    ``.devcontainer/<name>/devcontainer.json`` in the folder it opens."""
    if config.name == ".devcontainer.json":
        return config.parent
    for folder in config.parents:
        if folder.name == ".devcontainer":
            return folder.parent
    return config.parent


#: How deep ``extends`` and ``include`` are followed (Compose stops cycles; so does this).
_MAX_HOPS = 10


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
        image = _str_or_none(data.get("image"))
        compose_files = data.get("dockerComposeFile")
        if compose_files:
            paths = [
                base / p
                for p in ([compose_files] if isinstance(compose_files, str) else compose_files)
                if isinstance(p, str)
            ]
            compose_seen.update(p.resolve() for p in paths)
            services = self.compose(paths, seen=compose_seen)
            service = data.get("service")
            if services is not None and isinstance(service, str) and service in services:
                svc = services[service]
                build = svc.build()
                mounts.extend(svc.mounts)
                env = {**svc.env, **env}
                compose_user = svc.user
                image = svc.image
                anchor_file, anchor_line = svc.file, svc.line
        else:
            b: dict[str, Any] = data["build"] if isinstance(data.get("build"), dict) else {}
            dockerfile = b.get("dockerfile") or data.get("dockerFile")
            if isinstance(dockerfile, str):
                context = base / str(b.get("context") or data.get("context") or ".")
                cache_from = b.get("cacheFrom")
                if isinstance(cache_from, str):
                    cache_from = [cache_from]
                build = Build(
                    dockerfile=base / dockerfile,
                    context=context,
                    target=b.get("target") if isinstance(b.get("target"), str) else None,
                    args={str(k): str(v) for k, v in _as_dict(b.get("args")).items()},
                    cache_from=tuple(
                        c
                        for c in (
                            [cache_from] if isinstance(cache_from, str) else _as_list(cache_from)
                        )
                        if isinstance(c, str) and c
                    ),
                    cache_line=json_key_line(text, "cacheFrom") if cache_from else None,
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
            workspace=workspace_of(path),
            image=image,
            config=path,
        )

    def load(self, path: Path) -> tuple[Any, dict[tuple[Any, ...], int]] | None:
        """A compose file's data and lines, parsed once (None, and DK000 once, if it cannot
        be read or is not one; None for a file that is not there)."""
        if not path.is_file():
            return None
        key = path.resolve()
        if key not in self.compose_docs:
            self.run.files.add(self.run.rel(path))
            try:
                self.compose_docs[key] = _compose_doc(self.run.read(path))
            except LineError as exc:
                self.compose_docs[key] = None
                self.run.add("DK000", path, exc.line, exc.message)
        return self.compose_docs[key]

    def includes(self, path: Path) -> list[Path]:
        """The resolved paths of the files ``path``'s ``include:`` names."""
        doc = self.load(path)
        if doc is None or not isinstance(doc[0], dict):
            return []
        return [p.resolve() for group, _ in _include_entries(doc[0], path.parent) for p in group]

    def compose(
        self,
        paths: list[Path],
        seen: set[Path] | None = None,
        hops: int = 0,
        project_dir: Path | None = None,
    ) -> dict[str, Service] | None:
        """Services of the compose files (later files override earlier ones, paths relative
        to ``project_dir``, by default the first file's folder), with the services of the
        files they include; None when one of them cannot be parsed. Files included are added
        to ``seen``."""
        services: dict[str, Service] = {}
        if project_dir is None:
            project_dir = paths[0].parent if paths else Path()
        for path in paths:
            if not path.is_file():
                continue
            doc = self.load(path)
            if doc is None:
                return None
            data, lines = doc
            if not isinstance(data, dict):
                continue
            for group, project in _include_entries(data, path.parent):
                if hops >= _MAX_HOPS or not group:
                    continue
                if seen is not None:
                    seen.update(p.resolve() for p in group)
                # an included file is a project of its own: its paths are relative to its
                # folder, or to the project_directory the entry gives
                sub = self.compose(group, seen, hops + 1, project) or {}
                for name, svc in sub.items():
                    services.setdefault(name, svc)
            if not isinstance(data.get("services"), dict):
                continue
            rel = self.run.rel(path)
            for name, spec in data["services"].items():
                if not isinstance(spec, dict):
                    continue
                svc = services.setdefault(
                    name, Service(file=rel, line=lines.get(("services", name)), name=str(name))
                )
                for base_spec, base_path, base_lines, base_key in self._extended(
                    spec, path, str(name)
                ):
                    svc.absorb(
                        base_spec,
                        base_path,
                        base_path.parent,
                        self.run.rel(base_path),
                        base_lines,
                        base_key,
                    )
                svc.absorb(spec, path, project_dir, rel, lines, ("services", name))
        self.compose_builds.extend(b for svc in services.values() if (b := svc.build()))
        return services

    def _extended(
        self, spec: dict[str, Any], path: Path, name: str
    ) -> list[tuple[dict[str, Any], Path, dict[tuple[Any, ...], int], tuple[Any, ...]]]:
        """The service specs ``spec`` extends, base first: (spec, file, lines, key path)."""
        chain: list[tuple[dict[str, Any], Path, dict[tuple[Any, ...], int], tuple[Any, ...]]] = []
        visited = {(path.resolve(), name)}
        while len(chain) < _MAX_HOPS:
            ext = spec.get("extends")
            if isinstance(ext, str):
                ext = {"service": ext}
            if not isinstance(ext, dict) or not isinstance(ext.get("service"), str):
                break
            file = ext.get("file")
            base_path = path.parent / _interp(file) if isinstance(file, str) else path
            doc = self.load(base_path)
            if doc is None or (base_path.resolve(), ext["service"]) in visited:
                break
            visited.add((base_path.resolve(), ext["service"]))
            data, lines = doc
            base = _as_dict(_as_dict(data).get("services")).get(ext["service"])
            if not isinstance(base, dict):
                break
            chain.insert(0, (base, base_path, lines, ("services", ext["service"])))
            spec, path = base, base_path
        return chain


def _include_entries(data: dict[str, Any], base: Path) -> list[tuple[list[Path], Path | None]]:
    """The files each ``include:`` entry names (a path, a list of paths, or a mapping with
    ``path`` and ``project_directory``), relative to ``base``."""
    found: list[tuple[list[Path], Path | None]] = []
    for entry in _as_list(data.get("include")):
        project: Path | None = None
        if isinstance(entry, dict):
            raw = entry.get("path")
            if isinstance(entry.get("project_directory"), str):
                project = base / _interp(entry["project_directory"])
        else:
            raw = entry
        names = [raw] if isinstance(raw, str) else _as_list(raw)
        group = [base / _interp(n) for n in names if isinstance(n, str) and not _remote(n)]
        found.append((group, project))
    return found


#: A build context BuildKit fetches instead of reading a folder: a git repository (URL, SSH
#: address, ``github.com/…``) or an HTTP(S) tarball.
_REMOTE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://|git@|github\.com/)")


def _remote(context: str) -> bool:
    return bool(_REMOTE.match(context))


@dataclass
class Service:
    """One compose service, merged over the compose files (and ``extends``) that declare it."""

    file: str
    line: int | None
    name: str = ""
    mounts: list[Mount] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    image: str | None = None
    #: The build as merged so far: context (a folder, or a remote URL), dockerfile (relative
    #: to the context), inline text, target, args, and where it was declared.
    context: Path | str | None = None
    dockerfile: str | None = None
    inline: tuple[str, int] | None = None
    target: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    origin: tuple[str, int | None] | None = None
    compose_file: Path | None = None
    cache_from: list[str] = field(default_factory=list)
    cache_to: list[str] = field(default_factory=list)
    cache_line: int | None = None

    def build(self) -> Build | None:
        """The build this service declares (None: none, or a remote context BuildKit fetches,
        which there is no local Dockerfile of to audit)."""
        if self.context is None or isinstance(self.context, str):
            return None
        if self.inline is not None and self.compose_file is not None:
            text, line = self.inline
            return Build(
                dockerfile=self.compose_file,
                context=self.context,
                target=self.target,
                args=dict(self.args),
                origin=self.origin,
                # numbered as the compose file's lines: findings point into it
                inline="\n" * (line - 1) + text,
                service=self.name,
                user=self.user,
                **self._cache(),
            )
        return Build(
            dockerfile=self.context / (self.dockerfile or "Dockerfile"),
            context=self.context,
            target=self.target,
            args=dict(self.args),
            origin=self.origin,
            user=self.user,
            **self._cache(),
        )

    def _cache(self) -> dict[str, Any]:
        return {
            "cache_from": tuple(self.cache_from),
            "cache_to": tuple(self.cache_to),
            "cache_line": self.cache_line,
            "image": self.image,
        }

    def absorb(
        self,
        spec: dict[str, Any],
        path: Path,
        base: Path,
        rel: str,
        lines: dict[tuple[Any, ...], int],
        key: tuple[Any, ...],
    ) -> None:
        """Merge the ``spec`` of this service found at ``key`` in compose file ``path``
        (named ``rel`` in findings), its relative paths taken from ``base``: as Compose merges,
        a later ``build`` mapping updates the earlier one key by key, ``!override`` replaces
        and ``!reset`` removes."""
        self._absorb_build(spec.get("build"), path, base, rel, lines, key)
        if isinstance(spec.get("image"), str):
            self.image = _interp(spec["image"])
        env = spec.get("environment")
        if env is RESET or isinstance(env, (OverrideDict, OverrideList)):
            self.env = {}
        if isinstance(env, dict):
            self.env.update({str(k): _interp(str(v)) for k, v in env.items() if v is not None})
        elif isinstance(env, list):
            for item in env:
                k, _, v = str(item).partition("=")
                self.env[k] = _interp(v)
        if spec.get("user") is RESET:
            self.user = None
        elif spec.get("user") is not None:
            self.user = _interp(str(spec["user"]))
        volumes = spec.get("volumes")
        if volumes is RESET or isinstance(volumes, OverrideList):
            self.mounts = []
        for idx, vol in enumerate(_as_list(volumes)):
            mount = _compose_mount(vol)
            if mount is not None:
                mount.file = rel
                mount.line = lines.get((*key, "volumes", idx))
                # a later file's mount at the same target replaces the earlier one
                self.mounts = [m for m in self.mounts if m.target != mount.target]
                self.mounts.append(mount)

    def _absorb_build(
        self,
        build: Any,
        path: Path,
        base: Path,
        rel: str,
        lines: dict[tuple[Any, ...], int],
        key: tuple[Any, ...],
    ) -> None:
        if build is RESET:
            self.context = self.dockerfile = self.inline = self.target = None
            self.args = {}
            self.cache_from, self.cache_to, self.cache_line = [], [], None
            return
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict):
            return
        if isinstance(build, OverrideDict):
            self.context = self.dockerfile = self.inline = self.target = None
            self.args = {}
            self.cache_from, self.cache_to, self.cache_line = [], [], None
        self.origin = (rel, lines.get((*key, "build")) or lines.get(key))
        context = build.get("context")
        if isinstance(context, str) or self.context is None:
            raw = _interp(str(context or "."))
            self.context = raw if _remote(raw) else base / raw
        if isinstance(build.get("dockerfile"), str):
            self.dockerfile = _interp(build["dockerfile"])
            self.inline = None
        if isinstance(build.get("dockerfile_inline"), str):
            line = lines.get((*key, "build", "dockerfile_inline"), 1)
            # a block scalar (`|`) starts on the line after its key
            self.inline = (build["dockerfile_inline"], line + 1)
            self.compose_file = path
        if isinstance(build.get("target"), str):
            self.target = _interp(build["target"])
        args_raw = build.get("args")
        if isinstance(args_raw, list):
            args_raw = dict(str(a).partition("=")[::2] for a in args_raw)
        self.args.update(
            {str(k): _interp(str(v)) for k, v in _as_dict(args_raw).items() if v is not None}
        )
        # Compose merges these sequences: a later file's entries are added to the earlier.
        for name, into in (("cache_from", self.cache_from), ("cache_to", self.cache_to)):
            given = build.get(name)
            if given is RESET or isinstance(given, OverrideList):
                into.clear()
            for item in _as_list(given):
                if isinstance(item, str) and _interp(item) not in into:
                    into.append(_interp(item))
        if build.get("cache_from"):
            self.cache_line = lines.get((*key, "build", "cache_from"))


def _compose_doc(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """A compose file's data and lines; :class:`LineError` for YAML that Compose refuses,
    and for a top level or ``services`` that is not a mapping (Compose refuses those too)."""
    data, lines = parse_yaml_lines(text)
    if data is not None and not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise LineError(f"a compose file must be a mapping, not {kind}", lines.get((), 1))
    services = data.get("services") if isinstance(data, dict) else None
    if services is not None and not isinstance(services, dict):
        raise LineError("services must be a mapping of service names", lines.get(("services",)))
    return data, lines


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
