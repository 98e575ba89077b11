"""The fresh-machine scenario: ``devkit bench PATH --scenarios fresh --registry REPO``.

What a new teammate's machine pays for the dev image, with and without the prebuild
(``devkit prebuild --push``), measured side by side, ``repeat`` times, alternating which
goes first:

* **without**: the cold build, exactly the ``cold`` scenario (``--no-cache``, cache mounts of
  this run's own; base images kept, as on a machine that has pulled them once);
* **with**: what the machine does when the registry has the prebuilt tag — compute the
  content tag (:func:`devkit.prebuild.make_plan`) and have the engine pull
  ``REPO:<content tag>`` for its platform, starting without that image.

Nothing of anyone else's is pruned: the engine's build cache is left alone (the cold build
cannot use it), and the prebuilt image is removed before each pull and, unless the engine
had it before, at the end. The registry cache alone (a compose ``cache_from`` build with no
prebuilt tag) needs an empty build cache to measure: that is
``benchmarks/bench_prebuild.py``'s job, on an engine of its own.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit import engine, prebuild
from devkit.bench.report import BuildResult
from devkit.bench.runner import Bench, BenchOptions, Observer
from devkit.bench.targets import Target
from devkit.buildkit import BuildKitInfo
from devkit.dockerfile import parse_file
from devkit.errors import DevkitError


@dataclass
class Pulled:
    """The prebuilt image fetched as a fresh machine does (see :func:`pull_prebuilt`)."""

    tag_seconds: float
    pull_seconds: float
    #: Bytes of the layers the pull downloaded.
    pulled_bytes: int
    #: Bytes of all the image's layers for this platform.
    image_bytes: int
    #: Bytes of layers above the base image the engine already held (its build cache keeps
    #: the layers of a build of this project here): a fresh machine downloads those too.
    held_bytes: int


@dataclass
class FreshRun:
    """One repeat: the cold build and the prebuilt pull it is compared with."""

    repeat: int
    cold: BuildResult
    pulled: Pulled

    @property
    def tag_seconds(self) -> float:
        """Seconds to compute the content tag."""
        return self.pulled.tag_seconds

    @property
    def pull_seconds(self) -> float:
        """Seconds the engine's pull took."""
        return self.pulled.pull_seconds

    @property
    def prebuilt_seconds(self) -> float:
        """Content tag plus pull: what the fresh machine waits with the prebuild."""
        return self.tag_seconds + self.pull_seconds

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form of one repeat."""
        return {
            "repeat": self.repeat,
            "cold_seconds": round(self.cold.wall_seconds, 2),
            "cold_steps": self.cold.steps_total,
            "tag_seconds": round(self.tag_seconds, 2),
            "pull_seconds": round(self.pull_seconds, 2),
            "prebuilt_seconds": round(self.prebuilt_seconds, 2),
            "pulled_bytes": self.pulled.pulled_bytes,
            "image_bytes": self.pulled.image_bytes,
            "held_bytes": self.pulled.held_bytes,
        }


@dataclass
class FreshReport:
    """Every repeat of the fresh scenario, and the medians and ratio they give."""

    ref: str
    platform: str
    runs: list[FreshRun] = field(default_factory=list)

    @property
    def cold_seconds(self) -> float:
        """Median cold build."""
        return statistics.median(r.cold.wall_seconds for r in self.runs)

    @property
    def prebuilt_seconds(self) -> float:
        """Median content tag + pull."""
        return statistics.median(r.prebuilt_seconds for r in self.runs)

    @property
    def pulled_bytes(self) -> int:
        """Median bytes the engine downloaded for the prebuilt image."""
        return int(statistics.median(r.pulled.pulled_bytes for r in self.runs))

    @property
    def image_bytes(self) -> int:
        """Bytes of every layer of the prebuilt image for this platform."""
        return max((r.pulled.image_bytes for r in self.runs), default=0)

    @property
    def held_bytes(self) -> int:
        """Most bytes of non-base layers a pull found already here (0: a fresh machine's)."""
        return max((r.pulled.held_bytes for r in self.runs), default=0)

    @property
    def ratio(self) -> float:
        """How many times faster the fresh machine gets its dev image with the prebuild."""
        return self.cold_seconds / self.prebuilt_seconds if self.prebuilt_seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "scenario": "fresh",
            "ref": self.ref,
            "platform": self.platform,
            "cold_seconds": round(self.cold_seconds, 2),
            "prebuilt_seconds": round(self.prebuilt_seconds, 2),
            "ratio": round(self.ratio, 2),
            "pulled_bytes": self.pulled_bytes,
            "image_bytes": self.image_bytes,
            "held_bytes": self.held_bytes,
            "runs": [r.to_dict() for r in self.runs],
        }


def plan(project: Path, registry: str, *, target: str | None = None) -> prebuild.Plan:
    """The prebuild of ``project`` under ``registry``, checked to be there for this
    machine's platform (else a :class:`DevkitError` saying how to publish it)."""
    found = prebuild.make_plan(project, registry=registry, target=target)
    assert found.registry is not None  # make_plan was given a registry
    published = found.registry.published(found.tag)
    if published is None:
        raise DevkitError(
            f"{found.ref} is not in the registry: the fresh scenario compares a cold build "
            "with pulling the prebuilt image",
            hint=f"publish it first: devkit prebuild {project} --registry {registry} --push",
        )
    native = found.builder.native
    if published.missing or (published.is_list and native not in published.platforms):
        raise DevkitError(
            f"{found.ref} in the registry has no complete image for {native} "
            f"(it holds {', '.join(published.platforms) or 'nothing complete'})",
            hint=f"publish it again: devkit prebuild {project} --registry {registry} --push",
        )
    return found


def run(
    project: Path,
    registry: str,
    info: BuildKitInfo,
    observer: Observer,
    *,
    repeat: int = 1,
    target: str | None = None,
    note: Callable[[str], None] | None = None,
) -> FreshReport:
    """Run the fresh scenario ``repeat`` times (see the module docstring)."""
    say = note or observer.note
    first = plan(project, registry, target=target)
    build = first.build
    bench_target = Target(
        build.rel(build.dockerfile), build.dockerfile, build.context, build.target
    )
    report = FreshReport(first.ref, first.builder.native)
    client = engine.connect()
    had = _has_image(client, first.ref)
    try:
        for rep in range(1, repeat + 1):
            order = ("cold", "prebuilt") if rep % 2 else ("prebuilt", "cold")
            cold: BuildResult | None = None
            pulled: Pulled | None = None
            for kind in order:
                if kind == "cold":
                    options = BenchOptions(repeat=1, scenarios=("cold",))
                    cold = Bench([bench_target], info, options, observer).run().results[0]
                    cold.repeat = rep
                else:
                    pulled = pull_prebuilt(client, project, registry, target, first.ref)
                    say(
                        f"fresh machine with the prebuild (run {rep}): content tag "
                        f"{pulled.tag_seconds:.1f}s + pull {pulled.pull_seconds:.1f}s, "
                        f"{pulled.pulled_bytes / 1e6:.1f} MB of "
                        f"{pulled.image_bytes / 1e6:.1f} MB downloaded"
                    )
            assert cold is not None and pulled is not None
            report.runs.append(FreshRun(rep, cold, pulled))
    finally:
        if not had:
            _remove_image(client, first.ref)
        client.close()
    return report


def pull_prebuilt(
    client: Any, project: Path, registry: str, target: str | None, ref: str
) -> Pulled:
    """What a fresh machine does with the prebuild: compute the content tag (it must still
    be ``ref``), then pull it through the engine, starting without the image."""
    _make_room(client, ref)
    started = time.monotonic()
    again = prebuild.make_plan(project, registry=registry, target=target)
    tagged = time.monotonic()
    if again.ref != ref:
        raise DevkitError(f"the content tag moved during the bench ({ref} -> {again.ref})")
    present = _pull(client, ref)
    pulled = time.monotonic()
    fetched, total, held = _downloaded(client, again, present)
    return Pulled(tagged - started, pulled - tagged, fetched, total, held)


def _pull(client: Any, ref: str) -> set[str]:
    """Pull ``ref`` through the engine; the short ids of the layers it already had."""
    repository, _, tag = ref.rpartition(":")
    present: set[str] = set()
    try:
        for line in client.api.pull(repository, tag=tag, stream=True, decode=True):
            if line.get("error"):
                raise DevkitError(f"pulling {ref} failed: {line['error']}")
            if line.get("status") == "Already exists":
                present.add(str(line.get("id")))
    except engine.DOCKER_ERRORS as exc:
        raise engine.docker_error(f"pulling {ref}", exc) from exc
    return present


def _downloaded(client: Any, found: prebuild.Plan, present: set[str]) -> tuple[int, int, int]:
    """Bytes of the layers the pull had to download (the platform manifest's layer sizes,
    less those the engine said it already had: it names a layer by 12 digits of its digest),
    of all its layers, and of the layers above the base image's that it already had."""
    assert found.registry is not None
    manifest = found.registry.manifest(found.ref) or {}
    if "manifests" in manifest:
        digest = next(
            (
                m.get("digest")
                for m in manifest["manifests"]
                if _platform(m.get("platform") or {}) == found.builder.native
            ),
            None,
        )
        repository = found.ref.rpartition(":")[0]
        manifest = (found.registry.manifest(f"{repository}@{digest}") if digest else None) or {}
    layers = [
        (str(layer.get("digest", "")), int(layer.get("size") or 0))
        for layer in manifest.get("layers") or []
    ]
    held = [d.removeprefix("sha256:")[:12] in present for d, _ in layers]
    fetched = sum(n for (_, n), had in zip(layers, held, strict=True) if not had)
    base = _base_layers(client, found)
    above = sum(n for (_, n), had in list(zip(layers, held, strict=True))[base:] if had)
    return fetched, sum(n for _, n in layers), above


def _base_layers(client: Any, found: prebuild.Plan) -> int:
    """How many layers the image's base (the ``FROM`` its target's chain starts from) has
    here: a fresh machine keeps its base images, so those layers count as held."""
    try:
        df = parse_file(found.build.dockerfile, found.build.args)
    except DevkitError:
        return 0
    stage = (df.stage(found.build.target) if found.build.target else None) or df.final_stage
    base = df.chain(stage)[0].base
    attrs = engine.inspect_image(client, base) if base != "scratch" else None
    return len(((attrs or {}).get("RootFS") or {}).get("Layers") or [])


def _platform(raw: dict[str, Any]) -> str:
    variant = raw.get("variant")
    return f"{raw.get('os')}/{raw.get('architecture')}" + (f"/{variant}" if variant else "")


def _make_room(client: Any, ref: str) -> None:
    """Remove the local image ``ref``, so the pull downloads it: with every local tag of its
    repository (the prebuild's own, e.g. the inline cache's ``buildcache-<target>``, which
    the registry keeps), since one left would keep the image and its layers here."""
    attrs = engine.inspect_image(client, ref)
    if attrs is None:
        return
    repository = ref.rpartition(":")[0]
    tags = attrs.get("RepoTags") or []
    for tag in tags:
        if tag.rpartition(":")[0] == repository:
            _remove_image(client, tag)
    if _has_image(client, str(attrs["Id"])):
        others = [t for t in tags if t.rpartition(":")[0] != repository]
        raise DevkitError(
            f"the image of {ref} stays in the engine "
            + (f"as {', '.join(others)}" if others else "(a container uses it)")
            + ", so a pull would not download it",
            hint="remove those, or run the fresh scenario against another engine (DOCKER_HOST)",
        )


def _has_image(client: Any, ref: str) -> bool:
    return engine.inspect_image(client, ref) is not None


def _remove_image(client: Any, ref: str) -> None:
    with contextlib.suppress(*engine.DOCKER_ERRORS):
        client.api.remove_image(ref)
