"""Rules about the image a Dockerfile ships: a build toolchain left in it (DK005) and the
user it runs as (DK006), worked out as Docker and the Dev Containers CLI decide it."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from devkit.dockerfile import Dockerfile, Stage, substitute, unresolved
from devkit.doctor.facts import ImageFacts
from devkit.doctor.images import known_image, root_user
from devkit.doctor.model import WARNING, Rule, Run
from devkit.doctor.project import Build, DevContainer, Project
from devkit.doctor.shell import commands, program, safe_split


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
    itself (`go run main.go`), or a lone base or tool image that runs nothing of its own (the
    full `python` image ships gcc on purpose)."""
    if users or _DEV_ENV_DIRS & set(path.parts) or known_image(df.stages[0].base).interactive:
        return False
    if _TOOLING_DOCKERFILE.search(path.name) or _BASE_DOCKERFILE.search(path.name):
        return False
    if any(_TOOLING_DIRS.match(part) for part in path.parent.parts):
        return False
    entrypoint, command = _runs(df, df.final_stage)
    if _runs_the_toolchain([*entrypoint, *command]):
        return False
    referenced = any(b.origin is not None for b in builds)
    return referenced or not _runs_nothing_of_its_own(df, df.final_stage, entrypoint, command)


#: Commands that need the toolchain when the container runs (`go run main.go`, `cargo
#: watch`, `dotnet watch`): the SDK in the image is what it runs. `dotnet app.dll` is not.
_TOOLCHAIN_COMMANDS = {"go", "cargo", "mvn", "mvnw", "gradle", "gradlew", "make"}
_DOTNET_SDK_VERBS = {"run", "watch", "test", "build"}


def _runs_the_toolchain(words: list[str]) -> bool:
    while words and (program(words[0]) in _INITS or words[0] == "--"):
        words = words[1:]
    if not words:
        return False
    prog = program(words[0])
    if prog in _TOOLCHAIN_COMMANDS:
        return True
    return prog == "dotnet" and len(words) > 1 and words[1] in _DOTNET_SDK_VERBS


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
        entrypoint, command = _runs(df, stage)
        # a Dockerfile nobody references may be built with the repository as its context
        # (`docker build -f .github/workflows/Dockerfile.ci .`): its scripts are looked up
        # there too
        contexts = [context] if referenced else [context, run.root]
        if any(_steps_down(df, stage, entrypoint, command, c, facts) for c in contexts):
            continue
        if not (referenced or dev_env) and (
            _BASE_DOCKERFILE.search(path.name)
            or _runs_nothing_of_its_own(df, stage, entrypoint, command)
        ):
            continue  # a base (Dockerfile.base, ci.alpine-base) is built only to be used FROM
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
    words = list(entrypoint)
    while words and program(words[0]) in _INITS:
        # `tini -- /docker-entrypoint.sh`: the init runs the script that follows it
        words = words[1:]
        while words and words[0].startswith("-"):
            words = words[1:]
    if not words:
        return False
    return bool(_STEP_DOWN.search(_copied_script(df, stage, words[0], context)))


#: Init processes an ENTRYPOINT starts with, ahead of the program they run.
_INITS = {"tini", "tini-static", "dumb-init", "catatonit"}


def _copied_script(df: Dockerfile, stage: Stage, script: str, context: Path, hops: int = 0) -> str:
    """The text of the file ``script`` (an absolute path, or a name found on PATH) as the
    Dockerfile puts it there: copied from the context, or from another stage that copied it
    from the context (``COPY --from=build /entrypoint.sh /``); empty when it is not found."""
    name = script.rsplit("/", 1)[-1]
    for st in reversed(df.chain(stage)):
        for ins in reversed(st.instructions):
            if ins.keyword not in ("COPY", "ADD") or not ins.args:
                continue
            words = ins.json_form() or safe_split(ins.args)
            dest = words[-1] if words else ""
            for src in words[:-1]:
                into_folder = dest.endswith("/") or len(words) > 2
                if into_folder:
                    target = f"{dest.rstrip('/')}/{name}"
                    if not fnmatch.fnmatchcase(name, src.rstrip("/").rsplit("/", 1)[-1]):
                        continue
                else:
                    target = dest
                # ENTRYPOINT ["start-container"] runs /usr/local/bin/start-container; a
                # relative destination is in a WORKDIR (not followed): the name decides
                on_path = "/" not in script.removeprefix("./")
                same_name = target.rsplit("/", 1)[-1] == name
                if target != script and not (same_name and (on_path or target[:1] != "/")):
                    continue
                source = (
                    f"{src.rstrip('/').rsplit('/', 1)[0]}/{name}"
                    if into_folder and "/" in src
                    else (name if into_folder else src)
                )
                other = ins.flag("from")
                if other:
                    origin = df.stage(other[-1])
                    if origin is None or hops >= 5:
                        return ""  # an image's file: not in the context
                    return _copied_script(df, origin, "/" + source.lstrip("/"), context, hops + 1)
                return _head(context / source)
    return ""


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
            f"{df.stage_words(stage)} never sets USER, so it runs as root",
        )
    else:
        run.add(DK006.id, path, user_line, f"{df.stage_words(stage)} ends with USER {user}")


RULES: tuple[Rule, ...] = (DK005, DK006)
