"""Dockerfile rules: installs and their caches (DK002–DK004), toolchains (DK005), root
(DK006), secrets in ARG/ENV (DK007) and the ``# syntax=`` pull (DK013)."""

from __future__ import annotations

import re
from pathlib import Path

from devkit.dockerfile import Dockerfile, Instruction, Stage, substitute
from devkit.doctor.facts import copies_everything, root_user
from devkit.doctor.managers import cache_hint, cache_target_fits, manager_of
from devkit.doctor.model import ERROR, INFO, WARNING, Rule, Run
from devkit.doctor.project import DevContainer, Project
from devkit.doctor.shell import commands, program, related_paths


def check(run: Run, project: Project) -> None:
    """Every Dockerfile rule on every Dockerfile the audit parsed."""
    built = project.built()
    for path, df in run.parsed.items():
        _installs(run, path, df)
        dev_image = any(
            dc.build and dc.build.dockerfile.resolve() == path for dc in project.devcontainers
        )
        # A dev container's image is where the toolchain belongs: DK005 is about images
        # that ship.
        if len(df.stages) == 1 and not dev_image and not _TOOLING_DOCKERFILE.search(path.name):
            _toolchain(run, path, df)
        _syntax(run, path, df)
        _final_user(run, path, df, {b.target for b in built[path]}, project.devcontainers)


def _stage_words(df: Dockerfile, stage: Stage) -> str:
    """How a message names a stage: ``stage deps``, ``the image``, ``the final stage``."""
    if stage.name:
        return f"stage {stage.name}"
    if len(df.stages) == 1:
        return "the image"
    # Numbered as COPY --from=<n> and BuildKit's "stage-<n>" count them: from 0.
    return "the final stage" if stage is df.final_stage else f"stage {stage.index} (unnamed)"


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


def _installs(run: Run, path: Path, df: Dockerfile) -> None:
    """DK002–DK004 (and DK007 on each ARG/ENV): one walk through every stage and the stages
    it builds on, following ARG/ENV values, the docker-clean hook and a COPY of everything."""
    reported_copy: set[int] = set()
    for stage in df.stages:
        chain = df.chain(stage)
        env: dict[str, str] = {}
        variables: dict[str, str | None] = dict(df.global_args)
        installed_before: set[str] = set()
        copy_all: Instruction | None = None
        docker_clean_off = False
        for st in chain:
            own = st is stage
            for ins in st.instructions:
                if ins.keyword in ("ARG", "ENV"):
                    for name, value in ins.assignments():
                        value = (
                            substitute(value, {**variables, **env}) if value is not None else None
                        )
                        if ins.keyword == "ENV" and value is not None:
                            env[name] = value
                        if ins.keyword == "ARG":
                            variables.setdefault(name, value)
                        if own:
                            _secret(run, path, df, ins, name, value)
                    continue
                if ins.keyword in ("COPY", "ADD") and not ins.flag("from"):
                    if "apt.conf.d" in ins.args:
                        docker_clean_off = True
                    if copy_all is None and copies_everything(ins):
                        copy_all = ins
                    continue
                if ins.keyword != "RUN":
                    continue
                script = ins.script()
                cache_targets = [
                    m.get("target", "") for m in ins.mounts() if m.get("type") == "cache"
                ]
                managers_here: list[str] = []
                for words in commands(script, {**variables, **env}):
                    if _disables_docker_clean(words):
                        docker_clean_off = True
                    manager = manager_of(words)
                    if manager is None or manager in managers_here:
                        continue
                    managers_here.append(manager)
                    if not own:
                        continue
                    cached = any(cache_target_fits(manager, t, env) for t in cache_targets)
                    if not cached:
                        run.add(
                            DK002.id,
                            path,
                            ins.line,
                            f"{manager} install in {_stage_words(df, stage)} without a "
                            f"cache mount for its cache ({cache_hint(manager)})",
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
                    installed_before.add(manager)


def _disables_docker_clean(words: list[str]) -> bool:
    """Whether a command switches the docker-clean hook off (DK003)."""
    text = " ".join(words)
    if "Keep-Downloaded-Packages" in text and "true" in text:
        return True
    return bool(
        "docker-clean" in text
        and program(words[0]) in ("rm", "mv", "truncate", "sed", "echo", "printf", "cp", "ln")
    )


# --------------------------------------------------------------------------- DK005

DK005 = Rule(
    "DK005",
    "toolchain-in-final-image",
    WARNING,
    "Build toolchain left in the final stage of a single-stage image",
    "Compilers, headers and SDKs make the image larger and slower to pull and give an "
    "attacker more tools.",
    "Build in a separate stage and COPY --from it only the results into a slim final stage.",
)

# Dockerfile.dev, test.Dockerfile, Dockerfile.ci, Dockerfile.build: images made to develop,
# test or build in, where the toolchain is the point (DK005 is about images that ship).
_TOOLING_DOCKERFILE = re.compile(
    r"(^|[.-])(dev|devel|develop|development|test|tests|ci|build|builder)([.-]|$)", re.IGNORECASE
)
_TOOLCHAIN_PACKAGES = re.compile(
    r"^(build-essential|build-base|gcc(-[0-9.]+)?|g\+\+(-[0-9.]+)?|clang(-[0-9]+)?|make|cmake|"
    r"autoconf|automake|libtool|pkg-config|pkgconf|musl-dev|golang(-go)?|rustc|cargo|"
    r"default-jdk|openjdk-[0-9]+-jdk(-headless)?|[a-z0-9.+-]+-dev)(=.*)?$"
)
_SDK_IMAGE = re.compile(
    r"^((docker\.io/)?(library/)?(golang|rust|maven|gradle|gcc|buildpack-deps)(:|@|$)|"
    r"mcr\.microsoft\.com/dotnet/sdk|.*eclipse-temurin:[^ ]*jdk)"
)


def _toolchain(run: Run, path: Path, df: Dockerfile) -> None:
    """DK005 for a single-stage image: an SDK base image, or build tools installed and not
    purged again."""
    stage = df.final_stage
    if _SDK_IMAGE.match(stage.base):
        run.add(
            DK005.id,
            path,
            stage.line,
            f"single-stage image on the SDK image {stage.base}: the whole toolchain ships",
        )
        return
    installed: dict[str, int] = {}
    for ins in stage.instructions:
        if ins.keyword != "RUN":
            continue
        for words in commands(ins.script()):
            prog = program(words[0])
            sub = next((w for w in words[1:] if not w.startswith("-")), "")
            if prog in ("apt-get", "apt", "apk") and sub in ("install", "add"):
                if prog == "apk" and any(w.startswith(("--virtual", "-t")) for w in words):
                    continue
                for pkg in words[1:]:
                    if not pkg.startswith("-") and pkg != sub and _TOOLCHAIN_PACKAGES.match(pkg):
                        installed.setdefault(pkg.split("=")[0], ins.line)
            elif prog in ("apt-get", "apt", "apk") and sub in (
                "purge",
                "remove",
                "del",
                "autoremove",
            ):
                for pkg in words[1:]:
                    installed.pop(pkg, None)
    if installed:
        line = min(installed.values())
        names = ", ".join(sorted(installed))
        run.add(
            DK005.id,
            path,
            line,
            f"single-stage image installs build tools that stay in the final image: {names}",
        )


# --------------------------------------------------------------------------- DK006

DK006 = Rule(
    "DK006",
    "final-stage-root",
    WARNING,
    "Final stage runs as root",
    "A process running as root in the container is root on every bind-mounted file and a "
    "step closer to root on the host; files it writes to the workspace become root-owned.",
    "Create a user (useradd) and end the stage with USER <name>.",
)

# Base images that are built to run as a non-root user by default (their tag says so).
_NONROOT_IMAGE = re.compile(r":[^/@]*\b(nonroot|non-root|rootless)\b", re.IGNORECASE)


def _final_user(
    run: Run, path: Path, df: Dockerfile, targets: set[str | None], dcs: list[DevContainer]
) -> None:
    """DK006 for each stage that is built last (the final one, and each build target),
    unless a dev container runs the image as a non-root user."""
    finals = {df.final_stage.index}
    for target in targets:
        if target:
            chosen = df.stage(target)
            if chosen is not None:
                finals.add(chosen.index)
    # A dev container's processes run as containerUser, and everything the developer
    # starts (shells, editor server, lifecycle commands) as remoteUser: either one
    # non-root is the standard way to run a dev image (mcr.microsoft.com/devcontainers/*
    # images set no USER and rely on remoteUser).
    runs_as = {
        u
        for dc in dcs
        if dc.build and dc.build.dockerfile.resolve() == path
        for u in (dc.container_user, dc.remote_user)
    }
    if any(u and not root_user(u) for u in runs_as):
        return
    for index in sorted(finals):
        _root(run, path, df, df.stages[index])


def _root(run: Run, path: Path, df: Dockerfile, stage: Stage) -> None:
    """DK006 when ``stage`` ends as root: no USER (on a base that is not non-root), or root."""
    user: str | None = None
    user_line: int | None = None
    variables: dict[str, str | None] = dict(df.global_args)
    for st in df.chain(stage):
        for ins in st.instructions:
            if ins.keyword in ("ARG", "ENV"):
                for name, value in ins.assignments():
                    if value is not None:
                        variables[name] = substitute(value, variables)
                    else:
                        variables.setdefault(name, None)
            elif ins.keyword == "USER":
                user = substitute(ins.args.strip(), variables)
                user_line = ins.line
    if user is not None and not root_user(user):
        return
    base = df.chain(stage)[0].base
    if user is None and _NONROOT_IMAGE.search(base):
        return  # e.g. gcr.io/distroless/static:nonroot sets USER nonroot itself
    if user is None:
        run.add(
            DK006.id,
            path,
            stage.line,
            f"{_stage_words(df, stage)} never sets USER, so it runs as root",
        )
    else:
        run.add(DK006.id, path, user_line, f"{_stage_words(df, stage)} ends with USER {user}")


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

_SECRET_NAME = re.compile(
    r"(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY|"
    r"CREDENTIALS?|AUTH)(_|$)",
    re.IGNORECASE,
)
# Settings *about* a secret, not the secret: API_KEY_HEADER, TOKEN_EXPIRY, SECRET_KEY_BASE_DUMMY
# (Rails' flag for a throwaway key), PASSWORD_FILE pointing at /run/secrets/…
_NOT_SECRET_SUFFIX = re.compile(
    r"_(FILE|PATH|DIR|HOST|PORT|USER|USERNAME|NAME|ID|URL|ENABLED|DISABLED|REQUIRED|METHOD|"
    r"TYPE|HEADER|EXPIRY|EXPIRES|EXPIRATION|TTL|TIMEOUT|LIFETIME|LENGTH|LEN|SIZE|DUMMY|PREFIX|"
    r"ENDPOINT|REGION|MODE|ALGORITHM|ISSUER|AUDIENCE|VERSION|PROVIDER|DOMAIN|SCOPES?|"
    r"STRATEGY|REALM|BACKEND)$",
    re.IGNORECASE,
)
_SWITCH_VALUES = {"true", "false", "yes", "no", "on", "off", "0", "1"}
_SECRET_VALUE = re.compile(
    r"(ghp_|gho_|ghs_|github_pat_|glpat-|xox[baprs]-|sk-[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|"
    r"-----BEGIN [A-Z ]*PRIVATE KEY|"
    # credentials inside a URL: https://user:password@host (PIP_EXTRA_INDEX_URL & co.)
    r"://[^/\s:@$]+:[^/\s@$]+@)"
)


def _secret(
    run: Run, path: Path, df: Dockerfile, ins: Instruction, name: str, value: str | None
) -> None:
    """DK007 for one ARG/ENV key whose name or value looks like a secret."""
    by_name = bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_SUFFIX.search(name)
    if value is not None and value.strip().lower() in _SWITCH_VALUES:
        by_name = False  # DISABLE_AUTH=true, USE_TOKEN=0: a switch, not a secret
    by_value = bool(value and _SECRET_VALUE.search(value))
    if not (by_name or by_value):
        return
    if ins.keyword == "ENV":
        where = "stored in the image config" + (" with its value" if value else "")
    else:
        where = "recorded in the image's build history"
    line = _assignment_line(df.lines, ins, name)
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


RULES: tuple[Rule, ...] = (DK002, DK003, DK004, DK005, DK006, DK007, DK013)
