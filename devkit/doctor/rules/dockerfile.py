"""Dockerfile rules: installs and their caches (DK002–DK004), toolchains (DK005), root
(DK006), secrets in ARG/ENV (DK007) and the ``# syntax=`` pull (DK013)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from devkit.dockerfile import Dockerfile, Instruction, Stage, substitute, unresolved
from devkit.doctor.facts import (
    ImageFacts,
    copied_manifests,
    copies_everything,
    known_image,
    looks_secret,
    root_user,
)
from devkit.doctor.managers import (
    cache_hint,
    cache_target_fits,
    global_install,
    go_need,
    install_words,
    manager_of,
)
from devkit.doctor.model import ERROR, INFO, WARNING, Rule, Run
from devkit.doctor.project import Build, DevContainer, Project
from devkit.doctor.shell import commands, program, related_paths, safe_split


def check(run: Run, project: Project) -> None:
    """Every Dockerfile rule on every Dockerfile the audit parsed."""
    built = project.built()
    for key, df in run.parsed.items():
        path = df.path or key  # findings name the file (an inline one's compose file)
        dcs = [dc for dc in project.devcontainers if dc.build and dc.build.key == key]
        users = dcs or _siblings(path, project)
        _installs(run, path, df, _shipped_stages(df, built[key]))
        if len(df.stages) == 1 and _ships(path, df, built[key], users):
            _toolchain(run, path, df)
        _syntax(run, path, df)
        _final_user(run, path, df, built[key], users)


def _shipped_stages(df: Dockerfile, builds: list[Build]) -> set[int]:
    """The stages the built images are made of: the final stage's, and each build target's,
    with the stages they build on (not the builders they only COPY --from)."""
    ends = [df.final_stage]
    ends += [st for b in builds if b.target and (st := df.stage(b.target)) is not None]
    return {st.index for end in ends for st in df.chain(end)}


def _siblings(path: Path, project: Project) -> list[DevContainer]:
    """The dev containers configured beside a Dockerfile none of them builds (a
    ``base.Dockerfile`` of the image a ``.devcontainer/`` folder publishes, say): their
    users are the users of that image."""
    folder = path.parent
    return [dc for dc in project.devcontainers if dc.config and dc.config.parent == folder]


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
                    for name, value in ins.assignments():
                        value = (
                            substitute(value, {**variables, **env}) if value is not None else None
                        )
                        if ins.keyword == "ENV" and value is not None:
                            env[name] = value
                        if ins.keyword == "ARG":
                            variables.setdefault(name, value)
                        if own:
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
                            f"{install_words(words, manager)} in {_stage_words(df, stage)} "
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


# Dockerfile.base, base.Dockerfile: built only to be used FROM by another Dockerfile.
_BASE_DOCKERFILE = re.compile(r"(^|[.-])base([.-]|$)", re.IGNORECASE)
# Folders of Dockerfiles that build packages or run CI, not images that ship.
_TOOLING_DIRS = re.compile(r"^(packaging|packages?-build|ci|\.github|\.ci|build-tools?)$")


def _ships(path: Path, df: Dockerfile, builds: list[Build], users: list[DevContainer]) -> bool:
    """Whether DK005 applies: the image ships to run somewhere, it is not a development
    environment (a dev container's image, a notebook image, a Dockerfile in a dev-environment
    folder: the toolchain is the point there), a build or test image (by its name or
    folder), a base built only to be used FROM, or a lone base or tool image that runs nothing
    of its own (the full `python` image ships gcc on purpose)."""
    if users or _DEV_ENV_DIRS & set(path.parts) or known_image(df.stages[0].base).interactive:
        return False
    if _TOOLING_DOCKERFILE.search(path.name) or _BASE_DOCKERFILE.search(path.name):
        return False
    if any(_TOOLING_DIRS.match(part) for part in path.parent.parts):
        return False
    if not any(b.origin is not None for b in builds):
        entrypoint, command = _runs(df, df.final_stage)
        if _runs_nothing_of_its_own(df, df.final_stage, entrypoint, command):
            return False
    return True


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
        here: set[str] = set()  # installed by this RUN
        auto_marked = False
        for words in commands(ins.script()):
            prog = program(words[0])
            sub = next((w for w in words[1:] if not w.startswith("-")), "")
            if prog == "apt-mark" and sub == "auto":
                auto_marked = True
            elif (
                auto_marked
                and prog in ("apt-get", "apt")
                and (
                    sub == "autoremove" or (sub in ("purge", "remove") and "--auto-remove" in words)
                )
            ):
                # `apt-mark auto '.*'; apt-mark manual $saved; apt-get purge --auto-remove`
                # (the official images' way): everything this RUN installed goes again, but
                # for the run-time libraries marked manual again
                for pkg in here:
                    installed.pop(pkg, None)
            if prog in ("apt-get", "apt", "apk") and sub in ("install", "add"):
                if prog == "apk" and any(w.startswith(("--virtual", "-t")) for w in words):
                    continue
                for pkg in words[1:]:
                    if not pkg.startswith("-") and pkg != sub and _TOOLCHAIN_PACKAGES.match(pkg):
                        installed.setdefault(pkg.split("=")[0], ins.line)
                        here.add(pkg.split("=")[0])
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

# Commands that run nothing of an image's own: a shell or a language's REPL. An image whose
# command is one of these (or that has none) is a base or tool image: USER belongs in the
# images built from it (a USER here breaks their `apt-get install`).
_SHELLS_AND_REPLS = {
    "sh", "bash", "ash", "dash", "zsh", "fish", "pwsh", "powershell", "cmd",
    "python", "python3", "python2", "ipython", "node", "deno", "bun", "irb", "ruby", "php",
    "perl", "lua", "jshell", "ghci", "iex", "erl", "R", "julia", "scala", "groovysh",
}  # fmt: skip
# Servers that start as root and hand their workers to an unprivileged user themselves
# (apache's User, php-fpm's pool user, nginx's worker user) or through their official
# image's entrypoint (postgres, mysqld, redis-server: gosu).
_DROPPING_DAEMONS = {
    "apache2-foreground", "httpd-foreground", "apache2ctl", "httpd", "php-fpm", "nginx",
    "postgres", "mysqld", "mariadbd", "redis-server", "mongod", "rabbitmq-server",
}  # fmt: skip
# Entrypoints that only set up and then run the command (CMD) they are given.
_WRAPPERS = re.compile(r"^(tini|dumb-init|.*entrypoint.*|init)$", re.IGNORECASE)
# Arguments that only ask a program about itself (`dotnet --info`): a command of that kind
# prints something and exits; the image runs nothing of its own.
_QUESTIONS = {"--info", "--version", "-v", "--help", "-h", "version", "info", "help"}
# What an entrypoint script uses to hand the process to another user.
_STEP_DOWN = re.compile(
    r"\b(gosu|su-exec|setpriv|runuser|chpst\s+-u|s6-setuidgid|setuidgid)\b|\bsu\b[^\n]*\s-c\b|"
    r"\bsu\s+-p\b|\bexec\s+su\b"
)
# Where an image that ships no application of its own puts what it copies: scripts and config.
_NOT_APP = ("/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/bin", "/sbin",
            "/etc", "/usr/local/etc", "/docker-entrypoint", "/tmp",
            "/usr/local/share/ca-certificates", "/usr/share/ca-certificates")  # fmt: skip
# Folders of development environments (the image a developer works in).
_DEV_ENV_DIRS = {".devcontainer", ".codesandbox", ".gitpod", ".idx"}


def _final_user(
    run: Run, path: Path, df: Dockerfile, builds: list[Build], dcs: list[DevContainer]
) -> None:
    """DK006 for each stage that is built last (the final one, and each build target) and
    runs as root.

    Who runs the image is worked out as Docker and the Dev Containers CLI do: a dev
    container's ``containerUser``/``remoteUser`` or a compose service's ``user``, else the last
    ``USER`` (a variable only the build knows: no claim), else the base image's user (see
    :func:`devkit.doctor.facts.known_image`; an unknown ``FROM $BASE``: no claim). Not
    reported: Windows images, entrypoints that hand the service to another user (gosu &
    co.), and Dockerfiles no compose file or dev container builds whose image runs nothing
    of its own (no command, a shell or REPL, or a server dropping root itself, with no
    application copied in): base and tool images, where USER belongs in what is built from
    them.
    """
    finals = {df.final_stage.index}
    for b in builds:
        chosen = df.stage(b.target) if b.target else None
        if chosen is not None:
            finals.add(chosen.index)
    users = {u for dc in dcs for u in (dc.container_user, dc.remote_user)}
    users |= {b.user for b in builds}
    if any(u and not root_user(u) and "$" not in u for u in users):
        return  # run as a non-root user by whoever runs it
    referenced = any(b.origin is not None for b in builds)
    dev_env = bool(dcs) or bool(_DEV_ENV_DIRS & set(path.parts)) or "gitpod" in path.name
    context = builds[0].context if builds else path.parent
    for index in sorted(finals):
        stage = df.stages[index]
        args = builds[0].args if builds else {}
        facts = ImageFacts.collect(df, stage, args)
        if facts.known.windows:
            continue  # no root user on Windows
        if facts.user is None and unresolved(
            df.chain(stage)[0].base_raw, {**df.global_args, **args}
        ):
            continue  # no USER on an unknown base: its user is unknown too
        user = facts.runs_as()
        if user is None or not root_user(user):
            continue
        entrypoint, command = _runs(df, stage)
        if _steps_down(df, stage, entrypoint, command, context, facts):
            continue
        if not (referenced or dev_env) and _runs_nothing_of_its_own(df, stage, entrypoint, command):
            continue
        _root(run, path, df, stage)


def _runs(df: Dockerfile, stage: Stage) -> tuple[list[str], list[str]]:
    """The ENTRYPOINT and CMD words the stage (and the stages it builds on) set last."""
    entrypoint: list[str] = []
    command: list[str] = []
    for st in df.chain(stage):
        for ins in st.instructions:
            if ins.keyword in ("ENTRYPOINT", "CMD"):
                words = ins.json_form() or safe_split(ins.args)
                if ins.keyword == "ENTRYPOINT":
                    entrypoint, command = words, []  # a new ENTRYPOINT resets CMD
                else:
                    command = words
    return entrypoint, command


def _steps_down(
    df: Dockerfile,
    stage: Stage,
    entrypoint: list[str],
    command: list[str],
    context: Path,
    facts: ImageFacts,
) -> bool:
    """Whether the container starts as root only to hand its process to another user: a
    base image whose entrypoint does (kept when the stage sets none of its own), gosu & co.
    in the command, or in the entrypoint script the Dockerfile copies from the context."""
    if facts.known.steps_down and not entrypoint:
        return True
    if _STEP_DOWN.search(" ".join(entrypoint + command)):
        return True
    if not entrypoint:
        return False
    script = entrypoint[0]
    name = script.rsplit("/", 1)[-1]
    for st in df.chain(stage):
        for ins in st.instructions:
            if ins.keyword not in ("COPY", "ADD") or ins.flag("from") or not ins.args:
                continue
            words = ins.json_form() or safe_split(ins.args)
            dest = words[-1] if words else ""
            for src in words[:-1]:
                if dest.rstrip("/") != script and not (
                    (dest.endswith("/") or len(words) > 2)
                    and fnmatch.fnmatchcase(name, src.rstrip("/").rsplit("/", 1)[-1])
                ):
                    continue
                # the script as the context holds it (a glob: the file it copies there)
                folder = (context / src).parent
                if _STEP_DOWN.search(_head(folder / name if dest.endswith("/") else context / src)):
                    return True
    return False


def _head(path: Path) -> str:
    """The first 256 kB of a text file (empty when it cannot be read)."""
    try:
        with path.open("rb") as f:
            return f.read(262_144).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _runs_nothing_of_its_own(
    df: Dockerfile, stage: Stage, entrypoint: list[str], command: list[str]
) -> bool:
    """Whether the image is a base or tool image: it has no command, or a shell or REPL, or
    a server that drops root itself while no application is copied into it."""
    # what runs: ENTRYPOINT with CMD as its arguments (a wrapper entrypoint runs the CMD)
    wrapped = not entrypoint or _WRAPPERS.match(program(entrypoint[0]))
    words = command if wrapped else entrypoint + command
    if words and _WRAPPERS.match(program(words[0])):
        words = [w for w in words[1:] if w != "--"]
    if not words:
        return True
    prog = program(words[0])
    bare = all(w.startswith("-") and w != "-c" for w in words[1:])  # `python3`, `php -a`
    if bare and (prog in _SHELLS_AND_REPLS or re.fullmatch(r"python[0-9.]*", prog)):
        return True
    if len(words) > 1 and all(w in _QUESTIONS for w in words[1:]):
        return True
    return prog in _DROPPING_DAEMONS and not _ships_application(df, stage)


def _ships_application(df: Dockerfile, stage: Stage) -> bool:
    """Whether the stage (or those it builds on) copies something other than scripts and
    configuration into the image: the application it exists to run."""
    for st in df.chain(stage):
        for ins in st.instructions:
            if ins.keyword not in ("COPY", "ADD"):
                continue
            words = ins.json_form() or safe_split(ins.args)
            dest = words[-1] if words else ""
            sources = words[:-1]
            if dest.startswith(_NOT_APP):
                continue
            if dest == "/" and sources and all(s.endswith((".sh", ".conf")) for s in sources):
                continue
            return True
    return False


def _root(run: Run, path: Path, df: Dockerfile, stage: Stage) -> None:
    """The DK006 finding for ``stage``: at its last USER (root), else at its FROM."""
    user_line: int | None = None
    user = ""
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
    if user_line is None:
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


RULES: tuple[Rule, ...] = (DK002, DK003, DK004, DK005, DK006, DK007, DK013)
