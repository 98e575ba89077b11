"""DK001: whether a docker client here builds with BuildKit — the audit's one contact with the
machine, through the probe in :mod:`devkit.buildkit`, passed to ``audit(buildkit=…)``."""

from __future__ import annotations

import os
import re
import shutil

from devkit.dockerfile import Dockerfile
from devkit.doctor.model import ERROR, INFO, WARNING, BuildKitStatus, Rule, Run
from devkit.doctor.project import Project
from devkit.errors import one_line

# What a docker CLI says when no engine is there (not a BuildKit problem).
_ENGINE_DOWN = re.compile(
    r"cannot connect to the docker daemon|is the docker daemon running|"
    r"error during connect|connection refused|no such file or directory.*docker\.sock",
    re.IGNORECASE,
)


def buildkit_status(*, refresh: bool = False, podman: str | None = None) -> BuildKitStatus:
    """Ask :func:`devkit.buildkit.detect` (a tiny probe build) how BuildKit is reachable.

    ``refresh`` probes again instead of reusing this process's earlier answer. ``podman``:
    the Podman version when the caller found that Podman is the engine behind the docker
    client (``devkit.engine.identify``; doctor itself never talks to an engine): Podman builds
    with buildah, so there is no BuildKit to probe (and buildx would try to start a BuildKit
    container on it).
    """
    if podman is not None:
        return BuildKitStatus(
            False,
            False,
            f"the engine is Podman {podman}, which builds with buildah, not BuildKit",
            podman=podman,
        )
    # Imported when called, and used through the module object (tests patch buildkit.detect).
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


DK001 = Rule(
    "DK001",
    "buildkit-unavailable",
    ERROR,
    "BuildKit is not available to this docker client",
    "Without BuildKit, builds run on the classic builder: no cache mounts, no parallel "
    "stages, the whole context is sent every time; Dockerfiles using RUN --mount or "
    "heredocs fail outright.",
    "Install the docker-buildx plugin (or use a client that supports DOCKER_BUILDKIT=1), "
    "and put that client first on PATH. On Podman (buildah, not BuildKit) keep to what its "
    "buildah builds: see the rule page.",
)


def check(run: Run, project: Project) -> None:
    """DK001, once per audit and only when there is a Dockerfile: at the first line that
    needs BuildKit (an error if it is missing), else a warning on the first Dockerfile."""
    if run.buildkit is None or not run.parsed:
        return
    first_path, first_line = None, None
    for path, df in run.parsed.items():
        line = _buildkit_feature_line(df)
        if line is not None:
            first_path, first_line = path, line
            break
    status = run.buildkit()
    if status.podman is not None:
        _check_podman(run, status.podman)
        return
    if status.available and status.default_client_ok:
        return
    if first_path is None:
        first_path = next(iter(run.parsed))
    if not status.checked:
        run.add(DK001.id, first_path, first_line, f"not checked: {status.detail}", INFO)
    elif not status.available:
        severity = ERROR if first_line else WARNING
        needs = (
            "this Dockerfile uses BuildKit-only syntax and will not build"
            if first_line
            else "builds fall back to the slow classic builder"
        )
        run.add(DK001.id, first_path, first_line, f"{needs}: {status.detail}", severity)
    else:
        run.add(DK001.id, first_path, first_line, status.detail, WARNING)


def _buildkit_feature_line(df: Dockerfile) -> int | None:
    """The first line that only BuildKit builds: a heredoc, ``--mount``, ``--link``,
    ``RUN --network``."""
    for ins in df.instructions:
        if (
            ins.heredocs
            or ins.flag("mount")
            or ins.flag("link")
            or (ins.keyword == "RUN" and ins.flag("network"))
        ):
            return ins.line
    return None


# What buildah does with the features a Dockerfile may use that only BuildKit builds: measured
# with `podman build` on Podman 4.3.1 (buildah 1.28.2, Debian 12). Newer Podman ships a newer
# buildah, which may build more of them (not measured here).
_MEASURED_ON = "buildah 1.28, Podman 4.3"
_MEASURED_UP_TO = (4, 3)


def _podman_features(df: Dockerfile) -> list[tuple[int | None, str, bool]]:
    """(line, feature, whether buildah 1.28 builds it) for each BuildKit-only feature used."""
    found: list[tuple[int | None, str, bool]] = []
    if "syntax" in df.directives:
        # Accepted, and ignored: buildah parses the Dockerfile itself, no frontend image runs.
        found.append((None, f"`# syntax={df.directives['syntax']}` (ignored by buildah)", True))
    for ins in df.instructions:
        if ins.heredocs:
            found.append((ins.line, f"a heredoc in {ins.keyword}", False))
        if ins.flag("link"):
            found.append((ins.line, f"{ins.keyword} --link", False))
        if ins.keyword == "RUN" and ins.flag("network"):
            found.append((ins.line, "RUN --network", False))
        for mount in ins.mounts() if ins.keyword == "RUN" else []:
            found.append((ins.line, f"RUN --mount=type={mount.get('type', 'bind')}", True))
        if ins.keyword in ("COPY", "ADD") and ins.flag("chmod"):
            found.append((ins.line, f"{ins.keyword} --chmod", True))
    return found


def _check_podman(run: Run, version: str) -> None:
    """DK001 on Podman: say plainly that buildah builds, and which of the BuildKit-only
    features the Dockerfiles use it builds (an error for one it does not, on the Podman
    measured; a warning on a newer Podman, whose buildah may have learnt it)."""
    used = [
        (path, line, what, ok)
        for path, df in run.parsed.items()
        for line, what, ok in _podman_features(df)
    ]
    engine = f"the engine is Podman {version}: it builds with buildah, not BuildKit"
    missing = [u for u in used if not u[3]]
    if missing:
        path, line = missing[0][0], missing[0][1]
        names = ", ".join(dict.fromkeys(u[2] for u in missing))
        found = re.match(r"(\d+)\.(\d+)", version)
        measured = found is not None and tuple(map(int, found.groups())) <= _MEASURED_UP_TO
        severity = ERROR if measured else WARNING
        verdict = "will not build" if measured else "may not build (newer buildah not measured)"
        run.add(
            DK001.id,
            path,
            line,
            f"{engine}; this Dockerfile {verdict}: {names} not supported ({_MEASURED_ON})",
            severity,
        )
        return
    first = used[0] if used else (next(iter(run.parsed)), None, "", True)
    if used:
        names = ", ".join(dict.fromkeys(u[2] for u in used))
        said = f"{engine}; the BuildKit-only features used build there ({names}; {_MEASURED_ON})"
    else:
        said = f"{engine}; these Dockerfiles use no BuildKit-only feature"
    run.add(
        DK001.id,
        first[0],
        first[1],
        f"{said}; no BuildKit progress or parallel stages (devkit bench cannot measure it)",
        INFO,
    )


RULES: tuple[Rule, ...] = (DK001,)
