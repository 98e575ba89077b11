"""Running the scenarios: :class:`Bench` builds each Dockerfile through a docker CLI that uses
BuildKit, applies and undoes the scenario edits through a :class:`TreeGuard`, measures each
build and reports progress to an :class:`Observer` (the CLI draws its live view from it)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit import buildcontext, engine
from devkit.bench import build, isolate, postcreate
from devkit.bench.deps import DependencyPlan
from devkit.bench.edits import pick_manifest, pick_source_file, source_edit
from devkit.bench.engines import require_buildkit_engine
from devkit.bench.isolate import isolate_cache_mounts
from devkit.bench.progress import BuildProgress, Vertex
from devkit.bench.report import SCENARIO_TITLES, SCENARIOS, BuildResult, Report
from devkit.bench.targets import Target, context_alias
from devkit.bench.treeguard import TreeGuard, journal_dir, recover
from devkit.buildkit import BuildKitInfo
from devkit.errors import DevkitError
from devkit.labels import BENCH_LABEL, MANAGED_LABEL, extra_labels

IMAGE_REPO = "devkit-bench"


# --------------------------------------------------------------------------- observer


class Observer:
    """Receives progress while the bench runs (the CLI draws its live view from this)."""

    def build_started(self, target: str, scenario: str, repeat: int, command: list[str]) -> None:
        """A build is about to start."""

    def vertex(self, target: str, scenario: str, vertex: Vertex, progress: BuildProgress) -> None:
        """A progress line updated ``vertex``."""

    def build_finished(self, result: BuildResult) -> None:
        """A build finished and was measured."""

    def planned(self, builds: int) -> None:
        """How many measured builds the run will make (warm-up builds not counted)."""

    def note(self, message: str) -> None:
        """Something the user may want to know (cleanup, restored files)."""


# --------------------------------------------------------------------------- the runner


@dataclass
class BenchOptions:
    """What to run (the CLI fills this from its arguments)."""

    repeat: int = 1
    #: None: every scenario, skipping (with a note) source/deps when there is nothing to edit.
    scenarios: tuple[str, ...] | None = None
    source_file: Path | None = None
    dep_file: Path | None = None
    dep_line: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    #: Also time the dev container's creation commands (post-create) after each build of a
    #: Dockerfile that has a devcontainer.json beside it.
    post_create: bool = True


class Bench:
    """Runs the scenarios for one or two :class:`Target` s and returns a :class:`Report`."""

    def __init__(
        self,
        targets: Sequence[Target],
        info: BuildKitInfo,
        options: BenchOptions | None = None,
        observer: Observer | None = None,
    ) -> None:
        if not targets:
            raise DevkitError("nothing to bench")
        self.targets = list(targets)
        self.info = info.require()
        self.options = options or BenchOptions()
        self.observer = observer or Observer()
        self.run_id = uuid.uuid4().hex[:10]
        self._images: list[str] = []
        # Cache-mount ids this run gave its Dockerfile copies, prunable or not.
        self._tagged_ids: list[str] = []
        self._untagged_ids: list[str] = []
        self._client: Any = None
        self._context_paths: dict[str, Path] = {}
        self._plan: DependencyPlan | None = None
        self._post_creates: dict[str, postcreate.PostCreate] = {}
        # Files the scenarios have written (the post-create workspaces follow them).
        self._edited: list[Path] = []

    # -- public

    def run(self) -> Report:
        """Run every scenario; the tree is restored and our images removed whatever happens."""
        from devkit.engine import connect

        scenarios = list(self.options.scenarios or SCENARIOS)
        for scenario in scenarios:
            if scenario not in SCENARIOS:
                raise DevkitError(f"unknown scenario {scenario!r} (one of {', '.join(SCENARIOS)})")
        restored, skipped = recover()
        for path in restored:
            self.observer.note(f"restored {path}, left edited by an interrupted devkit bench run")
        for path in skipped:
            self.observer.note(
                f"{path} was edited by an interrupted devkit bench run and changed since: "
                "left as it is (look for a line 'by devkit bench')"
            )
        main = self.targets[0]
        sent = {t.name: buildcontext.sent(t.dockerfile, t.context) for t in self.targets}
        files = {name: s.regular_files() for name, s in sent.items()}
        sizes = {name: s.bytes for name, s in sent.items()}
        report = Report(
            context=str(main.context),
            buildkit=self.info.describe(),
            repeat=self.options.repeat,
            targets=self.targets,
            results=[],
        )
        edits: dict[str, Path] = {}
        for scenario, given, pick in (
            ("source", self.options.source_file, pick_source_file),
            ("deps", self.options.dep_file, pick_manifest),
        ):
            if scenario not in scenarios:
                continue
            if given is not None:
                if not given.is_file():
                    raise DevkitError(
                        f"{given} (the file to edit for the {scenario} scenario) does not exist"
                    )
                edits[scenario] = given
                continue
            try:
                edits[scenario] = pick(main, files[main.name])
            except DevkitError as exc:
                if self.options.scenarios is not None:  # asked for by name: an error
                    raise
                scenarios.remove(scenario)
                report.skipped[scenario] = str(exc)
                self.observer.note(f"{SCENARIO_TITLES[scenario]} skipped: {exc}")
        if "deps" in scenarios:
            self._plan = DependencyPlan(edits["deps"], self.options.dep_line)
        self.observer.planned(len(scenarios) * self.options.repeat * len(self.targets))
        self._client = connect()
        require_buildkit_engine(engine.identify(self._client))
        self._context_paths = {t.name: context_alias(t) for t in self.targets}
        # Cache mounts get per-run ids only when a cold build is asked for; otherwise the
        # scenarios run against the user's own cache, as their rebuilds do.
        isolate = "cold" in scenarios
        workdir = Path(tempfile.mkdtemp(prefix=f"devkit-bench-{self.run_id}-"))
        try:
            self._prepare_post_create(workdir)
            journal = journal_dir() / f"{self.run_id}.json"
            with TreeGuard(journal) as tree:
                for rep in range(1, self.options.repeat + 1):
                    order = self.targets if rep % 2 else list(reversed(self.targets))
                    copies = {
                        t.name: self._dockerfile_copy(t, workdir / f"r{rep}-{i}", rep, isolate)
                        for i, t in enumerate(self.targets)
                    }
                    if not isolate and (rep == 1 or edits):
                        # Without a cold build first, "no-op" must still follow a build of
                        # this very tree (not of the previous repeat's last edit): warm the
                        # cache up, unmeasured.
                        for target in order:
                            if rep == 1:
                                self.observer.note(f"{target.name}: warm-up build (not measured)")
                            self._build(target, copies[target.name], "warmup", rep, 0)
                    for scenario in scenarios:
                        for target in order:
                            # Each Dockerfile gets its own edit (same line, its own token): with
                            # stages in common, the second would otherwise reuse the layers
                            # the first just built for the very same edit.
                            edit = self._apply(
                                scenario,
                                tree,
                                edits.get(scenario),
                                f"{rep}-{self.targets.index(target)}",
                            )
                            result = self._build(
                                target, copies[target.name], scenario, rep, sizes[target.name]
                            )
                            result.edit, result.package = edit
                            report.results.append(result)
                            self.observer.build_finished(result)
                        tree.restore()
        finally:
            try:
                self._cleanup()
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
                self._client.close()
        return report

    # -- scenario edits

    def _apply(
        self, scenario: str, tree: TreeGuard, path: Path | None, key: str
    ) -> tuple[str | None, str | None]:
        """Edit the tree for ``scenario``: (what was done, the package added if any)."""
        token = f"{self.run_id}-{key}"
        if path is None:
            return None, None
        if scenario == "source":
            self._write(tree, path, source_edit(path, token))
            return f"{self._rel(path)}: comment line appended", None
        assert self._plan is not None
        change = self._plan.edit(token)
        for file, data in change.files.items():
            self._write(tree, file, data)
        return f"{self._rel(path)}: {change.description}", change.package

    def _write(self, tree: TreeGuard, path: Path, data: bytes) -> None:
        tree.write(path, data)
        if path not in self._edited:
            self._edited.append(path)

    # -- post-create

    def _prepare_post_create(self, workdir: Path) -> None:
        if not self.options.post_create:
            return
        labels = {
            MANAGED_LABEL: "true",
            BENCH_LABEL: self.run_id,
            **extra_labels(),
            **self.options.labels,
        }
        for index, target in enumerate(self.targets):
            spec = postcreate.find(target.dockerfile, target.context)
            if spec is None:
                continue
            self._post_creates[target.name] = postcreate.PostCreate(
                self._client,
                spec,
                target.context,
                workdir / f"workspace-{index}",
                f"{self._token}-{index}",
                labels,
            )
            self.observer.note(
                f"{target.name}: after each build, post-create ({spec.describe()}) runs in a "
                "container with copies of the project's volumes"
            )

    def _post_create(self, target: Target, scenario: str, tag: str) -> float | None:
        post = self._post_creates.get(target.name)
        if post is None:
            return None
        if scenario in ("cold", "warmup"):
            # A repeat starts from volumes seeded from its first image: a package an earlier
            # repeat's dependency change installed in them would make the next one's
            # post-create a no-op. (A cold build is a new machine anyway.)
            post.reset_volumes()
        post.sync(self._edited)
        return round(post.run(tag), 3)

    def _rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.targets[0].context.resolve()))
        except ValueError:
            return str(path)

    def _dockerfile_copy(self, target: Target, folder: Path, rep: int, isolate: bool) -> Path:
        """A copy of the Dockerfile (and its own .dockerignore), with per-run cache-mount ids
        when ``isolate``."""
        folder.mkdir(parents=True)
        new = target.dockerfile.read_text(encoding="utf-8")
        if isolate:
            # One suffix per Dockerfile and repeat: with --compare, B's cold build must not
            # find the cache mounts A's cold build just filled.
            index = self.targets.index(target)
            isolated = isolate_cache_mounts(new, f"{self._token}-{index}-{rep}")
            new = isolated.text
            self._tagged_ids += isolated.tagged
            self._untagged_ids += isolated.untagged
        copy = folder / target.dockerfile.name
        copy.write_text(new, encoding="utf-8")
        specific = target.dockerfile.with_name(target.dockerfile.name + ".dockerignore")
        if specific.is_file():
            shutil.copyfile(specific, folder / specific.name)
        return copy

    # -- one build

    def _build(
        self, target: Target, dockerfile: Path, scenario: str, rep: int, ctx_size: int
    ) -> BuildResult:
        index = self.targets.index(target)
        tag = f"{IMAGE_REPO}:{self.run_id}-{index}-{scenario}-{rep}"
        argv = build.command(
            self.info,
            dockerfile,
            self._context_paths.get(target.name, target.context),
            tag=tag,
            iidfile=dockerfile.parent / f"iid-{scenario}",
            labels={MANAGED_LABEL: "true", BENCH_LABEL: self.run_id, **self.options.labels},
            stage=target.stage,
            no_cache=scenario == "cold",
        )
        self.observer.build_started(target.name, scenario, rep, argv)
        self._images.append(tag)
        done = build.run(
            argv,
            self.info.build_env(),
            lambda vertex, progress: self.observer.vertex(target.name, scenario, vertex, progress),
        )
        progress = done.progress
        if done.code != 0:
            raise DevkitError(
                f"{target.name}: the {SCENARIO_TITLES[scenario]} build failed (exit {done.code}): "
                + " | ".join(e.strip() for e in done.errors())[-600:]
            )
        if progress.steps_total == 0:
            raise DevkitError(
                f"{target.name}: the build printed no BuildKit steps; is this BuildKit?"
            )
        size, layers = self._inspect(tag)
        post_seconds = self._post_create(target, scenario, tag)
        self._remove_image(tag)
        slowest = sorted(
            ((v.instruction[:80], v.duration or 0.0) for v in progress.steps if not v.cached),
            key=lambda item: -item[1],
        )[:3]
        return BuildResult(
            target=target.name,
            scenario=scenario,
            repeat=rep,
            wall_seconds=round(done.wall_seconds, 3),
            steps_total=progress.steps_total,
            steps_cached=progress.steps_cached,
            context_transferred=progress.context_bytes,
            context_size=ctx_size,
            image_size=size,
            layers=layers,
            slowest_steps=slowest,
            post_create_seconds=post_seconds,
        )

    # -- engine side

    def _inspect(self, tag: str) -> tuple[int | None, int | None]:
        try:
            attrs = self._client.images.get(tag).attrs
        except engine.DOCKER_ERRORS:
            return None, None
        layers = attrs.get("RootFS", {}).get("Layers") or []
        return int(attrs.get("Size", 0)), len(layers)

    def _remove_image(self, tag: str) -> None:
        """Untag our image (never forced: an identical image someone else tagged survives)."""
        import docker.errors

        try:
            self._client.images.remove(tag, noprune=False)
        except docker.errors.ImageNotFound:
            pass
        except engine.DOCKER_ERRORS as exc:
            self.observer.note(f"could not remove {tag}: {engine.describe(exc)}")
            return
        if tag in self._images:
            self._images.remove(tag)

    def _cleanup(self) -> None:
        """Remove images this run made and the cache mounts its isolated builds created.

        A cache-mount record is pruned only when its description carries this run's token
        (see :func:`isolate_cache_mounts`): never one of another build, whenever it was made.
        """
        for tag in list(self._images):
            self._remove_image(tag)
        for post in self._post_creates.values():
            left = post.remove_volumes()
            if left:
                self.observer.note("could not remove volumes " + ", ".join(left))
        if self._untagged_ids:
            self.observer.note(
                "left in the build cache (exec-form or heredoc RUN: their records cannot be "
                "told apart from other builds'): cache mounts " + ", ".join(self._untagged_ids)
            )
        if self._tagged_ids:
            isolate.prune_cache_mounts(
                self._client, self._token, self._tagged_ids, self.observer.note
            )

    @property
    def _token(self) -> str:
        """Marks this run's cache-mount ids and the RUN commands that use them."""
        return f"devkit-bench-{self.run_id}"
