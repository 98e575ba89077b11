"""Dev-container rules: package caches without a persistent volume (DK011) and volumes the
container's user cannot write (DK012), judged from devcontainer.json, its compose service and
what its image's Dockerfile does."""

from __future__ import annotations

from dataclasses import dataclass

from devkit.dockerfile import Dockerfile, Stage, substitute
from devkit.doctor.facts import ImageFacts, root_user
from devkit.doctor.managers import (
    CACHE_WORD,
    cache_target_fits,
    manager_of,
    managers_used,
    user_cache_dirs,
)
from devkit.doctor.model import ERROR, WARNING, Rule, Run
from devkit.doctor.project import DevContainer, Project
from devkit.doctor.shell import commands, norm_path, related_paths


def check(run: Run, project: Project) -> None:
    """DK011 and DK012 for every dev container."""
    for dc in project.devcontainers:
        container = _Container.of(run, dc)
        _caches(run, dc, container)
        _volumes(run, dc, container)


@dataclass
class _Container:
    """Who a dev container runs as and with what environment, from its config and image."""

    df: Dockerfile | None
    facts: ImageFacts
    user: str
    home: str
    env: dict[str, str]

    @classmethod
    def of(cls, run: Run, dc: DevContainer) -> _Container:
        df: Dockerfile | None = None
        stage: Stage | None = None
        if dc.build is not None and dc.build.dockerfile.resolve() in run.parsed:
            df = run.parsed[dc.build.dockerfile.resolve()]
            stage = (df.stage(dc.build.target) if dc.build.target else None) or df.final_stage
        facts = ImageFacts.collect(df, stage, dc.build.args if dc.build else {})
        user = dc.remote_user or dc.container_user or facts.user or "root"
        user = substitute(user, {**facts.variables, **dc.env})
        home = "/root" if root_user(user) else facts.homes.get(user, f"/home/{user}")
        env = {**facts.env, **dc.env}
        env = {
            k: v.replace("${containerEnv:HOME}", home).replace("~", home, 1)
            if v.startswith("~") or "${containerEnv:HOME}" in v
            else v
            for k, v in env.items()
        }
        return cls(df, facts, user, home, env)


# --------------------------------------------------------------------------- DK011

DK011 = Rule(
    "DK011",
    "cache-without-volume",
    WARNING,
    "Package-manager cache in a dev container without a persistent volume",
    "The cache lives in the container's writable layer and is lost on every rebuild, so "
    "every rebuild downloads every package again.",
    "Mount a named volume at the cache directory (devcontainer.json mounts or the compose "
    "service's volumes).",
)


def _caches(run: Run, dc: DevContainer, container: _Container) -> None:
    """DK011 for each package manager used in the dev container whose cache no volume or
    bind mount keeps."""
    home, env = container.home, container.env
    persistent = [m for m in dc.mounts if m.kind in ("volume", "bind")]
    run_here = {
        manager
        for script in dc.commands
        for words in commands(script)
        if (manager := manager_of(words))
    }
    managers = [
        m for m in managers_used(run.root, container.df, run_here) if m not in ("apt", "apk")
    ]
    for manager in managers:
        covered = any(
            cache_target_fits(manager, m.target, env)
            or bool(m.source and CACHE_WORD[manager].search(m.source.lower()))
            for m in persistent
        ) or any(
            related_paths(m.target, d)
            for m in persistent
            for d in user_cache_dirs(manager, home, env)
        )
        if not covered:
            dirs = ", ".join(user_cache_dirs(manager, home, env))
            run.add(
                DK011.id,
                dc.anchor_file,
                dc.anchor_line,
                f"{manager} is used in this dev container but its cache ({dirs}) has no "
                "persistent volume",
            )


# --------------------------------------------------------------------------- DK012

DK012 = Rule(
    "DK012",
    "volume-not-owned",
    ERROR,
    "Named volume mounted for a non-root user at a path the image does not create and own",
    "Docker creates the mount point of a fresh volume as root:root 755, so the non-root "
    "user cannot write to it (permission denied on cache or history writes).",
    "In the Dockerfile, mkdir -p the path and chown it to the user (or create it after "
    "USER <name>).",
)


def _volumes(run: Run, dc: DevContainer, container: _Container) -> None:
    """DK012 for each volume of a non-root dev container whose mount point the image does
    not create and give to that user."""
    user, facts = container.user, container.facts
    if root_user(user) or container.df is None:
        return
    aliases = facts.aliases(user)
    for mount in dc.mounts:
        if mount.kind != "volume":
            continue
        target = norm_path(substitute(mount.target, {**facts.variables, **container.env}))
        created, owned = facts.ownership(target, aliases)
        if created and owned:
            continue
        state = (
            "the image does not create that path"
            if not created
            else "the image creates that path but leaves it owned by root"
        )
        run.add(
            DK012.id,
            mount.file,
            mount.line,
            f"volume {mount.source or '(anonymous)'} is mounted at {target} for user {user}; "
            f"{state}, so the volume comes up root-owned",
        )


RULES: tuple[Rule, ...] = (DK011, DK012)
