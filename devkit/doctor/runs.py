"""What a built image runs: its ENTRYPOINT and CMD, whether that is an application of its
own or a shell, a REPL, the toolchain, an application mounted into it or only a copy into a
volume, and whether its entrypoint starts as root only to hand the process to another user
(gosu & co.), read from the script the Dockerfile copies in."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from devkit.dockerfile import Dockerfile, Stage
from devkit.doctor.facts import ImageFacts
from devkit.doctor.shell import commands, program, safe_split

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
# Init processes an ENTRYPOINT starts with, ahead of the program they run.
_INITS = {"tini", "tini-static", "dumb-init", "catatonit"}
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
            "/etc", "/usr/local/etc", "/docker-entrypoint", "/tmp", "/tini",
            "/lib/", "/lib64/", "/usr/local/lib/glibc/",
            "/usr/local/share/ca-certificates", "/usr/share/ca-certificates")  # fmt: skip
#: Commands that need the toolchain when the container runs (`go run main.go`, `cargo
#: watch`, `dotnet watch`): the SDK in the image is what it runs. `dotnet app.dll` is not.
_TOOLCHAIN_COMMANDS = {"go", "cargo", "mvn", "mvnw", "gradle", "gradlew", "make"}
_DOTNET_SDK_VERBS = {"run", "watch", "test", "build"}


def runs_the_toolchain(words: list[str]) -> bool:
    """Whether the command ``words`` (ENTRYPOINT then CMD) needs the toolchain at run time."""
    while words and (program(words[0]) in _INITS or words[0] == "--"):
        words = words[1:]
    if not words:
        return False
    prog = program(words[0])
    if prog in _TOOLCHAIN_COMMANDS:
        return True
    return prog == "dotnet" and len(words) > 1 and words[1] in _DOTNET_SDK_VERBS


# Development servers: they serve the sources as they change (rebuilding, reloading), so the
# image is a development environment and its toolchain is what they use.
_NODE_RUNNERS = {"npm", "yarn", "pnpm", "bun"}
_DEV_SCRIPTS = {"dev", "develop", "watch", "start:dev", "serve:dev"}
_DEV_SERVERS = {"nodemon", "air", "reflex"}
_DEV_SUBCOMMANDS = {"next": "dev", "nuxt": "dev", "nuxi": "dev", "ng": "serve", "astro": "dev"}


def runs_a_dev_server(entrypoint: list[str], command: list[str]) -> bool:
    """Whether the container runs a development server that rebuilds or reloads the sources
    as they change (`npm run dev`, `nodemon`, `air`, `next dev`, `uvicorn --reload`),
    directly, behind an init or a wrapper entrypoint, or in a `sh -c` string."""
    wrapped = not entrypoint or _WRAPPERS.match(program(entrypoint[0]))
    words = command if wrapped else [*entrypoint, *command]
    while words and (program(words[0]) in _INITS or words[0] == "--"):
        words = words[1:]
    if len(words) == 3 and program(words[0]) in ("sh", "bash", "ash") and words[1] == "-c":
        return any(_dev_server(cmd) for cmd in commands(words[2]))
    return bool(words) and _dev_server(words)


def _dev_server(words: list[str]) -> bool:
    """:func:`runs_a_dev_server` for one simple command."""
    if program(words[0]) == "npx":  # `npx next dev`: the package's own command
        words = [w for w in words[1:] if not w.startswith("-")] or words
    prog = program(words[0])
    args = [w for w in words[1:] if not w.startswith("-")]
    if prog in _DEV_SERVERS or "--reload" in words:
        return True
    if prog in _NODE_RUNNERS:
        script = args[1] if args[:1] == ["run"] and len(args) > 1 else args[0] if args else ""
        return script in _DEV_SCRIPTS
    # (not `manage.py runserver` or `php artisan serve`: images copying the project in and
    # deployed as they are run those as their server, the toolchain shipped with them)
    return prog in _DEV_SUBCOMMANDS and args[:1] == [_DEV_SUBCOMMANDS[prog]]


def runs(df: Dockerfile, stage: Stage) -> tuple[list[str], list[str]]:
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


def steps_down(
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
    script = _entry_script(entrypoint)
    return bool(script and _STEP_DOWN.search(_copied_script(df, stage, script, context)))


def _entry_script(entrypoint: list[str]) -> str | None:
    """The program an ENTRYPOINT starts, behind an init (`tini -- /docker-entrypoint.sh`)."""
    words = list(entrypoint)
    while words and program(words[0]) in _INITS:
        words = words[1:]
        while words and words[0].startswith("-"):
            words = words[1:]
    return words[0] if words else None


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


def runs_nothing_of_its_own(
    df: Dockerfile,
    stage: Stage,
    entrypoint: list[str],
    command: list[str],
    context: Path | None = None,
) -> bool:
    """Whether the image is a base or tool image: it has no command, or a shell or REPL, or
    a server that drops root itself while no application is copied into it, or (its
    entrypoint script read from ``context``) a runtime that script runs with the command as
    its arguments (`exec deno "$@"`) while no application is copied into it."""
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
    if ships_application(df, stage):
        return False
    if prog in _DROPPING_DAEMONS:
        return True
    # the runtime behind an init (`tini -- /bin/deno`) running an inline snippet (`eval …`,
    # `-e …`): a greeting, with no application of the image's own to run
    inner = [*entrypoint[1:], *command] if entrypoint and program(entrypoint[0]) in _INITS else []
    inner = [w for w in inner if w != "--" and not w.startswith("-")][:2]
    if inner and program(inner[0]) in _SHELLS_AND_REPLS and inner[1:] == ["eval"]:
        return True
    script = _entry_script(entrypoint) if context is not None else None
    if script and wrapped:
        runtime = _EXEC_WITH_ARGS.search(_copied_script(df, stage, script, context or Path()))
        return bool(runtime and program(runtime.group(1)) in _SHELLS_AND_REPLS)
    return False


# An entrypoint script's `exec deno "$@"`: the command (CMD) is that program's arguments.
_EXEC_WITH_ARGS = re.compile(r"\bexec\s+([\w./-]+)\s+\"\$@\"")


def ships_application(df: Dockerfile, stage: Stage) -> bool:
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


# Interpreters whose first argument is the script they run (`php artisan serve`).
_INTERPRETERS = re.compile(r"^(php[0-9.]*|python[0-9.]*|node|ruby|perl|bash|sh|deno|bun)$")
# Commands that put an application into the folder they run in: a clone, a download kept as a
# file or unpacked, a project's dependencies or build (`npm install -g`, `composer global`:
# tools for the whole image, not an application of its own).
_FETCHERS = {"git", "svn", "hg", "tar", "unzip", "wget", "make", "cmake", "go", "cargo", "mvn",
             "gradle", "dotnet", "bundle"}  # fmt: skip
_PROJECT_MANAGERS = {"npm", "yarn", "pnpm", "bun", "composer", "uv", "poetry"}
# pip installs into site-packages; only these put files into the working directory
_PIP_INTO_FOLDER = {"-t", "--target", "--prefix", "--root", "-e", "--editable", "."}


def workdir(df: Dockerfile, stage: Stage) -> str | None:
    """The working directory the stage (and those it builds on) set last, made absolute;
    None when none is set or a variable only the build knows is in it."""
    current: str | None = None
    for st in df.chain(stage):
        for ins in st.instructions:
            if ins.keyword == "WORKDIR":
                path = ins.args.strip().strip("\"'")
                if "$" in path:
                    return None
                base = current or "/"
                current = path if path.startswith("/") else f"{base.rstrip('/')}/{path}"
    return current.rstrip("/") or "/" if current else None


def runs_a_mounted_app(
    df: Dockerfile, stage: Stage, entrypoint: list[str], command: list[str]
) -> bool:
    """Whether the image runs an application it does not hold: a file in its working
    directory (the script an interpreter runs, `php artisan serve`, or a path under that
    folder in ENTRYPOINT, CMD or an ENV an entrypoint reads) that no instruction puts there.
    Nothing is copied in but scripts and configuration, and no RUN clones, downloads, unpacks
    or installs a project there: the folder is a bind mount's target, the image a runtime the
    project is mounted into for development (Laravel Sail's), and its toolchain builds that
    project (pecl with php-dev, composer, node-gyp)."""
    folder = workdir(df, stage)
    if folder is None or folder == "/" or ships_application(df, stage):
        return False
    words = [*entrypoint, *command]
    for st in df.chain(stage):
        for ins in st.instructions:
            if ins.keyword == "ENV":
                words += [w for _, v in ins.assignments() if v for w in safe_split(v)]
            elif ins.keyword == "RUN" and _fills_folder(ins.script()):
                return False
    # a file under the folder (the folder itself may be a data folder the image fills)
    inside = any(w.startswith(folder + "/") for w in words)
    return inside or _runs_relative_script([*entrypoint, *command])


def _fills_folder(script: str) -> bool:
    """Whether a RUN may put a project into its working directory."""
    for words in commands(script):
        prog = program(words[0])
        if prog in _FETCHERS:
            return True
        if prog == "curl" and any(w in ("-o", "-O", "--output", "--remote-name") for w in words):
            return True
        if prog in ("pip", "pip3") and any(w.split("=")[0] in _PIP_INTO_FOLDER for w in words):
            return True
        if prog in _PROJECT_MANAGERS and not ({"-g", "--global", "global"} & set(words[1:])):
            sub = next((w for w in words[1:] if not w.startswith("-")), "")
            if sub in ("install", "i", "ci", "add", "sync", "create-project", "require"):
                return True
    return False


def _runs_relative_script(words: list[str]) -> bool:
    """Whether the command is an interpreter given a script by a relative path (from the
    working directory): `php artisan serve`, `python manage.py runserver`."""
    while words and (program(words[0]) in _INITS or _WRAPPERS.match(program(words[0]))):
        words = words[1:]
    if len(words) < 2 or not _INTERPRETERS.match(program(words[0])):
        return False
    if {"-c", "-m", "-e", "-r", "eval", "run"} & set(words[1:]):
        return False  # an inline snippet, a module or a task runs, not a script file
    script = next((w for w in words[1:] if not w.startswith("-")), "")
    return bool(script) and not script.startswith("/") and "$" not in script


# Programs that copy files and nothing else, and what may go with them in a `sh -c` line.
_COPIERS = {"cp", "rsync", "install", "mv"}
_COPY_HELPERS = {"mkdir", "chmod", "chown", "echo", "true", "ls"}


def only_copies_out(entrypoint: list[str], command: list[str]) -> bool:
    """Whether all the container does is copy files it holds somewhere (`cp /pki/ca.pem
    /pki-out/`, a volume or a folder `docker run -v` mounts) and exit: an init or export
    container handing over what its build generated (certificates, a built site, an APK).
    It runs no program of its own: its toolchain was for the build it is made of."""
    words = command if not entrypoint else [*entrypoint, *command]
    if len(words) == 3 and program(words[0]) in ("sh", "bash", "ash") and words[1] == "-c":
        steps = commands(words[2])
    else:
        steps = [words] if words else []
    if not steps or any(program(step[0]) not in _COPIERS | _COPY_HELPERS for step in steps):
        return False
    copies = [step for step in steps if program(step[0]) in _COPIERS]
    return bool(copies) and all(
        len([w for w in step[1:] if not w.startswith("-")]) >= 2 for step in copies
    )
