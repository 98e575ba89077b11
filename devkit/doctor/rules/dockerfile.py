"""Dockerfile rules about building: installs and their caches (DK002–DK004), secrets in
ARG/ENV (DK007, found by the same walk, which follows ARG/ENV values and knows which stages
ship) and the ``# syntax=`` pull (DK013)."""

from __future__ import annotations

import re
from pathlib import Path

from devkit.dockerfile import Dockerfile, Instruction, substitute
from devkit.doctor.facts import copied_manifests, copies_everything
from devkit.doctor.images import known_image
from devkit.doctor.managers import (
    cache_hint,
    cache_target_fits,
    global_install,
    go_need,
    install_words,
    manager_of,
)
from devkit.doctor.model import ERROR, INFO, WARNING, Rule, Run
from devkit.doctor.project import Build, Project
from devkit.doctor.secrets import looks_secret
from devkit.doctor.shell import commands, program, related_paths


def check(run: Run, project: Project) -> None:
    """The install, secret and syntax rules on every Dockerfile the audit parsed."""
    built = project.built()
    for key, df in run.parsed.items():
        path = df.path or key  # findings name the file (an inline one's compose file)
        _installs(run, path, df, _shipped_stages(df, built[key]))
        _syntax(run, path, df)


def _shipped_stages(df: Dockerfile, builds: list[Build]) -> set[int]:
    """The stages the built images are made of: the final stage's, and each build target's,
    with the stages they build on (not the builders they only COPY --from)."""
    ends = [df.final_stage]
    ends += [st for b in builds if b.target and (st := df.stage(b.target)) is not None]
    return {st.index for end in ends for st in df.chain(end)}


# --------------------------------------------------------------------------- DK002 - DK004

DK002 = Rule(
    "DK002",
    "install-without-cache-mount",
    WARNING,
    "Package install without a BuildKit cache mount",
    "Every change to the dependency list re-downloads every package from the network.",
    "Add RUN --mount=type=cache,target=<the manager's cache dir> to the install step.",
)
DK003 = Rule(
    "DK003",
    "apt-cache-mount-cleaned",
    WARNING,
    "apt cache mount while the docker-clean hook still empties it",
    "Debian/Ubuntu images ship /etc/apt/apt.conf.d/docker-clean, which deletes downloaded "
    ".debs after every install, so the cache mount stays empty and is useless.",
    "rm -f /etc/apt/apt.conf.d/docker-clean and set Binary::apt::APT::Keep-Downloaded-"
    'Packages "true" before the install.',
)
DK004 = Rule(
    "DK004",
    "source-before-dependencies",
    WARNING,
    "Whole source copied before dependencies are installed",
    "Any edit to any file invalidates the layer cache from the COPY on, so every source "
    "edit reinstalls all dependencies.",
    "COPY only the dependency manifests and lock files, install, then COPY the rest.",
)


def _installs(run: Run, path: Path, df: Dockerfile, shipped: set[int]) -> None:
    """DK002–DK004 (and DK007 on each ARG/ENV): one walk through every stage and the stages
    it builds on, following ARG/ENV values, the docker-clean hook and a COPY of everything.
    ``shipped``: the indexes of the stages the images built are made of."""
    reported_copy: set[int] = set()
    for stage in df.stages:
        chain = df.chain(stage)
        known = known_image(chain[0].base)
        # the base image's ENV moves caches too (GOPATH=/go in golang images)
        env: dict[str, str] = dict(known.env)
        variables: dict[str, str | None] = dict(df.global_args)
        installed_before: set[str] = set()
        manifests: set[str] = set()  # managers whose manifests were copied so far
        copy_all: Instruction | None = None
        docker_clean_off = False
        for st in chain:
            own = st is stage
            for ins in st.instructions:
                if ins.keyword in ("ARG", "ENV"):
                    for name, raw in ins.assignments():
                        value = substitute(raw, {**variables, **env}) if raw is not None else None
                        if ins.keyword == "ENV" and value is not None:
                            env[name] = value
                        if ins.keyword == "ARG":
                            variables.setdefault(name, value)
                        # `ENV SECRET_KEY_BASE=""` names a setting and stores nothing (an
                        # ARG without a value is different: --build-arg fills it)
                        if own and not (ins.keyword == "ENV" and raw == ""):
                            _secret(run, path, df, ins, name, value, stage.index in shipped)
                    continue
                if ins.keyword in ("COPY", "ADD"):
                    manifests |= copied_manifests(ins)
                if ins.keyword in ("COPY", "ADD") and not ins.flag("from"):
                    if "apt.conf.d" in ins.args:
                        docker_clean_off = True
                    if copy_all is None and copies_everything(ins):
                        copy_all = ins
                    continue
                if ins.keyword != "RUN":
                    continue
                manifests |= copied_manifests(ins)  # bind-mounted for this RUN
                script = ins.script()
                cache_targets = [
                    m.get("target", "") for m in ins.mounts() if m.get("type") == "cache"
                ]
                managers_here: list[str] = []
                project_installs: set[str] = set()  # not a global tool install (DK004)
                for words in commands(script, {**variables, **env}):
                    if _disables_docker_clean(words):
                        docker_clean_off = True
                    manager = manager_of(words)
                    if manager is not None and not global_install(words):
                        project_installs.add(manager)
                    if manager is None or manager in managers_here:
                        continue
                    managers_here.append(manager)
                    if not own:
                        continue
                    need = go_need(words) if manager == "go" else None
                    cached = any(cache_target_fits(manager, t, env, need) for t in cache_targets)
                    # BuildKit has no cache mounts for Windows images
                    if not cached and not known.windows:
                        which = "build cache" if need == "build" else "cache"
                        run.add(
                            DK002.id,
                            path,
                            ins.line,
                            f"{install_words(words, manager)} in {df.stage_words(stage)} "
                            f"without a cache mount for its {which} "
                            f"({cache_hint(manager, env, need)})",
                        )
                    if (
                        manager == "apt"
                        # the hook deletes .debs in /var/cache/apt (not the lists)
                        and any(related_paths(t, "/var/cache/apt") for t in cache_targets)
                        and not docker_clean_off
                        and "Keep-Downloaded-Packages=true" not in " ".join(words)
                    ):
                        run.add(
                            DK003.id,
                            path,
                            ins.line,
                            "apt cache mount, but nothing before this step removes "
                            "/etc/apt/apt.conf.d/docker-clean, so the cache stays empty",
                        )
                for manager in managers_here:
                    if manager in _SYSTEM_MANAGERS or manager not in project_installs:
                        # system packages (git, curl) are no dependency of the source:
                        # copying its manifests first would change nothing for them
                        continue
                    if (
                        (
                            copy_all is not None
                            and manager not in installed_before
                            and "--no-deps" not in script
                        )
                        and own
                        and copy_all.line not in reported_copy
                    ):
                        reported_copy.add(copy_all.line)
                        run.add(
                            DK004.id,
                            path,
                            copy_all.line,
                            f"the whole source is copied before `{manager}` installs "
                            f"dependencies (line {ins.line}): any edit reinstalls them",
                        )
                    # Dependencies count as installed before the source only when their
                    # manifests were copied for it: a `pip install --upgrade pip` with
                    # nothing copied yet installs none of them.
                    if manager in manifests or copy_all is not None:
                        installed_before.add(manager)


#: Package managers of the system, not of the project's dependencies (DK004).
_SYSTEM_MANAGERS = {"apt", "apk"}


def _disables_docker_clean(words: list[str]) -> bool:
    """Whether a command switches the docker-clean hook off (DK003)."""
    text = " ".join(words)
    if "Keep-Downloaded-Packages" in text and "true" in text:
        return True
    return bool(
        "docker-clean" in text
        and program(words[0]) in ("rm", "mv", "truncate", "sed", "echo", "printf", "cp", "ln")
    )


# --------------------------------------------------------------------------- DK007

DK007 = Rule(
    "DK007",
    "secret-in-arg-env",
    ERROR,
    "Secret passed through ARG or ENV",
    "ENV values are stored in the image config and ARG values in its build history: "
    "anyone who can pull the image can read them.",
    "Use RUN --mount=type=secret,id=<name> and pass it with --secret at build time.",
)


def _secret(
    run: Run,
    path: Path,
    df: Dockerfile,
    ins: Instruction,
    name: str,
    value: str | None,
    shipped: bool = True,
) -> None:
    """DK007 for one ARG/ENV key whose name or value looks like a secret. In a stage that is
    not part of the image built (a builder the final stage only copies from), the secret is
    not in the image: a warning that says where it is kept."""
    if not looks_secret(name, value):
        return
    line = _assignment_line(df.lines, ins, name)
    if not shipped:
        run.add(
            DK007.id,
            path,
            line,
            f"{ins.keyword} {name} looks like a secret: not in the final image, but kept in "
            "this stage's build cache and history (and in any cache exported with mode=max)",
            WARNING,
        )
        return
    if ins.keyword == "ENV":
        where = "stored in the image config" + (" with its value" if value else "")
    else:
        where = "recorded in the image's build history"
    run.add(DK007.id, path, line, f"{ins.keyword} {name} looks like a secret: {where}")


def _assignment_line(text: list[str], ins: Instruction, name: str) -> int:
    """The physical line of ``name`` in a multi-line ARG/ENV (so each key can be found
    and silenced on its own line); the instruction's first line otherwise."""
    if ins.end_line <= ins.line:
        return ins.line
    pattern = re.compile(rf"(^|[\s\\]){re.escape(name)}(=|\s|\\|$)")
    for number in range(ins.line, min(ins.end_line, len(text)) + 1):
        line = text[number - 1]
        # the first line holds the keyword itself: look after it
        probe = line.split(None, 1)[1] if number == ins.line and " " in line else line
        if pattern.search(probe) and not probe.lstrip().startswith("#"):
            return number
    return ins.line


# --------------------------------------------------------------------------- DK013

DK013 = Rule(
    "DK013",
    "syntax-directive-pull",
    INFO,
    "# syntax= directive: BuildKit fetches a frontend image before every build",
    "BuildKit resolves the named frontend image (docker/dockerfile:…) from a registry "
    "before building; without registry access (offline, air-gapped, a CI without "
    "credentials) the build fails before its first step.",
    "Drop the line if the built-in frontend is enough (cache and secret mounts and "
    "heredocs need Docker 23+ or buildx), or pin it by digest and mirror it.",
)


def _syntax(run: Run, path: Path, df: Dockerfile) -> None:
    """DK013 for a ``# syntax=`` parser directive."""
    if "syntax" in df.directives:
        run.add(
            DK013.id,
            path,
            _directive_line(df, "syntax"),
            f"the build starts by fetching {df.directives['syntax']} from a registry",
        )


def _directive_line(df: Dockerfile, name: str) -> int | None:
    """Line of a parser directive (they sit at the very top of the file)."""
    for number, line in enumerate(df.lines[:20], 1):
        if re.match(rf"^\s*#\s*{name}\s*=", line, re.IGNORECASE):
            return number
    return None


RULES: tuple[Rule, ...] = (DK002, DK003, DK004, DK007, DK013)
