"""`devkit doctor`: audit a repository for what makes its dev container slow or unsafe to build.

The audit reads Dockerfiles (through :mod:`devkit.dockerfile`), ``.dockerignore`` files,
compose files and ``devcontainer.json`` (JSON with comments) and returns :class:`Finding`
objects, each tied to a stable rule id (``DK001``…) from :data:`RULES`, a severity, a
file and line, and the rule's *why* and *fix*. Each rule has a page in ``docs/doctor/``.

Everything is plain file analysis except rule DK001 (BuildKit availability), which asks
:mod:`devkit.buildkit`; :func:`audit` takes the probe as a parameter so tests can fake it
and ``devkit doctor --no-buildkit-check`` can skip it.

Build-context sizes are measured by :mod:`devkit.buildcontext` (Docker's own ``.dockerignore``
rules), so "what is sent" is what BuildKit sends.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from devkit.buildcontext import Context, ignore_file, read_ignore
from devkit.dockerfile import Dockerfile, Instruction, Stage, parse_file, substitute
from devkit.doctor.discover import discover
from devkit.doctor.facts import ImageFacts, copies_everything, root_user
from devkit.doctor.managers import (
    CACHE_WORD,
    cache_hint,
    cache_target_fits,
    manager_of,
    managers_used,
    user_cache_dirs,
)
from devkit.doctor.model import (
    ERROR,
    INFO,
    SEVERITIES,
    WARNING,
    BuildKitProbe,
    BuildKitStatus,
    ContextSize,
    Finding,
    Report,
    Rule,
)
from devkit.doctor.parse import LineError, strip_jsonc
from devkit.doctor.project import Build, DevContainer, read_project
from devkit.doctor.shell import (
    commands,
    norm_path,
    program,
    related_paths,
    safe_split,
)
from devkit.errors import DevkitError, UsageError, one_line
from devkit.resources import docs_dir
from devkit.units import human_size, plural

__all__ = [
    "ERROR",
    "INFO",
    "RULES",
    "SEVERITIES",
    "WARNING",
    "BuildKitProbe",
    "BuildKitStatus",
    "ContextSize",
    "Finding",
    "Report",
    "Rule",
    "audit",
    "buildkit_status",
    "iter_rules",
    "rule_page",
    "strip_jsonc",
]

_RULE_LIST = [
    Rule(
        "DK000",
        "unreadable-file",
        ERROR,
        "A Dockerfile, compose file or devcontainer.json cannot be read or parsed",
        "Docker, Compose or the Dev Containers CLI will refuse it too, and doctor cannot audit it.",
        "Fix the error reported in the message (a syntax error, or a Dockerfile path that "
        "does not exist).",
    ),
    Rule(
        "DK001",
        "buildkit-unavailable",
        ERROR,
        "BuildKit is not available to this docker client",
        "Without BuildKit, builds run on the classic builder: no cache mounts, no parallel "
        "stages, the whole context is sent every time; Dockerfiles using RUN --mount or "
        "heredocs fail outright.",
        "Install the docker-buildx plugin (or use a client that supports DOCKER_BUILDKIT=1), "
        "and put that client first on PATH.",
    ),
    Rule(
        "DK002",
        "install-without-cache-mount",
        WARNING,
        "Package install without a BuildKit cache mount",
        "Every change to the dependency list re-downloads every package from the network.",
        "Add RUN --mount=type=cache,target=<the manager's cache dir> to the install step.",
    ),
    Rule(
        "DK003",
        "apt-cache-mount-cleaned",
        WARNING,
        "apt cache mount while the docker-clean hook still empties it",
        "Debian/Ubuntu images ship /etc/apt/apt.conf.d/docker-clean, which deletes downloaded "
        ".debs after every install, so the cache mount stays empty and is useless.",
        "rm -f /etc/apt/apt.conf.d/docker-clean and set Binary::apt::APT::Keep-Downloaded-"
        'Packages "true" before the install.',
    ),
    Rule(
        "DK004",
        "source-before-dependencies",
        WARNING,
        "Whole source copied before dependencies are installed",
        "Any edit to any file invalidates the layer cache from the COPY on, so every source "
        "edit reinstalls all dependencies.",
        "COPY only the dependency manifests and lock files, install, then COPY the rest.",
    ),
    Rule(
        "DK005",
        "toolchain-in-final-image",
        WARNING,
        "Build toolchain left in the final stage of a single-stage image",
        "Compilers, headers and SDKs make the image larger and slower to pull and give an "
        "attacker more tools.",
        "Build in a separate stage and COPY --from it only the results into a slim final stage.",
    ),
    Rule(
        "DK006",
        "final-stage-root",
        WARNING,
        "Final stage runs as root",
        "A process running as root in the container is root on every bind-mounted file and a "
        "step closer to root on the host; files it writes to the workspace become root-owned.",
        "Create a user (useradd) and end the stage with USER <name>.",
    ),
    Rule(
        "DK007",
        "secret-in-arg-env",
        ERROR,
        "Secret passed through ARG or ENV",
        "ENV values are stored in the image config and ARG values in its build history: "
        "anyone who can pull the image can read them.",
        "Use RUN --mount=type=secret,id=<name> and pass it with --secret at build time.",
    ),
    Rule(
        "DK008",
        "no-dockerignore",
        WARNING,
        "Build context has no .dockerignore",
        "Everything in the context (.git, dependency folders, local secrets) is sent to the "
        "engine on every build and can end up in the image through COPY . .",
        "Add a .dockerignore excluding .git, dependency and build folders, .env and key files.",
    ),
    Rule(
        "DK009",
        "dockerignore-leaves-bulk",
        WARNING,
        ".dockerignore leaves .git or dependency folders in the context",
        "They are sent on every build (slow), and COPY . . invalidates the cache whenever "
        "they change.",
        "Add the listed paths to .dockerignore.",
    ),
    Rule(
        "DK010",
        "secrets-in-context",
        ERROR,
        ".env or key files in the build context",
        "Files in the context can be copied into an image layer by COPY . . and leak to "
        "everyone who can pull it.",
        "Add the listed files to .dockerignore; pass secrets with RUN --mount=type=secret.",
    ),
    Rule(
        "DK011",
        "cache-without-volume",
        WARNING,
        "Package-manager cache in a dev container without a persistent volume",
        "The cache lives in the container's writable layer and is lost on every rebuild, so "
        "every rebuild downloads every package again.",
        "Mount a named volume at the cache directory (devcontainer.json mounts or the compose "
        "service's volumes).",
    ),
    Rule(
        "DK012",
        "volume-not-owned",
        ERROR,
        "Named volume mounted for a non-root user at a path the image does not create and own",
        "Docker creates the mount point of a fresh volume as root:root 755, so the non-root "
        "user cannot write to it (permission denied on cache or history writes).",
        "In the Dockerfile, mkdir -p the path and chown it to the user (or create it after "
        "USER <name>).",
    ),
    Rule(
        "DK014",
        "copy-source-ignored",
        ERROR,
        "COPY/ADD of a path that .dockerignore excludes",
        "Excluded paths are never sent to the builder, so the step fails with "
        "'not found' although the file is right there in the repository.",
        "Remove or narrow the .dockerignore pattern (a later !path re-includes it), or stop "
        "copying the path.",
    ),
    Rule(
        "DK013",
        "syntax-directive-pull",
        INFO,
        "# syntax= directive: BuildKit fetches a frontend image before every build",
        "BuildKit resolves the named frontend image (docker/dockerfile:…) from a registry "
        "before building; without registry access (offline, air-gapped, a CI without "
        "credentials) the build fails before its first step.",
        "Drop the line if the built-in frontend is enough (cache and secret mounts and "
        "heredocs need Docker 23+ or buildx), or pin it by digest and mirror it.",
    ),
]

_RULE_LIST.sort(key=lambda rule: rule.id)

#: Every rule by id.
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULE_LIST}


# What a docker CLI says when no engine is there (not a BuildKit problem).
_ENGINE_DOWN = re.compile(
    r"cannot connect to the docker daemon|is the docker daemon running|"
    r"error during connect|connection refused|no such file or directory.*docker\.sock",
    re.IGNORECASE,
)


def buildkit_status(*, refresh: bool = False) -> BuildKitStatus:
    """Ask :func:`devkit.buildkit.detect` (a tiny probe build) how BuildKit is reachable.

    ``refresh`` probes again instead of reusing this process's earlier answer.
    """
    from devkit import buildkit

    info = buildkit.detect(refresh=refresh)
    if not info.available or info.docker is None:
        # A client whose probe failed only because no engine answered might well work.
        if any(_ENGINE_DOWN.search(a.detail) for a in info.attempts):
            return BuildKitStatus(
                False,
                False,
                "no Docker engine answered the probe build; start one and run doctor again",
                checked=False,
            )
        return BuildKitStatus(False, False, info.explain())
    default = os.environ.get(buildkit.DOCKER_ENV) or shutil.which("docker")
    default_ok = default is None or os.path.realpath(
        shutil.which(default) or default
    ) == os.path.realpath(info.docker)
    if default_ok:
        return BuildKitStatus(True, True, info.describe())
    failed = [a for a in info.attempts if not a.ok and a.docker == default]
    # The gist of each failure (up to its parenthesis): the CLI's wording is nested.
    gist = (one_line(a.detail.split(" (", 1)[0], 100) for a in failed)
    why = "; ".join(gist) or "it failed the probe build"
    return BuildKitStatus(
        True,
        False,
        f"`docker` on PATH ({default}) cannot build with BuildKit ({why}); "
        f"{info.describe()} can: put {info.docker} first on PATH",
    )


# --------------------------------------------------------------------------- Dockerfile rules

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


# Base images that are built to run as a non-root user by default (their tag says so).
_NONROOT_IMAGE = re.compile(r":[^/@]*\b(nonroot|non-root|rootless)\b", re.IGNORECASE)


def _stage_words(df: Dockerfile, stage: Stage) -> str:
    """How a message names a stage: ``stage deps``, ``the image``, ``the final stage``."""
    if stage.name:
        return f"stage {stage.name}"
    if len(df.stages) == 1:
        return "the image"
    # Numbered as COPY --from=<n> and BuildKit's "stage-<n>" count them: from 0.
    return "the final stage" if stage is df.final_stage else f"stage {stage.index} (unnamed)"


def _directive_line(df: Dockerfile, name: str) -> int | None:
    """Line of a parser directive (they sit at the very top of the file)."""
    for number, line in enumerate(df.lines[:20], 1):
        if re.match(rf"^\s*#\s*{name}\s*=", line, re.IGNORECASE):
            return number
    return None


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


class _Auditor:
    """One audit run: discovers the files, applies every rule, collects findings and sizes."""

    def __init__(self, root: Path, buildkit: BuildKitProbe | None) -> None:
        self.root = root
        self.buildkit = buildkit
        self.findings: list[Finding] = []
        self.contexts: list[ContextSize] = []
        self.files: set[str] = set()
        self.parsed: dict[Path, Dockerfile] = {}
        #: Source lines of every file read, by its name in findings: each file is read once,
        #: and the ``devkit-doctor: ignore=`` comments are looked up here.
        self.lines: dict[str, list[str]] = {}

    # ---------------------------------------------------------------- helpers
    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def add(
        self,
        rule: str,
        file: Path | str,
        line: int | None,
        message: str,
        severity: str | None = None,
    ) -> None:
        name = file if isinstance(file, str) else self.rel(file)
        about = RULES[rule]
        self.findings.append(Finding(rule, severity or about.severity, name, line, message, about))

    def read(self, path: Path) -> str:
        """The text of ``path``; raises DevkitError when it cannot be read.

        Text that is not UTF-8 raises :class:`LineError`, which callers report as DK000 like
        any other file that cannot be parsed (JSON and YAML files must be UTF-8).
        """
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DevkitError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            raise LineError(f"not UTF-8 text (byte {exc.start})", line) from None
        self.lines[self.rel(path)] = text.splitlines()
        return text

    def dockerfile(self, path: Path, args: Mapping[str, str]) -> Dockerfile | None:
        path = path.resolve()
        if path in self.parsed:
            return self.parsed[path]
        self.files.add(self.rel(path))
        try:
            parsed = parse_file(path, build_args=args)
        except DevkitError as exc:
            self.add("DK000", path, None, str(exc).replace(str(path) + ": ", ""))
            return None
        self.parsed[path] = parsed
        self.lines[self.rel(path)] = parsed.lines
        return parsed

    def missing_dockerfile(self, build: Build) -> None:
        """DK000 for a declared Dockerfile that is not there (or a dangling symlink): the
        build would fail, and an audit that silently skips it would call the repo clean."""
        what = "is a dangling symlink" if build.dockerfile.is_symlink() else "does not exist"
        if build.dockerfile.exists():
            what = "is not a regular file"
        absolute = build.dockerfile.absolute()
        inside = absolute.is_relative_to(self.root)
        name = absolute.relative_to(self.root).as_posix() if inside else str(absolute)
        if build.origin is None:
            self.files.add(name)
            self.add("DK000", name, None, f"Dockerfile {what}")
        else:
            self.add(
                "DK000", build.origin[0], build.origin[1], f"the build's Dockerfile {name} {what}"
            )

    # ---------------------------------------------------------------- the audit
    def run(self) -> None:
        project = read_project(self, *discover(self.root))
        builds, devcontainers = project.builds, project.devcontainers
        targets: dict[Path, set[str | None]] = {}
        args_for: dict[Path, dict[str, str]] = {}
        for b in builds:
            if not b.dockerfile.is_file():
                self.missing_dockerfile(b)
                continue
            key = b.dockerfile.resolve()
            targets.setdefault(key, set()).add(b.target)
            args_for.setdefault(key, b.args)
        for key in targets:
            df = self.dockerfile(key, args_for[key])
            if df is not None:
                self.dockerfile_rules(key, df, targets[key], devcontainers)
        self.buildkit_rule()
        sent_by_ctx: dict[tuple[Path, Path | None], set[str] | None] = {}
        copies_checked: set[tuple[Path, Path]] = set()
        # Contexts that some Dockerfile copies whole (COPY . …): secrets there reach a layer.
        copied_whole: set[Path] = set()
        for b in builds:
            df = self.parsed.get(b.dockerfile.resolve()) if b.dockerfile.is_file() else None
            if df is not None and any(
                ins.keyword in ("COPY", "ADD") and not ins.flag("from") and copies_everything(ins)
                for ins in df.instructions
            ):
                copied_whole.add(b.context.resolve())
        for b in builds:
            if not b.dockerfile.is_file() or not b.context.is_dir():
                continue
            ignore = ignore_file(b.dockerfile, b.context)
            key2 = (b.context.resolve(), ignore.resolve() if ignore else None)
            if key2 not in sent_by_ctx:
                sent_by_ctx[key2] = self.context_rules(b.context, ignore, key2[0] in copied_whole)
            sent = sent_by_ctx[key2]
            df = self.parsed.get(b.dockerfile.resolve())
            key3 = (b.dockerfile.resolve(), b.context.resolve())
            if ignore and sent is not None and df is not None and key3 not in copies_checked:
                copies_checked.add(key3)
                self.copy_rule(b, df, sent, ignore)
        for dc in devcontainers:
            self.devcontainer_rules(dc)

    # ---------------------------------------------------------------- DK001
    def buildkit_rule(self) -> None:
        if self.buildkit is None or not self.parsed:
            return
        first_path, first_line = None, None
        for path, df in self.parsed.items():
            line = _buildkit_feature_line(df)
            if line is not None:
                first_path, first_line = path, line
                break
        status = self.buildkit()
        if status.available and status.default_client_ok:
            return
        if first_path is None:
            first_path = next(iter(self.parsed))
        if not status.checked:
            self.add("DK001", first_path, first_line, f"not checked: {status.detail}", INFO)
        elif not status.available:
            severity = ERROR if first_line else WARNING
            needs = (
                "this Dockerfile uses BuildKit-only syntax and will not build"
                if first_line
                else "builds fall back to the slow classic builder"
            )
            self.add("DK001", first_path, first_line, f"{needs}: {status.detail}", severity)
        else:
            self.add("DK001", first_path, first_line, status.detail, WARNING)

    # ---------------------------------------------------------------- DK002 - DK007
    def dockerfile_rules(
        self, path: Path, df: Dockerfile, targets: set[str | None], dcs: list[DevContainer]
    ) -> None:
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
                                substitute(value, {**variables, **env})
                                if value is not None
                                else None
                            )
                            if ins.keyword == "ENV" and value is not None:
                                env[name] = value
                            if ins.keyword == "ARG":
                                variables.setdefault(name, value)
                            if own:
                                self.secret_rule(path, df, ins, name, value)
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
                            self.add(
                                "DK002",
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
                            self.add(
                                "DK003",
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
                            self.add(
                                "DK004",
                                path,
                                copy_all.line,
                                f"the whole source is copied before `{manager}` installs "
                                f"dependencies (line {ins.line}): any edit reinstalls them",
                            )
                        installed_before.add(manager)
        dev_image = any(dc.build and dc.build.dockerfile.resolve() == path for dc in dcs)
        # A dev container's image is where the toolchain belongs: DK005 is about images
        # that ship.
        if len(df.stages) == 1 and not dev_image and not _TOOLING_DOCKERFILE.search(path.name):
            self.toolchain_rule(path, df)
        if "syntax" in df.directives:
            self.add(
                "DK013",
                path,
                _directive_line(df, "syntax"),
                f"the build starts by fetching {df.directives['syntax']} from a registry",
            )
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
            self.root_rule(path, df, df.stages[index])

    def secret_rule(
        self, path: Path, df: Dockerfile, ins: Instruction, name: str, value: str | None
    ) -> None:
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
        self.add("DK007", path, line, f"{ins.keyword} {name} looks like a secret: {where}")

    def toolchain_rule(self, path: Path, df: Dockerfile) -> None:
        stage = df.final_stage
        if _SDK_IMAGE.match(stage.base):
            self.add(
                "DK005",
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
                        if (
                            not pkg.startswith("-")
                            and pkg != sub
                            and _TOOLCHAIN_PACKAGES.match(pkg)
                        ):
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
            self.add(
                "DK005",
                path,
                line,
                f"single-stage image installs build tools that stay in the final image: {names}",
            )

    def root_rule(self, path: Path, df: Dockerfile, stage: Stage) -> None:
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
            self.add(
                "DK006",
                path,
                stage.line,
                f"{_stage_words(df, stage)} never sets USER, so it runs as root",
            )
        else:
            self.add("DK006", path, user_line, f"{_stage_words(df, stage)} ends with USER {user}")

    # ---------------------------------------------------------------- DK008 - DK010
    def context_rules(
        self, context: Path, ignore: Path | None, copied_whole: bool = True
    ) -> set[str] | None:
        """DK008-DK010 for one build context; returns the paths BuildKit sends (None: unreadable).

        Which Dockerfile is built does not change what is sent (see :mod:`devkit.buildcontext`).
        """
        try:
            patterns = read_ignore(ignore) if ignore else []
        except DevkitError:
            patterns = []  # unreadable: measured as if it were empty
        ctx_rel = self.rel(context) or "."
        measured = Context(context)
        total_files, total_bytes = measured.total
        try:
            sent_now = measured.send(patterns)
        except OSError as exc:  # an unreadable folder: Docker could not send it either
            self.add("DK000", context, None, f"cannot read the build context: {exc}")
            return None
        sent, sent_files, sent_bytes = set(sent_now.paths), sent_now.files, sent_now.bytes
        ignore_rel = self.rel(ignore) if ignore else None
        self.contexts.append(
            ContextSize(ctx_rel, ignore_rel, total_files, total_bytes, sent_files, sent_bytes)
        )
        if ignore:
            self.files.add(ignore_rel or "")
        bulk = _bulky(context, sent)
        # Inside .git or node_modules, test keys of libraries would only be noise: those
        # folders are reported as a whole (DK008/DK009).
        secrets = _secret_files(context, sent, skip=bulk)
        missing = ".dockerignore" if ctx_rel == "." else f"{ctx_rel}/.dockerignore"
        ignore_display = ignore_rel or missing
        if ignore is None:
            cut_bytes = measured.send([*_SUGGESTED, *bulk, *secrets]).bytes
            self.add(
                "DK008",
                ignore_display,
                None,
                f"context {ctx_rel} sends {human_size(total_bytes)} in "
                f"{plural(total_files, 'file')}; "
                f"a .dockerignore for the usual suspects would send {human_size(cut_bytes)}"
                + (f" (found: {', '.join(bulk)})" if bulk else ""),
            )
        elif bulk:
            cut_bytes = measured.send([*patterns, *bulk]).bytes
            self.add(
                "DK009",
                ignore,
                None,
                f"still sends {', '.join(bulk)}: context {ctx_rel} is {human_size(sent_bytes)}, "
                f"{human_size(cut_bytes)} with them ignored "
                f"(no .dockerignore: {human_size(total_bytes)})",
            )
        if secrets:
            shown = ", ".join(secrets[:8]) + (
                f" and {len(secrets) - 8} more" if len(secrets) > 8 else ""
            )
            # Only an error when a COPY . can put them into a layer; otherwise they "only"
            # travel to the builder (maybe a remote one) on every build.
            self.add(
                "DK010",
                ignore_display,
                None,
                f"context {ctx_rel} sends secret-looking files: {shown}"
                + ("" if copied_whole else " (no COPY . copies them into an image yet)"),
                None if copied_whole else WARNING,
            )
        return sent

    # ---------------------------------------------------------------- DK014
    def copy_rule(self, build: Build, df: Dockerfile, sent: set[str], ignore: Path) -> None:
        """COPY/ADD of a path that exists in the context but .dockerignore excludes."""
        ignore_rel = self.rel(ignore)
        for stage in df.stages:
            for ins in stage.instructions:
                if ins.keyword not in ("COPY", "ADD") or ins.flag("from") or ins.heredocs:
                    continue
                words = ins.json_form() or safe_split(ins.args)
                for src in words[:-1]:
                    if any(c in src for c in "*?[$") or "://" in src or src.startswith("git@"):
                        continue  # globs, variables and URLs are not checked
                    rel = posixpath.normpath(src.lstrip("/")) if src else ""
                    if rel in ("", ".") or rel.startswith("../"):
                        continue
                    if (build.context / rel).exists() and rel not in sent:
                        self.add(
                            "DK014",
                            df.path or build.dockerfile,
                            ins.line,
                            f"{ins.keyword} {src}: {ignore_rel} excludes it, so the build "
                            "fails with 'not found'",
                        )

    # ---------------------------------------------------------------- DK011, DK012
    def devcontainer_rules(self, dc: DevContainer) -> None:
        df: Dockerfile | None = None
        stage: Stage | None = None
        if dc.build is not None and dc.build.dockerfile.resolve() in self.parsed:
            df = self.parsed[dc.build.dockerfile.resolve()]
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
        persistent = [m for m in dc.mounts if m.kind in ("volume", "bind")]
        run_here = {
            manager
            for script in dc.commands
            for words in commands(script)
            if (manager := manager_of(words))
        }
        managers = [m for m in managers_used(self.root, df, run_here) if m not in ("apt", "apk")]
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
                self.add(
                    "DK011",
                    dc.anchor_file,
                    dc.anchor_line,
                    f"{manager} is used in this dev container but its cache ({dirs}) has no "
                    "persistent volume",
                )
        if root_user(user) or df is None:
            return
        aliases = facts.aliases(user)
        for mount in dc.mounts:
            if mount.kind != "volume":
                continue
            target = norm_path(substitute(mount.target, {**facts.variables, **env}))
            created, owned = facts.ownership(target, aliases)
            if created and owned:
                continue
            state = (
                "the image does not create that path"
                if not created
                else "the image creates that path but leaves it owned by root"
            )
            self.add(
                "DK012",
                mount.file,
                mount.line,
                f"volume {mount.source or '(anonymous)'} is mounted at {target} for user {user}; "
                f"{state}, so the volume comes up root-owned",
            )


def _disables_docker_clean(words: list[str]) -> bool:
    text = " ".join(words)
    if "Keep-Downloaded-Packages" in text and "true" in text:
        return True
    return bool(
        "docker-clean" in text
        and program(words[0]) in ("rm", "mv", "truncate", "sed", "echo", "printf", "cp", "ln")
    )


def _buildkit_feature_line(df: Dockerfile) -> int | None:
    for ins in df.instructions:
        if (
            ins.heredocs
            or ins.flag("mount")
            or ins.flag("link")
            or (ins.keyword == "RUN" and ins.flag("network"))
        ):
            return ins.line
    return None


# --------------------------------------------------------------------------- contexts

_SUGGESTED = [
    ".git",
    "**/node_modules",
    "**/.venv",
    "**/__pycache__",
    ".env",
    "**/*.pem",
    "**/*.key",
]
_BULK_DIRS = {".git", "node_modules", ".venv", ".tox", ".gradle", ".mypy_cache", ".pytest_cache"}


def _bulky(context: Path, sent: set[str]) -> list[str]:
    """Top-most .git / dependency folders that are sent."""
    found: list[str] = []
    for rel in sorted(sent, key=lambda p: (p.count("/"), p)):
        parts = PurePosixPath(rel).parts
        name = parts[-1]
        if any(rel.startswith(f + "/") for f in found):
            continue
        full = context / rel
        is_dir = full.is_dir() and not full.is_symlink()
        bulky = (
            (name in _BULK_DIRS and (is_dir or name == ".git"))
            or (name == "venv" and is_dir and (full / "pyvenv.cfg").is_file())
            or (
                name == "target"
                and is_dir
                and ((full.parent / "Cargo.toml").is_file() or (full.parent / "pom.xml").is_file())
            )
        )
        if bulky:
            found.append(rel)
    return found


_KEY_NAMES = re.compile(
    r"^(id_(rsa|dsa|ecdsa|ed25519)|.*\.(key|p12|pfx|jks|keystore)|\.netrc|\.pypirc|credentials\.json)$"
)
_ENV_NAME = re.compile(r"^\.env(\..+)?$")
_ENV_EXAMPLE = re.compile(r"\.(example|sample|template|dist|defaults?)$")


def _secret_files(context: Path, sent: set[str], skip: Iterable[str] = ()) -> list[str]:
    found: list[str] = []
    skipped = tuple(f"{s}/" for s in skip)
    for rel in sorted(sent):
        if rel.startswith(skipped):
            continue
        full = context / rel
        if not full.is_file():
            continue
        name = full.name
        secret = False
        if (_ENV_NAME.match(name) and not _ENV_EXAMPLE.search(name)) or _KEY_NAMES.match(name):
            secret = True
        elif name.endswith(".pem") or name == ".npmrc":
            try:
                head = full.read_bytes()[:65536]
            except OSError:
                head = b""
            secret = b"PRIVATE KEY" in head or b"_authToken" in head
        if secret and not any(rel.startswith(b + "/") for b in found):
            found.append(rel)
    return found


# --------------------------------------------------------------------------- entry point


#: ``# devkit-doctor: ignore=DK002,DK006`` on a finding's line or the line above it.
_SUPPRESS = re.compile(r"devkit-doctor:\s*ignore=([A-Za-z0-9, ]+)")


def audit(
    path: str | Path,
    *,
    buildkit: BuildKitProbe | None = buildkit_status,
    ignore: Iterable[str] = (),
) -> Report:
    """Audit the repository at ``path``; return every finding, sorted by file and line.

    ``buildkit`` is called (at most once, only when there is a Dockerfile) for rule DK001;
    pass ``None`` to skip that rule, or a fake returning :class:`BuildKitStatus` in tests.
    ``ignore`` lists rule ids to leave out. A finding is also left out when its line, or the
    line above it, has a comment ``devkit-doctor: ignore=<ID>[,<ID>…]``.
    Raises :class:`DevkitError` when ``path`` is not a directory or a rule id is unknown.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise DevkitError(f"{root}: no such directory")
    if not root.is_dir():
        raise DevkitError(f"{root} is not a directory (give the repository's folder)")
    skip = {rule.strip().upper() for rule in ignore if rule.strip()}
    unknown = sorted(skip - set(RULES))
    if unknown:
        # A usage error (exit 2): exit 1 means "the audit found errors" to a CI script.
        raise UsageError(f"unknown rule id {', '.join(unknown)} (known: {', '.join(RULES)})")
    auditor = _Auditor(root.resolve(), buildkit)
    auditor.run()
    order = {sev: i for i, sev in enumerate(SEVERITIES)}
    kept = [
        f
        for f in dict.fromkeys(auditor.findings)
        if f.rule not in skip and not _suppressed(root.resolve(), f, auditor.lines)
    ]
    findings = sorted(kept, key=lambda f: (f.file, f.line or 0, order[f.severity], f.rule))
    return Report(
        root=root.resolve(),
        findings=findings,
        contexts=auditor.contexts,
        files=sorted(auditor.files),
    )


def _suppressed(root: Path, finding: Finding, cache: dict[str, list[str]]) -> bool:
    """Whether an inline ``devkit-doctor: ignore=`` comment silences ``finding``.

    ``cache`` holds the lines of the files the audit read; any other file is read here once.
    """
    if not finding.line:
        return False
    if finding.file not in cache:
        try:
            cache[finding.file] = (root / finding.file).read_text(errors="replace").splitlines()
        except OSError:
            cache[finding.file] = []
    text = cache[finding.file]
    for number in (finding.line - 1, finding.line):  # the line above, and the line itself
        if 1 <= number <= len(text):
            match = _SUPPRESS.search(text[number - 1])
            if match and finding.rule in {r.strip().upper() for r in match.group(1).split(",")}:
                return True
    return False


def rule_page(rule_id: str) -> str:
    """The markdown page explaining ``rule_id`` (``docs/doctor/<ID>.md``, shipped in the
    wheel as ``devkit/_data/docs/doctor``); the rule's title, why and fix if it is missing.

    Raises :class:`UsageError` (a :class:`DevkitError`) for an unknown rule id.
    """
    rule = RULES.get(rule_id.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule id {rule_id} (known: {', '.join(RULES)})")
    page = docs_dir() / "doctor" / f"{rule.id}.md"
    if page.is_file():
        return page.read_text(encoding="utf-8")
    return (
        f"# {rule.id} — {rule.title}\n\nSeverity: **{rule.severity}**\n\n"
        f"## Why\n\n{rule.why}\n\n## Fix\n\n{rule.fix}\n"
    )


def iter_rules() -> Iterator[Rule]:
    """Every rule, in id order."""
    yield from _RULE_LIST
