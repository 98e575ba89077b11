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


def buildkit_status(*, refresh: bool = False) -> BuildKitStatus:
    """Ask :func:`devkit.buildkit.detect` (a tiny probe build) how BuildKit is reachable.

    ``refresh`` probes again instead of reusing this process's earlier answer.
    """
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
    "and put that client first on PATH.",
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


RULES: tuple[Rule, ...] = (DK001,)
