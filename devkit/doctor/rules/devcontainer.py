"""Dev-container rules: package caches without a persistent volume (DK011) and volumes the
container's user cannot write (DK012), judged from devcontainer.json, its compose service and
what its image's Dockerfile does."""

from __future__ import annotations

from dataclasses import dataclass

from devkit.dockerfile import Dockerfile, Stage, substitute
from devkit.doctor.facts import ImageFacts, known_image, root_user
from devkit.doctor.managers import (
    CACHE_WORD,
    cache_target_fits,
    manager_of,
    managers_used,
    user_cache_dirs,
)
from devkit.doctor.model import ERROR, WARNING, Rule, Run
from devkit.doctor.project import DevContainer, Project
from devkit.doctor.shell import commands, norm_path, program, related_paths


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
        if dc.build is not None and dc.build.key in run.parsed:
            df = run.parsed[dc.build.key]
            stage = (df.stage(dc.build.target) if dc.build.target else None) or df.final_stage
        facts = ImageFacts.collect(df, stage, dc.build.args if dc.build else {})
        known = known_image(dc.image) if df is None and dc.image else facts.known
        # Who the Dev Containers CLI runs the developer's processes as: remoteUser, else
        # containerUser (or compose's user), else the image's (its USER, its base image's, or
        # the devcontainer.metadata of the mcr.microsoft.com/devcontainers images).
        runs_as = facts.runs_as() if df is not None else (known.user or "root")
        user = dc.remote_user or dc.container_user or runs_as
        env = {**dict(known.env), **facts.env, **dc.env}
        if user is not None:
            user = substitute(user, {**facts.variables, **env})
            if user.isdigit():  # a uid: the name the image gave it, if it did
                user = next((n for n, uid in facts.uids.items() if uid == user), user)
        if user is None or (user.isdigit() and not root_user(user)):
            home = "~"  # who exactly is only known to the build: paths as ~/…
        elif root_user(user):
            home = "/root"
        else:
            home = facts.homes.get(user, f"/home/{user}")
        env = {
            k: v.replace("${containerEnv:HOME}", home).replace("~", home, 1)
            if v.startswith("~") or "${containerEnv:HOME}" in v
            else v
            for k, v in env.items()
        }
        return cls(df, facts, user or "", home, env)


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


#: Variables that put pnpm's store somewhere chosen (else it follows the workspace's disk).
_PNPM_STORE_ENV = ("npm_config_store_dir", "NPM_CONFIG_STORE_DIR", "PNPM_STORE_DIR", "PNPM_HOME")


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
    workspace = dc.workspace or run.root
    managers = [
        m for m in managers_used(workspace, container.df, run_here) if m not in ("apt", "apk")
    ]
    for manager in managers:
        if manager == "pnpm" and not any(env.get(v) for v in _PNPM_STORE_ENV):
            # pnpm keeps its store on the disk it installs to (hard links need that): in a
            # bind-mounted workspace, at that mount's root. It survives with the workspace.
            continue
        if manager == "gem" and not (env.get("GEM_HOME") or env.get("BUNDLE_PATH")):
            # gems are cached in the Ruby installation's GEM_HOME (rbenv, mise, rvm, the
            # ruby image's /usr/local/bundle): unknown here, so no path to name
            continue
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


#: Volumes a root daemon writes, not the user: docker-in-docker's /var/lib/docker (its
#: dockerd runs as root and needs the folder root-owned), containerd's.
_ROOT_DAEMON_PATHS = {"/var/lib/docker", "/var/lib/containerd"}


def _chowned_at_start(dc: DevContainer, variables: dict[str, str | None]) -> list[str]:
    """Paths a lifecycle command gives to someone with ``chown`` (``sudo chown -R vscode
    /workspaces/app/node_modules`` in onCreateCommand: the recipe for volume mounts inside
    the workspace), which makes them the user's before the developer needs them."""
    paths: list[str] = []
    for script in dc.commands:
        for words in commands(script, variables):
            if program(words[0]) == "chown":
                paths.extend(norm_path(w) for w in words[1:] if w.startswith("/"))
    return paths


def _volumes(run: Run, dc: DevContainer, container: _Container) -> None:
    """DK012 for each volume of a non-root dev container whose mount point the image does
    not create and give to that user."""
    user, facts = container.user, container.facts
    if root_user(user) or container.df is None:
        return
    aliases = facts.aliases(user)
    chowned = _chowned_at_start(dc, {**facts.variables, **container.env})
    for mount in dc.mounts:
        if mount.kind != "volume":
            continue
        target = norm_path(substitute(mount.target, {**facts.variables, **container.env}))
        if target in _ROOT_DAEMON_PATHS or any(related_paths(target, p) for p in chowned):
            continue
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
