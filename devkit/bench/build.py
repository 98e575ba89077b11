"""One measured build: the docker CLI's command line for it, and its run, streamed through
BuildKit's plain progress parser (:mod:`devkit.bench.progress`) line by line."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devkit.bench import process
from devkit.bench.progress import BuildProgress, ProgressParser, Vertex
from devkit.buildkit import BuildKitInfo

#: How many of the last output lines a failed build's message may quote from.
TAIL_LINES = 30


def command(
    info: BuildKitInfo,
    dockerfile: Path,
    context: Path,
    *,
    tag: str,
    iidfile: Path,
    labels: Mapping[str, str],
    stage: str | None = None,
    no_cache: bool = False,
) -> list[str]:
    """The argv of one build of ``dockerfile`` in ``context`` with plain progress output."""
    argv = [
        *info.build_command(),
        "--progress=plain",
        "-f",
        str(dockerfile),
        "--iidfile",
        str(iidfile),
        "-t",
        tag,
    ]
    for key, value in labels.items():
        argv += ["--label", f"{key}={value}"]
    if stage:
        argv += ["--target", stage]
    if no_cache:
        argv.append("--no-cache")
    argv.append(str(context))
    return argv


@dataclass
class BuildRun:
    """What one build did: its exit code, wall time, parsed progress and last output lines."""

    code: int
    wall_seconds: float
    progress: BuildProgress
    tail: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        """BuildKit's error lines, else the last non-empty lines of output."""
        return self.progress.errors or [ln for ln in self.tail if ln.strip()][-3:]


def run(
    argv: list[str],
    env: dict[str, str],
    on_vertex: Callable[[Vertex, BuildProgress], None] | None = None,
) -> BuildRun:
    """Run the build ``argv`` to its end, calling ``on_vertex`` for each step update; the
    build's processes are stopped whatever happens (:func:`devkit.bench.process.stop`)."""
    parser = ProgressParser()
    tail: deque[str] = deque(maxlen=TAIL_LINES)  # no copy of the tail per output line
    started = time.monotonic()
    proc = process.start(argv, env)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip("\n"))
            vertex = parser.feed(line)
            if vertex is not None and on_vertex is not None:
                on_vertex(vertex, parser.progress)
        code = proc.wait()
    finally:
        process.stop(proc)
    return BuildRun(code, time.monotonic() - started, parser.progress, list(tail))
