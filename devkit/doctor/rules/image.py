"""Rules about the image a Dockerfile ships: a build toolchain left in it (DK005) and the
user it runs as (DK006), worked out as Docker and the Dev Containers CLI decide it."""

from __future__ import annotations

import re
from pathlib import Path

from devkit.dockerfile import Dockerfile, Stage, substitute, unresolved
from devkit.doctor.facts import ImageFacts
from devkit.doctor.images import known_image, root_user
from devkit.doctor.model import WARNING, Rule, Run
from devkit.doctor.project import Build, DevContainer, Project
from devkit.doctor.runs import (
    only_copies_out,
    runs,
    runs_a_dev_server,
    runs_a_mounted_app,
    runs_nothing_of_its_own,
    runs_the_toolchain,
    steps_down,
)
from devkit.doctor.shell import commands, program


def check(run: Run, project: Project) -> None:
    """The image rules on every Dockerfile the audit parsed, with the dev containers that
    run it (or are configured beside it)."""
    built = project.built()
    for key, df in run.parsed.items():
        path = df.path or key  # findings name the file (an inline one's compose file)
        dcs = [dc for dc in project.devcontainers if dc.build and dc.build.key == key]
        users = dcs or _siblings(path, project)
        if len(df.stages) == 1 and _ships(path, df, built[key], users):
            _toolchain(run, path, df)
        _final_user(run, path, df, built[key], users)


def _siblings(path: Path, project: Project) -> list[DevContainer]:
    """The dev containers configured beside a Dockerfile none of them builds (a
    ``base.Dockerfile`` of the image a ``.devcontainer/`` folder publishes, say): their
    users are the users of that image."""
    folder = path.parent
    return [dc for dc in project.devcontainers if dc.config and dc.config.parent == folder]


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
    folder), a base built only to be used FROM, an image whose command runs the toolchain
    itself (`go run main.go`) or a development server (`npm run dev`), a runtime the
    application is mounted into (it runs a file of its working directory that nothing puts
    there: Laravel Sail's), an init or export image whose command only copies what its
    build generated elsewhere (a volume, a mounted folder), or a lone base or tool image
    that runs nothing of its own (the full `python` image ships gcc on purpose)."""
    if users or _DEV_ENV_DIRS & set(path.parts) or known_image(df.stages[0].base).interactive:
        return False
    if _TOOLING_DOCKERFILE.search(path.name) or _BASE_DOCKERFILE.search(path.name):
        return False
    if any(_TOOLING_DIRS.match(part) for part in path.parent.parts):
        return False
    entrypoint, command = runs(df, df.final_stage)
    if runs_the_toolchain([*entrypoint, *command]) or runs_a_dev_server(entrypoint, command):
        return False
    stage = df.final_stage
    if runs_a_mounted_app(df, stage, entrypoint, command):
        return False  # a runtime the project is mounted into: the toolchain builds that
    if only_copies_out(entrypoint, command):
        return False  # a one-shot image: its build ran the toolchain, it runs nothing
    referenced = any(b.origin is not None for b in builds)
    return referenced or not runs_nothing_of_its_own(df, df.final_stage, entrypoint, command)


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
    :func:`devkit.doctor.images.known_image`; an unknown ``FROM $BASE``: no claim). Not
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
        entrypoint, command = runs(df, stage)
        # a Dockerfile nobody references may be built with the repository as its context
        # (`docker build -f .github/workflows/Dockerfile.ci .`): its scripts are looked up
        # there too
        contexts = [context] if referenced else [context, run.root]
        if any(steps_down(df, stage, entrypoint, command, c, facts) for c in contexts):
            continue
        if not (referenced or dev_env) and (
            _BASE_DOCKERFILE.search(path.name)
            or any(runs_nothing_of_its_own(df, stage, entrypoint, command, c) for c in contexts)
        ):
            continue  # a base (Dockerfile.base, ci.alpine-base) is built only to be used FROM
        _root(run, path, df, stage)


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
            f"{df.stage_words(stage)} never sets USER, so it runs as root",
        )
    else:
        run.add(DK006.id, path, user_line, f"{df.stage_words(stage)} ends with USER {user}")


RULES: tuple[Rule, ...] = (DK005, DK006)
