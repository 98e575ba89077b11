"""Which docker CLI on this machine can build with BuildKit, and how.

The Docker SDK (docker-py) only speaks to the classic builder, so BuildKit builds go through a
docker CLI. A client can build with BuildKit in two ways:

* ``docker buildx build`` (the buildx plugin), or
* ``DOCKER_BUILDKIT=1 docker build`` on a client that still has the built-in BuildKit path
  (Docker 18.09 – 22.x). Newer clients without the buildx plugin *fail* that way instead, and
  some setups silently fall back to the classic builder.

Version strings do not tell these apart, so :func:`detect` checks by behaviour: it runs a tiny
build (``FROM scratch`` + one ``ENV``, empty context, exported to a tar in ``/dev/null`` so
no image is stored) with ``--progress=plain`` and looks for BuildKit's ``#N`` step lines.
Several docker binaries are tried (``$DEVKIT_DOCKER``, every ``docker`` on ``PATH``, then the
usual install locations), and the result says what was tried when none works.

Used by ``devkit bench`` (to run builds) and by ``devkit doctor`` (rule "BuildKit not available
to this client").
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from devkit.errors import DevkitError

#: Environment variable naming a docker CLI to use instead of searching for one.
DOCKER_ENV = "DEVKIT_DOCKER"

#: Where docker CLIs are usually installed, tried after those on PATH.
COMMON_LOCATIONS = (
    "/usr/bin/docker",
    "/usr/local/bin/docker",
    "/opt/homebrew/bin/docker",
    "/Applications/Docker.app/Contents/Resources/bin/docker",
)

MODE_BUILDX = "buildx"
MODE_DOCKER_BUILD = "docker-build"

_PROBE_DOCKERFILE = "FROM scratch\nENV DEVKIT_BUILDKIT_PROBE=1\n"
# BuildKit's plain progress prints "#1 [internal] load build definition ..."; the classic
# builder prints "Step 1/2 : FROM scratch".
_BUILDKIT_LINE = re.compile(r"^#\d+ ", re.MULTILINE)
_CLASSIC_LINE = re.compile(r"^Step \d+/\d+ :", re.MULTILINE)
_PROBE_TIMEOUT = 60


@dataclass(frozen=True)
class Attempt:
    """One candidate that was tried, and what happened."""

    docker: str
    mode: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class BuildKitInfo:
    """How (and whether) this client can build with BuildKit.

    ``available`` is True when a probe build really ran through BuildKit. Then ``docker`` is
    the CLI binary to run, ``mode`` is :data:`MODE_BUILDX` or :data:`MODE_DOCKER_BUILD`, and
    :meth:`build_command` / :meth:`build_env` give what to execute. ``attempts`` records every
    candidate tried (also when one worked), for error messages and ``devkit doctor``.
    """

    available: bool
    docker: str | None = None
    mode: str | None = None
    client_version: str | None = None
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)

    def build_command(self) -> list[str]:
        """The argv prefix of a BuildKit build, e.g. ``[docker, "buildx", "build", "--load"]``."""
        if not self.available or self.docker is None:
            raise DevkitError(self.explain())
        if self.mode == MODE_BUILDX:
            # --load: with a docker-container builder the result would otherwise stay in the
            # builder's cache and never become an image we can measure.
            return [self.docker, "buildx", "build", "--load"]
        return [self.docker, "build"]

    def build_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment for :meth:`build_command` (``DOCKER_BUILDKIT=1`` in legacy mode)."""
        env = dict(os.environ if base is None else base)
        if self.mode == MODE_DOCKER_BUILD:
            env["DOCKER_BUILDKIT"] = "1"
        return env

    def describe(self) -> str:
        """One line such as ``/usr/bin/docker (20.10.24), DOCKER_BUILDKIT=1 docker build``."""
        if not self.available:
            return "BuildKit not available"
        how = (
            "docker buildx build" if self.mode == MODE_BUILDX else "DOCKER_BUILDKIT=1 docker build"
        )
        version = f" ({self.client_version})" if self.client_version else ""
        return f"{self.docker}{version}, {how}"

    def explain(self) -> str:
        """Why BuildKit is not available: every candidate tried and what it answered."""
        if self.available:
            return self.describe()
        if not self.attempts:
            return (
                "no docker CLI found (looked on PATH and in "
                + ", ".join(COMMON_LOCATIONS)
                + f"; set {DOCKER_ENV} to one)"
            )
        tried = "; ".join(f"{a.docker} [{a.mode}]: {a.detail}" for a in self.attempts)
        return (
            "no docker CLI here can build with BuildKit (tried "
            + tried
            + "); install the buildx plugin, or point "
            + DOCKER_ENV
            + " at a client that supports DOCKER_BUILDKIT=1"
        )

    def require(self) -> BuildKitInfo:
        """Return self when available, else raise :class:`DevkitError` with :meth:`explain`."""
        if not self.available:
            raise DevkitError(self.explain())
        return self


def candidates() -> list[str]:
    """Docker CLI binaries worth trying, best first, without duplicates (by real path)."""
    found: list[str] = []
    override = os.environ.get(DOCKER_ENV)
    if override:
        found.append(shutil.which(override) or override)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if directory:
            path = os.path.join(directory, "docker")
            if os.path.isfile(path) and os.access(path, os.X_OK):
                found.append(path)
    found.extend(p for p in COMMON_LOCATIONS if os.path.isfile(p) and os.access(p, os.X_OK))
    unique: list[str] = []
    seen: set[str] = set()
    for path in found:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return unique


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    message = lines[-1] if lines else "no output"
    for line in lines:  # the first error line says more than the trailing help URL
        if line.lower().startswith(("error", "docker:")):
            message = line
            break
    return message[:200]


def _run(argv: list[str], env: dict[str, str], cwd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        input=_PROBE_DOCKERFILE,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=_PROBE_TIMEOUT,
        check=False,
    )


def _client_version(docker: str) -> str | None:
    try:
        done = subprocess.run(
            [docker, "version", "--format", "{{.Client.Version}}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = done.stdout.strip()
    return version or None


def _remove_classic_probe_image(docker: str, output: str) -> None:
    """The classic builder ignores ``-o`` and stores an image: remove that one again."""
    match = re.search(r"^Successfully built ([0-9a-f]{12,64})$", output, re.MULTILINE)
    if match:
        subprocess.run(
            [docker, "rmi", match.group(1)], capture_output=True, timeout=30, check=False
        )


def _probe(docker: str, mode: str) -> Attempt:
    """Run the tiny build with ``docker`` in ``mode`` and decide whether BuildKit ran it."""
    env = dict(os.environ)
    if mode == MODE_BUILDX:
        version = subprocess.run(
            [docker, "buildx", "version"], capture_output=True, text=True, timeout=20, check=False
        )
        if version.returncode != 0:
            detail = _last_line(version.stderr + version.stdout)
            return Attempt(docker, mode, False, f"no buildx plugin ({detail})")
        prefix = [docker, "buildx", "build"]
    else:
        env["DOCKER_BUILDKIT"] = "1"
        prefix = [docker, "build"]
    with tempfile.TemporaryDirectory(prefix="devkit-buildkit-probe-") as context:
        argv = [
            *prefix,
            "--progress=plain",
            "-o",
            "type=tar,dest=" + os.devnull,
            "-f",
            "-",
            context,
        ]
        try:
            done = _run(argv, env, context)
        except subprocess.TimeoutExpired:
            return Attempt(docker, mode, False, f"probe build timed out after {_PROBE_TIMEOUT}s")
        except OSError as exc:
            return Attempt(docker, mode, False, f"cannot run: {exc}")
        output = done.stdout + "\n" + done.stderr
        if _CLASSIC_LINE.search(output):
            _remove_classic_probe_image(docker, output)
            return Attempt(docker, mode, False, "the build ran on the classic builder")
        if done.returncode != 0:
            return Attempt(docker, mode, False, f"probe build failed: {_last_line(output)}")
        if not _BUILDKIT_LINE.search(output):
            return Attempt(docker, mode, False, "probe build showed no BuildKit progress")
    return Attempt(docker, mode, True, "BuildKit build works")


def _detect_uncached() -> BuildKitInfo:
    attempts: list[Attempt] = []
    for docker in candidates():
        for mode in (MODE_BUILDX, MODE_DOCKER_BUILD):
            attempt = _probe(docker, mode)
            attempts.append(attempt)
            if attempt.ok:
                return BuildKitInfo(
                    available=True,
                    docker=docker,
                    mode=mode,
                    client_version=_client_version(docker),
                    attempts=tuple(attempts),
                )
    return BuildKitInfo(available=False, attempts=tuple(attempts))


@functools.lru_cache(maxsize=1)
def _detect_cached() -> BuildKitInfo:
    return _detect_uncached()


def detect(*, refresh: bool = False) -> BuildKitInfo:
    """Find a docker CLI that really builds with BuildKit (probing by behaviour).

    Tries ``$DEVKIT_DOCKER``, each ``docker`` on PATH and :data:`COMMON_LOCATIONS`; for each,
    first ``docker buildx build`` and then ``DOCKER_BUILDKIT=1 docker build``, running a tiny
    image-less probe build and accepting only one whose output is BuildKit's. Never raises for
    an unusable client: check ``info.available`` (``info.explain()`` says what was tried), or
    call ``info.require()``. The answer is cached per process; ``refresh=True`` probes again.
    The probe needs the engine the CLI points at (DOCKER_HOST / docker context) to be running.
    """
    if refresh:
        _detect_cached.cache_clear()
    return _detect_cached()
