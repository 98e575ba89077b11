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

BuildKit pads the step index to the width of the total: ``[ 1/12]``, ``[dev  1/12]``.

A ``FROM`` step counts as cached when BuildKit says ``CACHED`` or when it finished without
downloading anything (BuildKit reports a local base image as ``DONE 0.0s`` on some builds and
``CACHED`` on others; either way no work was done).

Other builds on the same engine show through, in two ways. A vertex identical to one of
another build running at the same time (same digest) is one vertex, named by whichever build
BuildKit loaded first: a build whose steps are ``[dev 2/6]``... may print ``[dev 1/5] FROM
...``. And when one of our steps has the same cache key as a step of another build in progress
without being identical (the same base image, the same content copied from another context, a
step after those), BuildKit merges our step into theirs and sends us *their* vertex as well,
with its own number and the other build's name, beside ours::

    #6 [dev 2/5] COPY requirements.txt /app/        (the other build's vertex)
    #6 CACHED
    #7 [dev 2/6] COPY requirements.txt /app/        (ours)
    #7 CACHED

So :attr:`BuildProgress.steps` takes two step vertexes with the same index and instruction for
one step when a single build cannot have named both: the same stage (whatever the totals say),
or one name with a stage and the other without (``[3/5] RUN x`` and ``[dev 3/4] RUN x``): a
build names all its steps alike. Two stages of one build with the same instruction at the same
index (``[web 2/3] WORKDIR /app`` and ``[api 2/3] WORKDIR /app``) stay two steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(r"^#(?P<id>\d+) (?P<rest>.*)$")
_STEP_NAME = re.compile(
    r"^\[(?:(?:(?P<target>[^\]\s]+) )?(?P<stage>[^\]\s]+) )? *(?P<index>\d+)/(?P<total>\d+)\] "
    r"(?P<instr>.*)$"
)
_CONTEXT_NAME = re.compile(r"^\[(?:[^\]\s]+ )?internal\] load (?:remote )?build context")
_DONE = re.compile(r"^DONE (?P<secs>\d+(?:\.\d+)?)s$")
_ERROR = re.compile(r"^ERROR:? ?(?P<msg>.*)$")
_CONTEXT = re.compile(r"^transferring context: (?P<size>\d+(?:\.\d+)?)(?P<unit>[kKMGTP]?i?B)\b")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# Timestamped log output of a RUN step: "#7 0.222 total 312".
_LOG = re.compile(r"^\d+\.\d+ ")
# A layer downloading or being unpacked. Not "resolve …": with the containerd image store,
# BuildKit resolves a local base image too (measured with Docker 26.1), downloading nothing.
_DOWNLOAD = re.compile(r"^(sha256:[0-9a-f]{64} \S+ / |extracting )")

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
    def index(self) -> int | None:
        """The step's ``N`` in ``[stage N/M]`` (None for other vertexes)."""
        match = _STEP_NAME.match(self.name)
        return int(match.group("index")) if match else None

    @property
    def label(self) -> tuple[str | None, str | None]:
        """What names the step's stage: (target or platform, stage); (None, None) for none."""
        match = _STEP_NAME.match(self.name)
        return (match.group("target"), match.group("stage")) if match else (None, None)

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
        """Dockerfile steps in the order BuildKit first printed them, each once.

        A step printed twice, as ours and as the vertex of another build it was merged into
        (see the module docstring), is one :class:`Vertex` that combines both: cached only when
        both are, the longer duration, the first error.
        """
        groups: list[list[Vertex]] = []
        by_position: dict[tuple[int | None, str], list[list[Vertex]]] = {}
        for vertex in self.vertexes.values():
            if not vertex.is_step:
                continue
            candidates = by_position.setdefault((vertex.index, vertex.instruction), [])
            group = next((g for g in candidates if any(_same_step(v, vertex) for v in g)), None)
            if group is None:
                group = []
                candidates.append(group)
                groups.append(group)
            group.append(vertex)
        return [g[0] if len(g) == 1 else _combined(g) for g in groups]

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


def _same_step(a: Vertex, b: Vertex) -> bool:
    """Whether two step vertexes with the same index and instruction are one step, printed
    under another build's name too: one build cannot have named both."""
    if a.label == b.label:
        return True  # same stage (the totals may differ: the other Dockerfile has more steps)
    shape_a = sum(part is not None for part in a.label)
    shape_b = sum(part is not None for part in b.label)
    return shape_a != shape_b  # e.g. "[2/6] X" and "[dev 2/5] X"


def _combined(group: list[Vertex]) -> Vertex:
    """One step from the vertexes that printed it (the first one's number and name)."""
    first = group[0]
    durations = [v.duration for v in group if v.duration is not None]
    return Vertex(
        id=first.id,
        name=first.name,
        # Cached only when every vertex says so: had the other build's vertex run the step,
        # ours would have waited for it, as for a step of its own.
        cached=all(v.cached for v in group),
        done=all(v.done for v in group),
        duration=max(durations) if durations else None,
        error=next((v.error for v in group if v.error), None),
        logs=max(v.logs for v in group),
        downloads=max(v.downloads for v in group),
    )


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
