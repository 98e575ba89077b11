"""What an image does, read from its Dockerfile: its users and their homes, the paths it
creates and who owns them, whether it copies the whole build context, what it runs; and what
doctor knows of well-known base images (the user they run as, their cache locations, whether
their entrypoint drops root)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from devkit.dockerfile import Dockerfile, Instruction, Stage, substitute, unresolved
from devkit.doctor.shell import brace_expand, commands, norm_path, opt, program, safe_split


@dataclass(frozen=True)
class KnownImage:
    """What doctor knows of a published image without pulling it.

    ``user``: the user its containers run as when nothing else says so, when that is not
    root: the ``USER`` of its config, or for the ``mcr.microsoft.com/devcontainers/*`` images
    the ``remoteUser`` of their ``devcontainer.metadata`` label, which the Dev Containers CLI
    applies (images built ``FROM`` them inherit the label). ``env``: its ``ENV`` values that
    move package caches. ``steps_down``: its entrypoint starts as root and hands the service
    to an unprivileged user (gosu, su-exec, ``su -p``), as Docker's own guidance suggests.
    ``windows``: a Windows image (no root user; no BuildKit cache mounts). ``metadata``: the
    user comes from ``devcontainer.metadata``, not the config: builds still run as root.
    """

    user: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    steps_down: bool = False
    windows: bool = False
    metadata: bool = False
    #: An image people work in interactively (a notebook server): its compilers are for them.
    interactive: bool = False


_GO = (("GOPATH", "/go"),)
_RUST = (("CARGO_HOME", "/usr/local/cargo"), ("RUSTUP_HOME", "/usr/local/rustup"))
_CONDA = (("CONDA_DIR", "/opt/conda"),)
_OFFICIAL = r"^(docker\.io/)?(library/)?"
#: First match wins. The users of mcr.microsoft.com/devcontainers/* are those of their
#: devcontainer.json (github.com/devcontainers/images, src/*/.devcontainer/devcontainer.json).
_KNOWN: list[tuple[re.Pattern[str], KnownImage]] = [
    (re.compile(p, re.IGNORECASE), image)
    for p, image in [
        (r"mcr\.microsoft\.com/windows/|nanoserver|windowsservercore", KnownImage(windows=True)),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/(javascript-node|typescript-node)\b",
            KnownImage("node", metadata=True),
        ),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/universal\b",
            KnownImage("codespace", metadata=True),
        ),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/go\b",
            KnownImage("vscode", _GO, metadata=True),
        ),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/rust\b",
            KnownImage("vscode", _RUST, metadata=True),
        ),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/(ana|mini)conda\b",
            KnownImage("vscode", _CONDA, metadata=True),
        ),
        (r"^mcr\.microsoft\.com/(vscode/)?devcontainers/", KnownImage("vscode", metadata=True)),
        (_OFFICIAL + r"golang(:|@|$)", KnownImage(env=_GO)),
        (_OFFICIAL + r"rust(:|@|$)", KnownImage(env=_RUST)),
        (_OFFICIAL + r"ruby(:|@|$)", KnownImage(env=(("GEM_HOME", "/usr/local/bundle"),))),
        # .NET's chiseled and distroless images set USER $APP_UID (app, 1654)
        (
            r"^mcr\.microsoft\.com/dotnet/[a-z-]+:[^@]*(chiseled|distroless)",
            KnownImage("1654"),
        ),
        (
            r"(^|/)micromamba(:|@|$)",
            KnownImage("mambauser", (("MAMBA_ROOT_PREFIX", "/opt/conda"),)),
        ),
        (
            # the docker-stacks notebook images (not jupyterhub's, which run as root)
            r"^((quay|docker)\.io/)?jupyter/[a-z-]*(notebook|docker-stacks-foundation)\b",
            KnownImage(
                "jovyan",
                (*_CONDA, ("NB_USER", "jovyan"), ("NB_UID", "1000")),
                interactive=True,
            ),
        ),
        (r"^(docker\.io/)?grafana/grafana\b", KnownImage("472")),
        (r"^(docker\.io/)?jenkins/(jenkins|inbound-agent|agent)\b", KnownImage("jenkins")),
        (r"^(docker\.io/)?bitnami/", KnownImage("1001")),
        (r"-unprivileged(:|@|$)", KnownImage("101")),
        (r"^cgr\.dev/chainguard/", KnownImage("65532")),
        (r"^(docker\.io/)?selenium/", KnownImage("seluser")),
        (r"^(docker\.io/)?gitpod/workspace-", KnownImage("gitpod")),
        (r"^(docker\.io/)?codercom/code-server\b", KnownImage("coder")),
        (r"^docker\.elastic\.co/(elasticsearch|kibana|logstash)/", KnownImage("1000")),
        (r"^(docker\.io/)?prom/", KnownImage("nobody")),
        (r"^quay\.io/keycloak/keycloak\b", KnownImage("1000")),
        # a tag that says so: gcr.io/distroless/static:nonroot, …:rootless
        (r":[^/@]*\b(nonroot|non-root|rootless)\b", KnownImage("nonroot")),
        (
            _OFFICIAL + r"(postgres|mysql|mariadb|percona|redis|mongo|rabbitmq|cassandra|"
            r"couchdb|zookeeper|nextcloud)(:|@|$)",
            KnownImage(steps_down=True),
        ),
        # its entrypoint runs the server through `clickhouse su` / gosu as user clickhouse
        (
            r"^(docker\.io/)?(clickhouse|altinity|yandex)/clickhouse-server\b",
            KnownImage(steps_down=True),
        ),
    ]
]


def known_image(ref: str) -> KnownImage:
    """What doctor knows of the image ``ref`` (nothing, for most)."""
    for pattern, image in _KNOWN:
        if pattern.search(ref):
            return image
    return KnownImage()


def root_user(user: str) -> bool:
    """Whether a USER value (``name[:group]``, a uid, or nothing) means root."""
    name = user.split(":")[0].strip()
    return name in ("", "root", "0")


def copies_everything(ins: Instruction) -> bool:
    """Whether a COPY/ADD copies the whole context (``COPY . .``, ``COPY ./* /app``)."""
    words = ins.json_form() or safe_split(ins.args)
    if ins.heredocs or len(words) < 2:
        return False
    sources = words[:-1]
    return any(src in (".", "./", "*", "./*", "./.") for src in sources)


# Dependency manifests and lock files (glob patterns, matched against COPY sources that may
# be globs themselves: `package*.json`, `*.csproj`), and the managers that read them.
_MANIFEST_FAMILIES: list[tuple[tuple[str, ...], frozenset[str]]] = [
    (
        ("requirements*.txt", "requirements", "pyproject.toml", "poetry.lock", "uv.lock",
         "setup.py", "setup.cfg", "Pipfile", "Pipfile.lock"),
        frozenset({"pip", "uv", "poetry"}),
    ),
    (("environment.yml", "environment.yaml", "conda-lock.yml"), frozenset({"conda"})),
    (
        ("package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
         "pnpm-lock.yaml", "pnpm-workspace.yaml", ".yarnrc.yml", ".npmrc", "bun.lock",
         "bun.lockb"),
        frozenset({"npm", "yarn", "pnpm", "bun"}),
    ),
    (("go.mod", "go.sum"), frozenset({"go"})),
    (("Cargo.toml", "Cargo.lock"), frozenset({"cargo"})),
    (
        ("*.csproj", "*.fsproj", "*.vbproj", "*.sln", "NuGet.config", "Directory.*.props",
         "packages.lock.json"),
        frozenset({"dotnet"}),
    ),
    (("pom.xml", ".mvn"), frozenset({"maven"})),
    (
        ("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts",
         "gradle.properties", "gradle"),
        frozenset({"gradle"}),
    ),
    (("Gemfile", "Gemfile.lock", "*.gemspec"), frozenset({"gem"})),
]  # fmt: skip


def manifest_managers(source: str) -> set[str]:
    """The package managers whose manifest or lock file ``source`` (a path or glob) names."""
    name = source.rstrip("/").rsplit("/", 1)[-1]
    found: set[str] = set()
    for patterns, managers in _MANIFEST_FAMILIES:
        if any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(p, name) for p in patterns):
            found |= managers
    return found


def copied_manifests(ins: Instruction) -> set[str]:
    """The package managers whose manifests or lock files a COPY/ADD copies by name, or a RUN
    bind-mounts for its install (``--mount=type=bind,source=uv.lock``)."""
    if ins.keyword == "RUN":
        sources = [m.get("source", "") for m in ins.mounts() if m.get("type") == "bind"]
    else:
        sources = (ins.json_form() or safe_split(ins.args))[:-1]
    found: set[str] = set()
    for src in sources:
        found |= manifest_managers(src)
    return found


# --------------------------------------------------------------------------- secrets
# What looks like a secret in an ARG/ENV (DK007) or a .env file (DK010).

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


# Values that hold no secret: placeholders for a build step that needs the variable set
# (`prisma generate` with DATABASE_URL=postgresql://placeholder:placeholder@localhost/x).
_PLACEHOLDER = re.compile(
    r"^(placeholder|dummy|example|sample|changeme|change[-_]?me|change[-_]?this|changethis|"
    r"x+|\*+|pass|password|secret|test|testing|foo|bar|fake|none|null|todo|unset|"
    r"replace[-_]?me|your[-_].*|<.*>)$",
    re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(r"://([^/\s:@$]+):([^/\s@$]+)@")


def placeholder(value: str) -> bool:
    """Whether ``value`` is a placeholder, or a URL whose credentials are (``user:pass``,
    ``placeholder:placeholder``, the same word twice)."""
    if _PLACEHOLDER.match(value.strip()):
        return True
    match = _URL_CREDENTIALS.search(value)
    if match is None:
        return False
    user, password = match.groups()
    return bool(_PLACEHOLDER.match(password)) or password == user


#: Passwords that are a service's own default (MARIADB_PASSWORD=mariadb in a dev .env).
_DEFAULTS = {"postgres", "mysql", "mariadb", "mongo", "mongodb", "redis", "root", "admin",
             "guest", "dev", "development", "local", "rabbitmq", "minio", "minioadmin"}  # fmt: skip


def looks_secret(name: str, value: str | None) -> bool:
    """Whether ``name=value`` holds a secret: a secret-looking name (PASSWORD, TOKEN,
    API_KEY… as a word, not a setting about one such as ``_FILE`` or ``_URL``) or a value
    that looks like a token, a private key or a URL with a password; not when the value is a
    switch (``true``, ``0``) or a placeholder (``changeme``, ``user:pass@``)."""
    by_name = bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_SUFFIX.search(name)
    if value is not None and value.strip().lower() in _SWITCH_VALUES:
        by_name = False  # DISABLE_AUTH=true, USE_TOKEN=0: a switch, not a secret
    by_value = bool(value and _SECRET_VALUE.search(value))
    if value and placeholder(value):
        return False
    return by_name or by_value


def env_file_secrets(text: str) -> list[str]:
    """The names in a ``.env`` file (``KEY=value`` lines) whose values are secrets: set,
    not placeholders, not a variable reference, not a service's default nor a value the file
    also gives a setting that is no secret (the user name repeated as password)."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip().strip("'\"")
        pairs.append((key.strip(), value))
    plain = {v.lower() for k, v in pairs if not looks_secret(k, v)}
    return [
        k
        for k, v in pairs
        if v
        and looks_secret(k, v)
        and not v.startswith("$")
        and v.lower() not in _DEFAULTS
        and v.lower() not in plain
    ]


@dataclass
class ImageFacts:
    """What a dev container's image does that DK011/DK012 need (from its Dockerfile)."""

    #: The last USER (None: no USER, the base image's user applies).
    user: str | None = None
    #: The last USER names a variable no ARG or ENV here gives a value (the base image's
    #: ENV, say): who that is, only the build knows.
    user_unknown: bool = False
    #: The image the followed stages start from, and what doctor knows of it.
    base: str = ""
    known: KnownImage = field(default_factory=KnownImage)
    env: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str | None] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    uids: dict[str, str] = field(default_factory=dict)
    #: RUN goes through bash/zsh (SHELL […]), so `{a,b}` braces expand; /bin/sh does not.
    braces: bool = False
    #: Ordered events: (kind, path, user_at_the_time, recursive, owner)
    events: list[tuple[str, str, str, bool, str]] = field(default_factory=list)

    @classmethod
    def collect(
        cls, df: Dockerfile | None, stage: Stage | None, args: Mapping[str, str]
    ) -> ImageFacts:
        """Follow ``stage`` (and the stages it builds on) of ``df``, built with ``args``."""
        facts = cls()
        if df is None or stage is None:
            return facts
        facts.variables = {**df.global_args, **args}
        chain = df.chain(stage)
        facts.base = chain[0].base
        facts.known = known_image(facts.base)
        facts.env = dict(facts.known.env)
        # RUN steps run as the config's USER (a devcontainer.metadata user only at run time)
        current = (not facts.known.metadata and facts.known.user) or "root"
        for st in chain:
            for ins in st.instructions:
                vars_now = {**facts.variables, **facts.env}
                if ins.keyword in ("ARG", "ENV"):
                    for name, value in ins.assignments():
                        val = substitute(value, vars_now) if value is not None else None
                        if ins.keyword == "ENV" and val is not None:
                            facts.env[name] = val
                        elif name not in args:
                            facts.variables.setdefault(name, val)
                            if facts.variables.get(name) is None:
                                facts.variables[name] = val
                elif ins.keyword == "USER":
                    facts.user_unknown = bool(unresolved(ins.args, vars_now))
                    current = substitute(ins.args.strip(), vars_now).split(":")[0] or "root"
                    facts.user = current
                elif ins.keyword == "SHELL":
                    facts.braces = any(sh in ins.args for sh in ("bash", "zsh"))
                elif ins.keyword == "WORKDIR":
                    path = substitute(ins.args.strip(), vars_now)
                    facts.events.append(("create", norm_path(path), current, False, ""))
                elif ins.keyword in ("COPY", "ADD") and ins.args:
                    words = ins.json_form() or safe_split(ins.args)
                    if words:
                        dest = substitute(words[-1], vars_now)
                        chown = ins.flag("chown")
                        # COPY ignores USER: without --chown, files belong to root.
                        owner = substitute(chown[0], vars_now).split(":")[0] if chown else "root"
                        facts.events.append(("create", norm_path(dest), owner, True, owner))
                elif ins.keyword == "RUN":
                    facts._run(ins.script(), current, vars_now)
        return facts

    def _run(self, script: str, current: str, variables: Mapping[str, str | None]) -> None:
        home_now = "/root" if root_user(current) else self.homes.get(current, f"/home/{current}")
        for words in commands(script, variables):
            prog = program(words[0])
            expanded = [w2 for w in words for w2 in brace_expand(w)] if self.braces else words
            expanded = [home_now + w[1:] if w.startswith("~/") else w for w in expanded]
            paths = [norm_path(w) for w in expanded[1:] if w.startswith("/")]
            if prog in ("useradd", "adduser"):
                name = next((w for w in reversed(words[1:]) if not w.startswith("-")), "")
                home = opt(words, ("-d", "--home-dir", "--home")) or f"/home/{name}"
                uid = opt(words, ("-u", "--uid"))
                if name:
                    self.homes[name] = home
                    if uid:
                        self.uids[name] = uid
                    if (
                        prog == "adduser"
                        or "-m" in words
                        or "--create-home" in words
                        or any(
                            w.startswith("-") and not w.startswith("--") and "m" in w[1:]
                            for w in words[1:]
                        )
                    ):
                        self.events.append(("create", norm_path(home), name, False, name))
            elif prog == "mkdir":
                for p in paths:
                    self.events.append(("create", p, current, False, ""))
            elif prog == "install" and ("-d" in words or "--directory" in words):
                owner = opt(words, ("-o", "--owner")) or current
                for p in paths:
                    self.events.append(("create", p, owner, False, "exact"))
            elif prog == "chown":
                # the first word that is neither an option nor an option's value
                # (`chown --from root:root -R dev:dev /x`: the owner is dev)
                operands = [
                    w
                    for i, w in enumerate(words[1:], 1)
                    if not w.startswith("-") and words[i - 1] not in _CHOWN_VALUE_OPTIONS
                ]
                spec = operands[0] if operands else ""
                owner = spec.split(":")[0]
                recursive = any(
                    w in ("-R", "--recursive")
                    or (w.startswith("-") and not w.startswith("--") and "R" in w)
                    for w in words[1:]
                )
                for p in paths:
                    self.events.append(("chown", p, owner, recursive, ""))
            elif prog in ("cp", "touch", "ln", "git", "tar", "unzip"):
                for p in paths:
                    self.events.append(("create", p, current, False, "exact"))

    def runs_as(self) -> str | None:
        """The user the image runs as: its last USER, else its base image's; None when a
        variable only the build knows names it."""
        if self.user_unknown:
            return None
        return self.user or self.known.user or "root"

    def aliases(self, user: str) -> set[str]:
        """Names and ids that mean ``user``.

        The image's own final non-root USER counts too: devcontainer.json's remoteUser names
        the image's user (often by name while the Dockerfile says ``USER 1000``).
        """
        names = {user}
        if self.user and not root_user(self.user):
            names.add(self.user.split(":")[0])
        if user in self.uids:
            names.add(self.uids[user])
        for name, uid in self.uids.items():
            if uid == user:
                names.add(name)
        return names

    def ownership(self, target: str, aliases: set[str]) -> tuple[bool, bool]:
        """Whether the image creates ``target``, and whether a user in ``aliases`` owns it.

        Followed in order: a ``chown -R`` of a parent folder changes only what exists when it
        runs, so a path created later (as root) stays root's.
        """
        created = owned = False
        for kind, path, who, recursive, how in self.events:
            if kind == "create":
                # mkdir -p /a/b/c creates /a/b too (as the current user) if it did not exist.
                exact = path == target
                below = target.startswith(path + "/") if how != "exact" and recursive else False
                creates = exact or (how != "exact" and path.startswith(target + "/"))
                if (creates or below) and not created:
                    created = True
                    owned = who in aliases
            elif kind == "chown" and (
                path == target or (recursive and created and target.startswith(path + "/"))
            ):
                created = True
                owned = who in aliases
        return created, owned


#: chown options whose value is the next word (the owner comes after them).
_CHOWN_VALUE_OPTIONS = {"--from", "--reference"}
