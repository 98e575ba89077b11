"""Package managers: which command installs with which, where each keeps its cache, and
which ones a repository uses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from devkit.dockerfile import Dockerfile
from devkit.doctor.shell import commands, norm_path, program, related_paths

#: Every package manager doctor knows, in the order findings name them.
MANAGERS = (
    "apt",
    "apk",
    "pip",
    "uv",
    "poetry",
    "npm",
    "pnpm",
    "yarn",
    "go",
    "cargo",
    "dotnet",
    "maven",
    "gradle",
)


def manager_of(words: list[str]) -> str | None:
    """The package manager a command installs packages with, if it does."""
    if not words:
        return None
    prog = program(words[0])
    rest = [w for w in words[1:] if not w.startswith("-")]
    sub = rest[0] if rest else ""
    # Installs that download nothing: vendored Go modules, pip from local wheels only.
    if prog == "go" and "-mod=vendor" in words:
        return None
    if re.fullmatch(r"(pip|python)[0-9.]*", prog) and "--no-index" in words:
        return None
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
    if prog == "npm" and sub in ("ci", "install", "i", "add", "update"):
        return "npm"
    if prog == "pnpm" and sub in ("install", "i", "add", "fetch", "update"):
        return "pnpm"
    if prog == "yarn" and sub in ("", "install", "add"):
        return "yarn"
    if prog == "go" and (rest[:2] == ["mod", "download"] or sub in ("build", "install", "get")):
        return "go"
    if prog == "cargo" and (sub in ("build", "install", "fetch") or rest[:2] == ["chef", "cook"]):
        return "cargo"
    if prog == "dotnet" and (
        sub in ("restore", "build", "publish") or rest[:2] == ["tool", "install"]
    ):
        return "dotnet"
    if prog in ("mvn", "mvnw") and not {"-v", "--version"} & set(words):
        return "maven"
    if prog in ("gradle", "gradlew") and not {"-v", "--version"} & set(words):
        return "gradle"
    return None


# Cache directories per manager: path suffixes (matched at a path boundary) and the
# environment variables that move them.
_CACHE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "apt": ("/var/cache/apt",),
    "apk": ("/var/cache/apk", "/etc/apk/cache"),
    "pip": (".cache/pip",),
    "uv": (".cache/uv",),
    "poetry": (".cache/pypoetry",),
    "npm": (".npm",),
    "pnpm": ("pnpm/store", ".pnpm-store"),
    "yarn": (".cache/yarn", ".yarn/cache", ".yarn/berry/cache"),
    "go": ("go/pkg/mod", ".cache/go-build"),
    "cargo": (".cargo/registry", "cargo/registry", ".cargo/git"),
    "dotnet": (".nuget/packages",),
    "maven": (".m2", ".m2/repository"),
    "gradle": (".gradle", ".gradle/caches"),
}
_CACHE_ENV: dict[str, tuple[str, ...]] = {
    "pip": ("PIP_CACHE_DIR",),
    "uv": ("UV_CACHE_DIR",),
    "poetry": ("POETRY_CACHE_DIR",),
    "npm": ("npm_config_cache", "NPM_CONFIG_CACHE"),
    "pnpm": ("npm_config_store_dir", "PNPM_STORE_DIR", "PNPM_HOME"),
    "yarn": ("YARN_CACHE_FOLDER",),
    "go": ("GOMODCACHE", "GOCACHE", "GOPATH"),
    "cargo": ("CARGO_HOME",),
    "dotnet": ("NUGET_PACKAGES",),
    "maven": ("MAVEN_REPO", "MAVEN_CONFIG"),
    "gradle": ("GRADLE_USER_HOME",),
}
CACHE_WORD: dict[str, re.Pattern[str]] = {
    "apt": re.compile(r"/apt(/|$)"),
    "apk": re.compile(r"apk"),
    "pip": re.compile(r"pip"),
    "uv": re.compile(r"(^|[/_.-])uv([/_.-]|$)"),
    "poetry": re.compile(r"poetry"),
    "npm": re.compile(r"(^|[/_.-])npm([/_.-]|$)"),
    "pnpm": re.compile(r"pnpm"),
    "yarn": re.compile(r"yarn"),
    "go": re.compile(r"(^|[/_.-])go([/_.-]|$)|go-build|gomod|pkg/mod"),
    "cargo": re.compile(r"cargo"),
    "dotnet": re.compile(r"nuget"),
    "maven": re.compile(r"\.m2|maven"),
    "gradle": re.compile(r"gradle"),
}


def cache_target_fits(manager: str, target: str, env: Mapping[str, str]) -> bool:
    """Whether a cache mount or volume at ``target`` holds ``manager``'s cache."""
    target = norm_path(target)
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


def cache_hint(manager: str) -> str:
    """The cache mount a message suggests for ``manager``'s install step."""
    suffix = _CACHE_SUFFIXES[manager][0]
    if suffix.startswith("/"):
        return f"e.g. --mount=type=cache,target={suffix}"
    return f"e.g. --mount=type=cache,target=/root/{suffix}"


_MANIFESTS: list[tuple[str, str]] = [
    ("uv.lock", "uv"),
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


_ECOSYSTEMS = {"python": ("uv", "poetry", "pip"), "node": ("pnpm", "yarn", "npm")}
_ECOSYSTEM_MANIFEST = {"python": "pyproject.toml", "node": "package.json"}


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


def managers_used(root: Path, df: Dockerfile | None, run_here: Iterable[str] = ()) -> list[str]:
    """Package managers a developer runs in the dev container.

    Lock files and manifests in the repository say it best. A bare ``pyproject.toml`` or
    ``package.json`` (no lock file yet) and Dockerfiles without manifests are resolved with the
    Dockerfile: the most specific manager of that ecosystem it installs with (uv over poetry
    over pip: a ``pip install uv`` only bootstraps uv). Build-only language toolchains (go,
    cargo, dotnet, maven, gradle) installing in any stage count as used, and so does every
    manager ``run_here`` (the dev container's own lifecycle commands install with it).
    """
    built = _dockerfile_managers(df)
    names = {p.name for p in root.iterdir()} if root.is_dir() else set()
    found: set[str] = set()
    for manifest, manager in _MANIFESTS:
        if manifest in names:
            found.add(manager)
    if any(n.endswith((".csproj", ".sln", ".fsproj")) for n in names):
        found.add("dotnet")
    if any(re.fullmatch(r"requirements.*\.txt", n) for n in names):
        found.add("pip")
    for ecosystem, managers in _ECOSYSTEMS.items():
        if found & set(managers):
            continue
        seen = [m for m in managers if m in built]
        if seen:
            found.add(seen[0])
        elif _ECOSYSTEM_MANIFEST[ecosystem] in names:
            found.add(managers[-1])
    found |= built & {"go", "cargo", "dotnet", "maven", "gradle"}
    found |= set(run_here)
    return [m for m in MANAGERS if m in found]


def user_cache_dirs(manager: str, home: str, env: Mapping[str, str]) -> list[str]:
    """Where ``manager`` keeps its cache for a user with ``home`` (at most two places)."""
    dirs = [env[v] for v in _CACHE_ENV.get(manager, ()) if env.get(v)]
    for suffix in _CACHE_SUFFIXES[manager]:
        if suffix.startswith("/"):
            dirs.append(suffix)
        elif manager == "go" and suffix == "go/pkg/mod":
            dirs.append(f"{home}/go/pkg/mod")
        else:
            dirs.append(f"{home}/{suffix}")
    return list(dict.fromkeys(dirs))[:2]
