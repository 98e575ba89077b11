"""Reading BuildKit's ``--progress=plain`` output.

BuildKit prints one block of lines per *vertex* (a step of the build graph), each line starting
with ``#<n>``::

    #5 [internal] load build context
    #5 transferring context: 300.23kB 0.1s done
    #5 DONE 0.1s

    #6 [stage-0 2/3] COPY . /app
    #6 CACHED

Blocks of different vertexes interleave when steps run in parallel, so the parser collects by
vertex number. *Steps* are the Dockerfile instructions (vertexes named ``[N/M] ...`` or
``[stage N/M] ...``); ``[internal]`` vertexes and the export are bookkeeping, except that the
``load build context`` vertexes say how many bytes of build context were sent.

``DOCKER_BUILDKIT=1 docker build`` and ``docker buildx build`` name vertexes alike; Compose v2
(and buildx bake) put the service or target first: ``[dev deps 2/4] WORKDIR /app``,
``[dev internal] load build context``. A single word before ``N/M`` is read as the stage.

A ``FROM`` step counts as cached when BuildKit says ``CACHED`` or when it finished without
downloading anything (BuildKit reports a local base image as ``DONE 0.0s`` on some builds and
``CACHED`` on others; either way no work was done).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(r"^#(?P<id>\d+) (?P<rest>.*)$")
_STEP_NAME = re.compile(
    r"^\[(?:(?:(?P<target>[^\]\s]+) )?(?P<stage>[^\]\s]+) )?(?P<index>\d+)/(?P<total>\d+)\] "
    r"(?P<instr>.*)$"
)
_CONTEXT_NAME = re.compile(r"^\[(?:[^\]\s]+ )?internal\] load (?:remote )?build context")
_DONE = re.compile(r"^DONE (?P<secs>\d+(?:\.\d+)?)s$")
_ERROR = re.compile(r"^ERROR:? ?(?P<msg>.*)$")
_CONTEXT = re.compile(r"^transferring context: (?P<size>\d+(?:\.\d+)?)(?P<unit>[kKMGTP]?i?B)\b")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# Timestamped log output of a RUN step: "#7 0.222 total 312".
_LOG = re.compile(r"^\d+\.\d+ ")
_DOWNLOAD = re.compile(r"^(resolve |sha256:[0-9a-f]{64} \S+ / |extracting )")

_UNITS = {
    "B": 1,
    "kB": 1000,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "PB": 1000**5,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
}


def parse_size(number: str, unit: str) -> int:
    """``"300.23", "kB"`` -> 300230 (BuildKit uses decimal units, like go-units HumanSize)."""
    return round(float(number) * _UNITS.get(unit, 1))


@dataclass
class Vertex:
    """Everything printed for one ``#n`` vertex."""

    id: int
    name: str = ""
    cached: bool = False
    done: bool = False
    duration: float | None = None
    error: str | None = None
    context_bytes: int | None = None
    logs: int = 0
    downloads: int = 0

    @property
    def is_step(self) -> bool:
        """True for Dockerfile instructions (not ``[internal]`` or export vertexes)."""
        return _STEP_NAME.match(self.name) is not None

    @property
    def instruction(self) -> str:
        match = _STEP_NAME.match(self.name)
        return match.group("instr") if match else self.name

    @property
    def stage(self) -> str | None:
        match = _STEP_NAME.match(self.name)
        return match.group("stage") if match else None

    @property
    def is_from(self) -> bool:
        return self.is_step and self.instruction.upper().startswith("FROM ")

    @property
    def counts_as_cached(self) -> bool:
        """Cached, or a FROM that reused a local image without downloading anything."""
        if self.cached:
            return True
        return self.is_from and self.done and self.error is None and self.downloads == 0

    @property
    def is_context(self) -> bool:
        return _CONTEXT_NAME.match(self.name) is not None


@dataclass
class BuildProgress:
    """The parsed result of one build's plain progress output."""

    vertexes: dict[int, Vertex] = field(default_factory=dict)

    @property
    def steps(self) -> list[Vertex]:
        """Dockerfile steps in the order BuildKit first printed them."""
        return [v for v in self.vertexes.values() if v.is_step]

    @property
    def steps_total(self) -> int:
        return len(self.steps)

    @property
    def steps_cached(self) -> int:
        return sum(1 for v in self.steps if v.counts_as_cached)

    @property
    def cache_hit_rate(self) -> float | None:
        """Cached steps / all steps (None when no step was seen)."""
        total = self.steps_total
        return self.steps_cached / total if total else None

    @property
    def context_bytes(self) -> int:
        """Bytes of build context BuildKit reported transferring (all context vertexes)."""
        return sum(v.context_bytes or 0 for v in self.vertexes.values() if v.is_context)

    @property
    def errors(self) -> list[str]:
        return [
            f"{v.name}: {v.error}" if v.name else v.error for v in self.vertexes.values() if v.error
        ]


class ProgressParser:
    """Incremental parser: feed lines as the build prints them, read :attr:`progress` any time."""

    def __init__(self) -> None:
        self.progress = BuildProgress()

    def feed(self, line: str) -> Vertex | None:
        """Consume one output line; return the vertex it updated (None for other lines)."""
        match = _LINE.match(line.rstrip("\r\n"))
        if not match:
            return None
        vid = int(match.group("id"))
        rest = match.group("rest").strip()
        vertex = self.progress.vertexes.get(vid)
        if vertex is None:
            # The first line of a vertex block is its name.
            vertex = Vertex(id=vid, name=rest)
            self.progress.vertexes[vid] = vertex
            return vertex
        if not vertex.name:
            vertex.name = rest
        if rest == "CACHED":
            vertex.cached = True
            vertex.done = True
        elif done := _DONE.match(rest):
            vertex.done = True
            vertex.duration = float(done.group("secs"))
        elif (error := _ERROR.match(rest)) and rest.startswith("ERROR"):
            vertex.error = error.group("msg") or "failed"
        elif context := _CONTEXT.match(rest):
            vertex.context_bytes = parse_size(context.group("size"), context.group("unit"))
        elif _DIGEST.match(rest):
            pass
        elif _DOWNLOAD.match(rest):
            vertex.downloads += 1
        elif _LOG.match(rest):
            vertex.logs += 1
        return vertex


def parse_progress(text: str) -> BuildProgress:
    """Parse a whole captured ``--progress=plain`` output."""
    parser = ProgressParser()
    for line in text.splitlines():
        parser.feed(line)
    return parser.progress
