"""`devkit bench`: build scenarios, live view, final table, JSON/CSV output, baseline check."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from devkit import bench, buildkit
from devkit.bench.progress import BuildProgress, Vertex
from devkit.cli._common import UI, add_command, at_least, log_width, non_negative_float
from devkit.cli._signals import sigterm_as_interrupt
from devkit.errors import DevkitError, UsageError
from devkit.fsutil import write_atomic
from devkit.units import human_size

EXAMPLES = """\
devkit bench .                                   # all scenarios on .devcontainer/Dockerfile
devkit bench . --compare Dockerfile.old --repeat 3
devkit bench . --json results.json --csv results.csv
devkit bench . --baseline results.json           # exit 1 if a scenario got >20 % slower
devkit bench . --scenarios noop,source --dep-line 'requests==2.32.3'
devkit bench . --scenario fresh --registry ghcr.io/acme/api-dev   # fresh machine, with vs without
devkit bench . --scenarios deps --no-post-create  # time the image build only
"""

DESCRIPTION = """\
Measure what a Dockerfile costs to build, with BuildKit, in four scenarios: cold (no layer
cache and empty cache mounts for this Dockerfile only), no-op rebuild, source edit (a comment
appended to one source file) and dependency change (one entry added to the dependency
manifest: a real, small package of the project's ecosystem, lockfile updated). Reports wall
time, steps cached, build context sent, image size and layers; for a dev container's
Dockerfile also the post-create step in a container with copies of the project's volumes,
and the total the user waits for.
The tree is restored exactly afterwards, also on failure or Ctrl-C. See docs/bench.md.

--scenario fresh --registry REPO compares what a fresh machine pays for the dev image: the
cold build, against computing the content tag and pulling the prebuilt image that
`devkit prebuild --registry REPO --push` published.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub,
        "bench",
        help="measure build time and cache use of a Dockerfile, scenario by scenario",
        description=DESCRIPTION,
        examples=EXAMPLES,
        handler=_run,
    )
    parser.add_argument("path", metavar="PATH", type=Path, help="the build context (project root)")
    parser.add_argument(
        "--dockerfile",
        "-f",
        type=Path,
        help="Dockerfile to bench (default: .devcontainer/Dockerfile, else Dockerfile)",
    )
    parser.add_argument("--target", help="stage to build (default: 'dev' when it exists)")
    parser.add_argument(
        "--compare", type=Path, metavar="OTHER_DOCKERFILE", help="bench this one too, alternating"
    )
    parser.add_argument("--compare-target", metavar="STAGE", help="stage of the other Dockerfile")
    parser.add_argument(
        "--repeat", type=at_least(1), default=1, metavar="N", help="runs per scenario; medians"
    )
    parser.add_argument(
        "--scenarios",
        "--scenario",
        type=_scenarios,
        help="comma-separated subset of "
        + ",".join(bench.SCENARIOS)
        + " (default: all; source/deps are skipped when there is no file to edit), or "
        "fresh alone (with --registry)",
    )
    parser.add_argument(
        "--registry",
        metavar="REPO",
        help="with --scenario fresh: the repository `devkit prebuild --push` published to",
    )
    parser.add_argument("--source-file", type=Path, help="file the source-edit scenario changes")
    parser.add_argument("--dep-file", type=Path, help="manifest the dependency scenario changes")
    parser.add_argument(
        "--dep-line",
        help="line to add to the manifest (default: a small real package, e.g. six or ms)",
    )
    parser.add_argument(
        "--no-post-create",
        dest="post_create",
        action="store_false",
        help="do not time devcontainer.json's creation commands after each build",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="write results as JSON ('-': stdout)"
    )
    parser.add_argument(
        "--csv", type=Path, metavar="FILE", help="write per-scenario medians as CSV"
    )
    parser.add_argument(
        "--baseline", type=Path, metavar="FILE", help="earlier --json file; exit 1 on regressions"
    )
    parser.add_argument(
        "--threshold",
        type=non_negative_float,
        default=bench.DEFAULT_THRESHOLD,
        metavar="PCT",
        help="slowdown over the baseline that counts as a regression (default: 20)",
    )


def _scenarios(value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if FRESH in names:
        if len(names) > 1:
            raise argparse.ArgumentTypeError(f"{FRESH} runs alone (it builds cold itself)")
        return (FRESH,)
    unknown = [n for n in names if n not in bench.SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(unknown) or value!r}; "
            f"choose from {','.join(bench.SCENARIOS)}"
        )
    # Keep the canonical order: later scenarios build on the cache of earlier ones.
    return tuple(n for n in bench.SCENARIOS if n in names)


#: The fresh-machine scenario (devkit.bench.fresh), run on its own with --registry.
FRESH = "fresh"


def _run(args: argparse.Namespace, ui: UI) -> int:
    if (args.scenarios == (FRESH,)) != (args.registry is not None):
        raise UsageError("--scenario fresh and --registry REPO go together")
    if args.registry is not None:
        from devkit.cli._bench_fresh import run_fresh  # needs LiveView, defined below

        return run_fresh(args, ui)
    if args.compare_target is not None and args.compare is None:
        # Silently benching the main Dockerfile instead would answer another question.
        raise UsageError("--compare-target needs --compare OTHER_DOCKERFILE")
    baseline = bench.load_baseline(args.baseline) if args.baseline else None
    # Check where results go before minutes of building, not after.
    for option, path in (("--json", args.json), ("--csv", args.csv)):
        if path is not None and str(path) != "-" and not path.resolve().parent.is_dir():
            raise DevkitError(f"{option} {path}: folder {path.resolve().parent} does not exist")
    targets = bench.make_targets(
        args.path, args.dockerfile, args.compare, args.target, args.compare_target
    )
    # The engine first: "cannot reach the engine" (or "Podman builds with buildah") says more
    # than a failed probe build.
    bench.check_engine()
    info = buildkit.detect().require()
    options = bench.BenchOptions(
        repeat=args.repeat,
        scenarios=args.scenarios,
        source_file=_abs(args.source_file, targets[0].context),
        dep_file=_abs(args.dep_file, targets[0].context),
        dep_line=args.dep_line,
        post_create=args.post_create,
    )
    ui.info(f"benching {', '.join(t.name for t in targets)} in {targets[0].context}")
    ui.info(f"builder: {info.describe()}")
    view = LiveView(ui)
    # SIGTERM (a CI job cancelled) restores the tree as Ctrl-C does.
    with sigterm_as_interrupt(), view:
        report = bench.Bench(targets, info, options, view).run()
    json_to_stdout = args.json is not None and str(args.json) == "-"
    out = ui.err if json_to_stdout else ui.out
    with log_width(out):
        out.print(results_table(report))
    for line in summary_lines(report):
        out.print(line, markup=False)
    if args.json is not None:
        if json_to_stdout:
            ui.print_json(report.to_json())
        else:
            write_atomic(args.json, _dumps(report))
            ui.info(f"wrote {args.json}")
    if args.csv is not None:
        write_atomic(args.csv, report.to_csv())
        ui.info(f"wrote {args.csv}")
    if baseline is not None:
        found = bench.regressions(report, baseline, args.threshold)
        if found:
            for r in found:
                ui.error(
                    f"regression: {r.target} {bench.SCENARIO_TITLES[r.scenario]} took "
                    f"{r.seconds:.2f}s vs {r.baseline_seconds:.2f}s (+{r.percent:.0f} %, "
                    f"threshold {args.threshold:g} %)"
                )
            return 1
        ui.info(f"no scenario is more than {args.threshold:g} % slower than {args.baseline}")
    return 0


def _abs(path: Path | None, context: Path) -> Path | None:
    if path is None:
        return None
    if path.is_absolute():
        return path
    return (Path.cwd() / path) if (Path.cwd() / path).exists() else context / path


def _dumps(report: bench.Report) -> str:
    import json

    return json.dumps(report.to_json(), indent=2, sort_keys=True, default=str) + "\n"


# --------------------------------------------------------------------------- formatting


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f} %"


def _times(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}×"


def results_table(report: bench.Report) -> Table:
    """The final table: one row per scenario and Dockerfile; with two, B's time ratio to A."""
    table = Table(title=f"devkit bench — {report.context}", title_justify="left")
    names = [t.name for t in report.targets]
    compare = len(names) > 1
    table.add_column("scenario", no_wrap=True)
    if compare:
        table.add_column("", justify="center")
    table.add_column("time", justify="right")
    table.add_column("cached", justify="right")
    table.add_column("ctx sent", justify="right")
    table.add_column("image", justify="right")
    table.add_column("layers", justify="right")
    post = any(r.post_create_seconds is not None for r in report.results)
    if post:
        table.add_column("post-create", justify="right")
        table.add_column("total", justify="right")
    if compare:
        table.add_column("B/A", justify="right", style="bold")
    comparison = {row["scenario"]: row for row in report.comparison()}
    for scenario in bench.SCENARIOS:
        for i, name in enumerate(names):
            s = report.summary(name, scenario)
            if s is None:
                continue
            spread = f" ±{(s.wall_max - s.wall_min) / 2:.1f}" if s.runs > 1 else ""
            cells = [bench.SCENARIO_TITLES[scenario] if i == 0 else ""]
            if compare:
                cells.append("AB"[i])
            cells += [
                f"{s.wall_seconds:.1f}s{spread}",
                f"{s.steps_cached}/{s.steps_total} {_pct(s.cache_hit_rate)}",
                human_size(s.context_transferred),
                human_size(s.image_size),
                "-" if s.layers is None else str(s.layers),
            ]
            if post:
                cells += [
                    "-" if s.post_create_seconds is None else f"{s.post_create_seconds:.1f}s",
                    f"{s.total_seconds if s.total_seconds is not None else s.wall_seconds:.1f}s",
                ]
            if compare:
                key = "total_ratio" if post else "wall_ratio"
                ratio = comparison.get(scenario, {}).get(key) if i == 1 else None
                cells.append(_times(ratio) if i == 1 else "")
            table.add_row(*cells, end_section=compare and i == len(names) - 1)
    return table


def summary_lines(report: bench.Report) -> list[str]:
    """Context sizes, what each scenario edited, and which Dockerfile is A/B."""
    lines: list[str] = []
    sizes: list[int] = []
    for i, target in enumerate(report.targets):
        first = next((r for r in report.results if r.target == target.name), None)
        size = first.context_size if first else 0
        sizes.append(size)
        tag = "AB"[i] + ": " if len(report.targets) > 1 else ""
        stage = f" (target {target.stage})" if target.stage else ""
        lines.append(
            f"{tag}{target.name}{stage} — build context after .dockerignore: {human_size(size)}"
        )
    if len(sizes) == 2 and sizes[1]:
        lines.append(f"context A is {(1 - sizes[0] / sizes[1]) * 100:.0f} % smaller than B")
    edits = {r.scenario: r.edit for r in report.results if r.edit}
    for scenario, edit in edits.items():
        lines.append(f"{bench.SCENARIO_TITLES[scenario]}: {edit}")
    for scenario, reason in report.skipped.items():
        lines.append(f"{bench.SCENARIO_TITLES[scenario]}: skipped — {reason}")
    if any(r.post_create_seconds is not None for r in report.results):
        lines.append(
            "post-create: the dev container's creation commands after the build, in a "
            "container with copies of the project's volumes; total = build + post-create"
            + ("; B/A compares totals" if len(report.targets) > 1 else "")
        )
    lines.append(f"repeats: {report.repeat} (times are medians); builder: {report.buildkit}")
    return lines


class LiveView(bench.Observer):
    """Rich live view on stderr while building; plain lines when stderr is not a terminal."""

    def __init__(self, ui: UI) -> None:
        self.ui = ui
        self.total = 0
        self.done: list[bench.BuildResult] = []
        self.current = ""
        self.step = ""
        self.progress: BuildProgress | None = None
        self.live: Live | None = None

    def __enter__(self) -> LiveView:
        if self.ui.err.is_terminal:
            self.live = Live(self._render(), console=self.ui.err, refresh_per_second=4)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._render())
            self.live.__exit__(None, None, None)

    def _render(self) -> Group:
        table = Table(box=None, show_header=True, pad_edge=False)
        for col in ("build", "scenario", "time", "cached", "ctx sent"):
            table.add_column(col)
        for r in self.done[-12:]:
            table.add_row(
                r.target,
                bench.SCENARIO_TITLES[r.scenario],
                f"{r.wall_seconds:.1f}s",
                f"{r.steps_cached}/{r.steps_total}",
                human_size(r.context_transferred),
            )
        parts: list[Table | Text] = [table]
        if self.current:
            p = self.progress
            stats = ""
            if p is not None:
                stats = (
                    f"  steps {p.steps_total} (cached {p.steps_cached})"
                    f"  ctx {human_size(p.context_bytes)}"
                )
            parts.append(
                Text(f"[{len(self.done) + 1}/{self.total}] {self.current}{stats}", style="cyan")
            )
            if self.step:
                parts.append(Text(f"    {self.step}", style="dim", overflow="ellipsis"))
        return Group(*parts)

    def build_started(self, target: str, scenario: str, repeat: int, command: list[str]) -> None:
        self.current = f"{target}: {bench.SCENARIO_TITLES[scenario]} (run {repeat})"
        self.step = ""
        self.progress = None
        if self.live is not None:
            self.live.update(self._render())

    def vertex(self, target: str, scenario: str, vertex: Vertex, progress: BuildProgress) -> None:
        self.progress = progress
        if vertex.is_step:
            self.step = vertex.name[:120]
        if self.live is not None:
            self.live.update(self._render())

    def build_finished(self, result: bench.BuildResult) -> None:
        self.done.append(result)
        self.current = ""
        if self.live is not None:
            self.live.update(self._render())
        else:
            self.ui.info(
                f"{result.target}: {bench.SCENARIO_TITLES[result.scenario]} "
                f"(run {result.repeat}) {result.wall_seconds:.1f}s"
                + (
                    ""
                    if result.post_create_seconds is None
                    else f" + post-create {result.post_create_seconds:.1f}s"
                )
                + ", "
                f"{result.steps_cached}/{result.steps_total} steps cached, "
                f"{human_size(result.context_transferred)} context sent"
            )

    def planned(self, builds: int) -> None:
        self.total = builds

    def note(self, message: str) -> None:
        if self.live is not None:
            self.live.console.print(message)
        else:
            self.ui.info(message)
