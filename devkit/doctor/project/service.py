"""One compose service as Compose merges it over the files (and ``extends``) that declare it:
its build (a folder or a remote context, ``dockerfile_inline``), mounts, environment, user and
image, with Compose's variable interpolation from the project's ``.env``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit import compose
from devkit.doctor.parse import (
    RESET,
    OverrideDict,
    OverrideList,
    as_dict,
    as_list,
)
from devkit.doctor.project.model import Build, Mount

#: A build context BuildKit fetches instead of reading a folder: a git repository (URL, SSH
#: address, ``github.com/…``) or an HTTP(S) tarball.
_REMOTE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://|git@|github\.com/)")


def is_remote(context: str) -> bool:
    """A build context BuildKit fetches (git or URL), not a folder."""
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
    #: What ``${VAR}`` stands for: the project's ``.env`` (no shell environment is assumed).
    variables: dict[str, str] = field(default_factory=dict)
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
            self.image = interp(spec["image"], self.variables)
        env = spec.get("environment")
        if env is RESET or isinstance(env, (OverrideDict, OverrideList)):
            self.env = {}
        if isinstance(env, dict):
            self.env.update(
                {str(k): interp(str(v), self.variables) for k, v in env.items() if v is not None}
            )
        elif isinstance(env, list):
            for item in env:
                k, _, v = str(item).partition("=")
                self.env[k] = interp(v, self.variables)
        if spec.get("user") is RESET:
            self.user = None
        elif spec.get("user") is not None:
            self.user = interp(str(spec["user"]), self.variables)
        volumes = spec.get("volumes")
        if volumes is RESET or isinstance(volumes, OverrideList):
            self.mounts = []
        for idx, vol in enumerate(as_list(volumes)):
            mount = compose_mount(vol, self.variables)
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
            raw = interp(str(context or "."), self.variables)
            self.context = raw if is_remote(raw) else base / raw
        if isinstance(build.get("dockerfile"), str):
            self.dockerfile = interp(build["dockerfile"], self.variables)
            self.inline = None
        if isinstance(build.get("dockerfile_inline"), str):
            line = lines.get((*key, "build", "dockerfile_inline"), 1)
            # a block scalar (`|`) starts on the line after its key
            self.inline = (build["dockerfile_inline"], line + 1)
            self.compose_file = path
        if isinstance(build.get("target"), str):
            self.target = interp(build["target"], self.variables)
        args_raw = build.get("args")
        if isinstance(args_raw, list):
            args_raw = dict(str(a).partition("=")[::2] for a in args_raw)
        self.args.update(
            {
                str(k): interp(str(v), self.variables)
                for k, v in as_dict(args_raw).items()
                if v is not None
            }
        )
        # Compose merges these sequences: a later file's entries are added to the earlier.
        for name, into in (("cache_from", self.cache_from), ("cache_to", self.cache_to)):
            given = build.get(name)
            if given is RESET or isinstance(given, OverrideList):
                into.clear()
            for item in as_list(given):
                if isinstance(item, str) and interp(item, self.variables) not in into:
                    into.append(interp(item, self.variables))
        if build.get("cache_from"):
            self.cache_line = lines.get((*key, "build", "cache_from"))


def interp(value: str, variables: dict[str, str] | None = None) -> str:
    """Compose variable interpolation with ``variables`` (a project's ``.env``) and no
    shell environment: the audit reads the repository, not the machine it runs on."""
    return compose.interpolate(value, variables or {})


def compose_mount(vol: Any, variables: dict[str, str]) -> Mount | None:
    """A compose ``volumes:`` entry (short ``src:dst[:mode]`` or long syntax) as a Mount."""
    if isinstance(vol, str):
        parts = interp(vol, variables).split(":")
        if len(parts) == 1:
            return Mount("volume", None, parts[0], "", None)
        source, target = parts[0], parts[1]
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        return Mount(kind, source or None, target, "", None)
    if isinstance(vol, dict) and vol.get("target"):
        kind = str(vol.get("type") or "volume")
        src = interp(str(vol["source"]), variables) if vol.get("source") else None
        return Mount(kind, src, interp(str(vol["target"]), variables), "", None)
    return None
