"""devcontainer.json read as the Dev Containers CLI reads it: the folder it opens, the
image or build (or compose service) it runs, its mounts, environment, users and lifecycle
commands."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devkit.doctor.model import Run
from devkit.doctor.parse import LineError, as_dict, as_list, json_key_line, parse_jsonc, text_line
from devkit.doctor.project.compose import ComposeReader
from devkit.doctor.project.model import Build, DevContainer, Mount


def read_devcontainer(
    run: Run, composes: ComposeReader, path: Path, compose_seen: set[Path]
) -> DevContainer | None:
    """Read one devcontainer.json (and its compose service); None if it cannot be read.

    The compose files it names are added to ``compose_seen``.
    """
    run.files.add(run.rel(path))
    try:
        data, text = parse_jsonc(run.read(path))
    except LineError as exc:
        run.add("DK000", path, exc.line, exc.message)
        return None
    if not isinstance(data, dict):
        run.add("DK000", path, 1, "devcontainer.json must be a JSON object")
        return None
    base = path.parent
    rel = run.rel(path)
    env: dict[str, str] = {}
    for key in ("containerEnv", "remoteEnv"):
        if isinstance(data.get(key), dict):
            env.update({str(k): str(v) for k, v in data[key].items() if v is not None})
    mounts = []
    for item in as_list(data.get("mounts")):
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
        services = composes.compose(paths, seen=compose_seen)
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
            build = Build(
                dockerfile=base / dockerfile,
                context=context,
                target=b.get("target") if isinstance(b.get("target"), str) else None,
                args={str(k): str(v) for k, v in as_dict(b.get("args")).items()},
                cache_from=tuple(
                    c
                    for c in ([cache_from] if isinstance(cache_from, str) else as_list(cache_from))
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


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


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
