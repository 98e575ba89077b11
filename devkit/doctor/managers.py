"""Package managers: which command installs with which, where each keeps its cache, and
which ones a repository uses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from devkit.dockerfile import Dockerfile
from devkit.doctor.shell import commands, norm_path, program, related_paths

#: Every package manager doctor knows, in the order findings name them. ``conda`` stands
#: for conda, mamba and micromamba (one package cache), ``gem`` for bundler and gem.
MANAGERS = (
    "apt",
    "apk",
    "pip",
    "uv",
    "poetry",
    "conda",
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "go",
    "cargo",
    "dotnet",
    "maven",
    "gradle",
    "gem",
)

# `yarn --version`, `yarn -h`: yarn answering a question, not installing.
_QUESTIONS = {"--version", "-v", "-V", "--help", "-h"}


def manager_of(words: list[str]) -> str | None:
    """The package manager a command installs packages with, if it does."""
    if not words:
        return None
    prog = program(words[0])
    rest = [w for w in words[1:] if not w.startswith("-")]
    sub = rest[0] if rest else ""
    # Installs that download nothing: vendored Go modules, pip from local wheels only, a
    # .NET build or publish after its restore.
    if prog == "go" and "-mod=vendor" in words:
        return None
    if re.fullmatch(r"(pip|python)[0-9.]*", prog) and "--no-index" in words:
        return None
    if prog in ("gem", "bundle") and {"--local", "-l"} & set(words):
        return None  # installs .gem files already here
    if prog in ("apt-get", "apt", "aptitude") and sub in (
        "install",
        "build-dep",
        "dist-upgrade",
        "upgrade",
    ):
        return "apt"
    if prog == "apk" and sub == "add":
        return "apk"
    if re.fullmatch(r"pip[0-9.]*", prog) and sub in ("install", "download", "wheel"):
        return "pip"
    if re.fullmatch(r"python[0-9.]*", prog) and words[1:3] == ["-m", "pip"] and "install" in words:
        return "pip"
    if prog == "uv" and (
        sub in ("sync", "add") or rest[:2] in (["pip", "install"], ["tool", "install"])
    ):
        return "uv"
    if prog == "poetry" and sub in ("install", "add", "update", "sync"):
        return "poetry"
    if prog in ("conda", "mamba", "micromamba") and (
        sub in ("install", "create", "update") or rest[:2] in (["env", "create"], ["env", "update"])
    ):
        return "conda"
    if prog == "npm" and sub in ("ci", "install", "i", "add", "update"):
        return "npm"
    if prog == "pnpm" and sub in ("install", "i", "add", "fetch", "update"):
        return "pnpm"
    if prog == "yarn" and (
        (sub in ("", "install", "add") and not _QUESTIONS & set(words))
        or rest[:2] == ["global", "add"]
    ):
        return "yarn"
    if prog == "bun" and sub in ("install", "i", "add"):
        return "bun"
    if prog == "go" and (go_need(words) is not None):
        return "go"
    if prog == "cargo" and (sub in ("build", "install", "fetch") or rest[:2] == ["chef", "cook"]):
        return "cargo"
    if prog == "dotnet" and (
        sub == "restore"
        or (sub in ("build", "publish", "test") and "--no-restore" not in words)
        or rest[:2] == ["tool", "install"]
    ):
        return "dotnet"
    if prog in ("mvn", "mvnw") and not {"-v", "--version"} & set(words):
        return "maven"
    if prog in ("gradle", "gradlew") and not {"-v", "--version"} & set(words):
        return "gradle"
    if (prog == "bundle" and sub in ("", "install") and not _QUESTIONS & set(words)) or (
        prog == "gem" and sub == "install"
    ):
        return "gem"
    return None


def global_install(words: list[str]) -> bool:
    """Whether a command installs a tool for the whole image (``npm install -g``, ``yarn
    global add``, ``go install pkg@version``, ``cargo install``, ``uv tool install``,
    ``dotnet tool install -g``, ``gem install``) rather than the project's dependencies."""
    prog = program(words[0]) if words else ""
    rest = [w for w in words[1:] if not w.startswith("-")]
    flags = set(words[1:])
    if prog in ("npm", "pnpm", "bun") and flags & {"-g", "--global"}:
        return True
    if prog == "yarn" and rest[:1] == ["global"]:
        return True
    if prog == "go" and rest[:1] == ["install"] and any("@" in w for w in rest[1:]):
        return True
    return (
        (prog == "cargo" and rest[:1] == ["install"])
        or (prog in ("uv", "dotnet") and rest[:2] == ["tool", "install"])
        or (prog == "gem" and rest[:1] == ["install"])
    )


def go_need(words: list[str]) -> str | None:
    """Which of Go's caches a ``go`` command needs: ``build`` (the build cache: ``go
    build``, ``test``, ``run``, ``vet``), ``modules`` (the module cache: ``go mod download``,
    ``go get``) or ``any`` (``go install`` downloads and builds); None for other commands."""
    rest = [w for w in words[1:] if not w.startswith("-")]
    sub = rest[0] if rest else ""
    if sub in ("build", "test", "run", "vet"):
        return "build"
    if rest[:2] == ["mod", "download"] or sub == "get":
        return "modules"
    if sub == "install":
        return "any"
    return None


def install_words(words: list[str], manager: str) -> str:
    """How a message names what a command does: ``pip install``, ``go build``,
    ``bundle install``, ``micromamba create``."""
    if manager in ("go", "conda", "gem", "bun"):
        rest = [w for w in words[1:] if not w.startswith("-")]
        return " ".join([program(words[0]), *rest[: 2 if rest[:1] in (["mod"], ["env"]) else 1]])
    return f"{manager} install"


# Cache directories per manager: path suffixes (matched at a path boundary) and the
# environment variables that move them.
_CACHE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "apt": ("/var/cache/apt",),
    "apk": ("/var/cache/apk", "/etc/apk/cache"),
    "pip": (".cache/pip",),
    "uv": (".cache/uv",),
    "poetry": (".cache/pypoetry",),
    "conda": ("/opt/conda/pkgs", ".conda/pkgs", "micromamba/pkgs"),
    "npm": (".npm",),
    # pnpm >= 7 keeps its store in $XDG_DATA_HOME/pnpm/store (~/.local/share/pnpm/store)
    "pnpm": (".local/share/pnpm/store", "pnpm/store", ".pnpm-store"),
    # yarn 1, then yarn 2+ (its global cache; .yarn/cache is the project's own)
    "yarn": (".cache/yarn", ".yarn/berry/cache", ".yarn/cache"),
    "bun": (".bun/install/cache",),
    "go": ("go/pkg/mod", ".cache/go-build"),
    "cargo": (".cargo/registry", "cargo/registry", ".cargo/git"),
    "dotnet": (".nuget/packages",),
    "maven": (".m2", ".m2/repository"),
    "gradle": (".gradle", ".gradle/caches"),
    # what Docker's cache-mount guide uses for bundler; gems also land in $GEM_HOME/cache
    "gem": (".gem", ".bundle/cache", "bundle/cache"),
}
_CACHE_ENV: dict[str, tuple[str, ...]] = {
    "pip": ("PIP_CACHE_DIR",),
    "uv": ("UV_CACHE_DIR",),
    "poetry": ("POETRY_CACHE_DIR",),
    "conda": ("CONDA_PKGS_DIRS", "MAMBA_ROOT_PREFIX", "CONDA_DIR"),
    "npm": ("npm_config_cache", "NPM_CONFIG_CACHE"),
    "pnpm": ("npm_config_store_dir", "PNPM_STORE_DIR", "PNPM_HOME"),
    "yarn": ("YARN_CACHE_FOLDER",),
    "bun": ("BUN_INSTALL_CACHE_DIR",),
    "go": ("GOMODCACHE", "GOCACHE", "GOPATH"),
    "cargo": ("CARGO_HOME",),
    "dotnet": ("NUGET_PACKAGES",),
    "maven": ("MAVEN_REPO", "MAVEN_CONFIG"),
    "gradle": ("GRADLE_USER_HOME",),
    "gem": ("GEM_HOME", "BUNDLE_PATH"),
}
# What an environment variable points at, when the cache is a folder inside it.
_ENV_SUBDIR = {
    "MAMBA_ROOT_PREFIX": "pkgs",
    "CONDA_DIR": "pkgs",
    "GOPATH": "pkg/mod",
    "GEM_HOME": "cache",
    "CARGO_HOME": "registry",
}
CACHE_WORD: dict[str, re.Pattern[str]] = {
    "apt": re.compile(r"/apt(/|$)"),
    "apk": re.compile(r"apk"),
    "pip": re.compile(r"pip"),
    "uv": re.compile(r"(^|[/_.-])uv([/_.-]|$)"),
    "poetry": re.compile(r"poetry"),
    "conda": re.compile(r"conda|mamba|(^|/)pkgs(/|$)"),
    "npm": re.compile(r"(^|[/_.-])npm([/_.-]|$)"),
    "pnpm": re.compile(r"pnpm"),
    "yarn": re.compile(r"yarn"),
    "bun": re.compile(r"(^|[/_.-])bun([/_.-]|$)"),
    "go": re.compile(r"(^|[/_.-])go([/_.-]|$)|go-build|gomod|pkg/mod"),
    "cargo": re.compile(r"cargo"),
    "dotnet": re.compile(r"nuget"),
    "maven": re.compile(r"\.m2|maven"),
    "gradle": re.compile(r"gradle"),
    "gem": re.compile(r"(^|[/_.-])(gems?|bundle|bundler)([/_.-]|$)"),
}
# Go's two caches, for commands that need one of them (go_need).
_GO_CACHES = {
    "build": (re.compile(r"go-build|gocache|go/cache"), ("GOCACHE",)),
    "modules": (re.compile(r"pkg/mod|gomod|go/mod"), ("GOMODCACHE", "GOPATH")),
}


def cache_target_fits(
    manager: str, target: str, env: Mapping[str, str], need: str | None = None
) -> bool:
    """Whether a cache mount or volume at ``target`` holds ``manager``'s cache (for Go,
    the cache ``need`` names: see :func:`go_need`)."""
    target = norm_path(target)
    if manager == "go" and need in _GO_CACHES:
        word, variables = _GO_CACHES[need]
        return bool(word.search(target.lower())) or any(
            env.get(v) and related_paths(target, env[v]) for v in variables
        )
    for suffix in _CACHE_SUFFIXES[manager]:
        s = suffix.rstrip("/")
        if s.startswith("/"):
            if related_paths(target, s):
                return True
        elif (target + "/").find("/" + s + "/") >= 0 or target.endswith("/" + s.split("/")[0]):
            return True
    for var in _CACHE_ENV.get(manager, ()):
        value = env.get(var)
        if value and related_paths(target, value):
            return True
    return bool(CACHE_WORD[manager].search(target.lower()))


def cache_hint(manager: str, env: Mapping[str, str] | None = None, need: str | None = None) -> str:
    """The cache mount a message suggests for ``manager``'s install step (where the image's
    environment moves the cache, there)."""
    env = env or {}
    if manager == "go":
        if need == "build":
            return f"e.g. --mount=type=cache,target={env.get('GOCACHE') or '/root/.cache/go-build'}"
        gopath = env.get("GOPATH") or "/root/go"
        return f"e.g. --mount=type=cache,target={env.get('GOMODCACHE') or gopath + '/pkg/mod'}"
    for var in _CACHE_ENV.get(manager, ()):
        if env.get(var):
            sub = _ENV_SUBDIR.get(var) or ("store" if var == "PNPM_HOME" else None)
            return f"e.g. --mount=type=cache,target={env[var]}" + (f"/{sub}" if sub else "")
    if manager == "pnpm":  # pnpm's own Docker guide: a store of its own, on the cache mount
        return "e.g. ENV PNPM_HOME=/pnpm and --mount=type=cache,target=/pnpm/store"
    suffix = _CACHE_SUFFIXES[manager][0]
    if suffix.startswith("/"):
        return f"e.g. --mount=type=cache,target={suffix}"
    return f"e.g. --mount=type=cache,target=/root/{suffix}"


_MANIFESTS: list[tuple[str, str]] = [
    ("uv.lock", "uv"),
    ("environment.yml", "conda"),
    ("environment.yaml", "conda"),
    ("bun.lockb", "bun"),
    ("bun.lock", "bun"),
    ("Gemfile", "gem"),
    ("poetry.lock", "poetry"),
    ("requirements.txt", "pip"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("go.mod", "go"),
    ("Cargo.toml", "cargo"),
    ("pom.xml", "maven"),
    ("build.gradle", "gradle"),
    ("build.gradle.kts", "gradle"),
]


_ECOSYSTEMS = {"python": ("uv", "poetry", "pip"), "node": ("pnpm", "yarn", "npm", "bun")}
_ECOSYSTEM_MANIFEST = {"python": "pyproject.toml", "node": "package.json"}
# Lock files that say a sub-project of the workspace (frontend/, web/) is worked on with
# that manager; plain manifests one level down are often only examples or docs tooling.
_LOCKS = {
    "uv.lock": "uv",
    "poetry.lock": "poetry",
    "pnpm-lock.yaml": "pnpm",
    "yarn.lock": "yarn",
    "package-lock.json": "npm",
    "bun.lock": "bun",
    "bun.lockb": "bun",
    "Gemfile.lock": "gem",
    "Cargo.lock": "cargo",
    "go.sum": "go",
}
_NOT_SUBPROJECTS = re.compile(
    r"^(\..*|node_modules|vendor|docs?|examples?|samples?|fixtures?|third_party|"
    r"(tests?|testing|spec|e2e)([-_.].*)?)$"
)


def _dockerfile_managers(df: Dockerfile | None) -> set[str]:
    """Package managers any stage of ``df`` installs with."""
    found: set[str] = set()
    if df is None:
        return found
    for stage in df.stages:
        for ins in stage.instructions:
            if ins.keyword == "RUN":
                for words in commands(ins.script()):
                    manager = manager_of(words)
                    if manager:
                        found.add(manager)
    return found


def _names(folder: Path) -> set[str]:
    try:
        return {p.name for p in folder.iterdir()}
    except OSError:
        return set()


def managers_used(
    workspace: Path, df: Dockerfile | None, run_here: Iterable[str] = ()
) -> list[str]:
    """Package managers a developer runs in the dev container that opens ``workspace``.

    The workspace's lock files and manifests say it best (and lock files of its sub-projects
    one folder down, as ``frontend/yarn.lock``). A bare ``pyproject.toml`` or
    ``package.json`` (no lock file yet) is resolved with the Dockerfile: the most specific
    manager of that ecosystem it installs with (uv over poetry over pip: a ``pip install uv``
    only bootstraps uv), else pip or npm. Every manager ``run_here`` (the dev container's own
    lifecycle commands install with it) counts too. A manager the Dockerfile alone uses (an
    ``npm install -g`` of a tool) fills no cache while the developer works: it does not.
    """
    names = _names(workspace)
    found: set[str] = set()
    for manifest, manager in _MANIFESTS:
        if manifest in names:
            found.add(manager)
    if any(n.endswith((".csproj", ".sln", ".fsproj")) for n in names):
        found.add("dotnet")
    if any(re.fullmatch(r"requirements.*\.txt", n) for n in names):
        found.add("pip")
    for sub in sorted(names):
        if not _NOT_SUBPROJECTS.match(sub) and (workspace / sub).is_dir():
            found.update(m for lock, m in _LOCKS.items() if lock in _names(workspace / sub))
    built = _dockerfile_managers(df)
    for ecosystem, managers in _ECOSYSTEMS.items():
        if found & set(managers) or _ECOSYSTEM_MANIFEST[ecosystem] not in names:
            continue
        seen = [m for m in managers if m in built]
        found.add(seen[0] if seen else managers[-2 if ecosystem == "node" else -1])
    found |= set(run_here)
    return [m for m in MANAGERS if m in found]


def user_cache_dirs(manager: str, home: str, env: Mapping[str, str]) -> list[str]:
    """Where ``manager`` keeps its cache for a user with ``home`` (at most two places)."""
    if manager == "go":  # the module cache and the build cache
        gopath = env.get("GOPATH") or f"{home}/go"
        return [
            env.get("GOMODCACHE") or f"{gopath}/pkg/mod",
            env.get("GOCACHE") or f"{home}/.cache/go-build",
        ]
    dirs = [
        env[v] + (f"/{_ENV_SUBDIR[v]}" if v in _ENV_SUBDIR else "")
        for v in _CACHE_ENV.get(manager, ())
        if env.get(v)
    ]
    for suffix in _CACHE_SUFFIXES[manager]:
        dirs.append(suffix if suffix.startswith("/") else f"{home}/{suffix}")
    kept: list[str] = []
    for d in dirs:  # ~/.m2 holds ~/.m2/repository: name it once
        if not any(d == k or d.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(d)
    return kept[:2]
