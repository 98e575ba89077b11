"""What one ``devkit bench`` run measured: the scenarios, each build's result, medians per
scenario, ratios between two Dockerfiles, the ``--json``/``--csv`` documents, and the check of
a run against an earlier ``--json`` file (``--baseline``)."""

from __future__ import annotations

import csv
import io
import json
import statistics
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devkit.bench.targets import Target
from devkit.errors import DevkitError

SCENARIOS = ("cold", "noop", "source", "deps")
SCENARIO_TITLES = {
    "cold": "cold build",
    "noop": "no-op rebuild",
    "source": "source edit",
    "deps": "dependency change",
    "warmup": "warm-up build",
}
JSON_FORMAT = 1
DEFAULT_THRESHOLD = 20.0


@dataclass
class BuildResult:
    """One build of one Dockerfile in one scenario."""

    target: str
    scenario: str
    repeat: int
    wall_seconds: float
    steps_total: int
    steps_cached: int
    context_transferred: int
    context_size: int
    image_size: int | None
    layers: int | None
    edit: str | None = None
    slowest_steps: list[tuple[str, float]] = field(default_factory=list)
    #: The dev container's creation commands (onCreate/updateContent/postCreate) run in a
    #: container of this image with the project's volumes; None when not run.
    post_create_seconds: float | None = None
    #: The package the dependency scenario added (``six>=1.16``), if a real one.
    package: str | None = None

    @property
    def total_seconds(self) -> float:
        """What the user waits for: the image build plus the post-create install."""
        return self.wall_seconds + (self.post_create_seconds or 0.0)

    @property
    def cache_hit_rate(self) -> float | None:
        return self.steps_cached / self.steps_total if self.steps_total else None


@dataclass
class Summary:
    """Median over repeats of one scenario for one Dockerfile."""

    target: str
    scenario: str
    runs: int
    wall_seconds: float
    wall_min: float
    wall_max: float
    steps_total: int
    steps_cached: int
    cache_hit_rate: float | None
    context_transferred: int
    context_size: int
    image_size: int | None
    layers: int | None
    edit: str | None
    #: Medians of the post-create time and of build + post-create (None without post-create).
    post_create_seconds: float | None = None
    total_seconds: float | None = None
    package: str | None = None


@dataclass
class Report:
    """Everything one ``devkit bench`` run measured."""

    context: str
    buildkit: str
    repeat: int
    targets: list[Target]
    results: list[BuildResult]
    started: float = field(default_factory=time.time)
    #: scenarios left out because there was nothing to edit, with the reason
    skipped: dict[str, str] = field(default_factory=dict)

    def summaries(self) -> list[Summary]:
        """Per (target, scenario): medians over repeats (in scenario order)."""
        out: list[Summary] = []
        for target in self.targets:
            for scenario in SCENARIOS:
                runs = [
                    r for r in self.results if r.target == target.name and r.scenario == scenario
                ]
                if runs:
                    out.append(_summarise(target.name, scenario, runs))
        return out

    def summary(self, target: str, scenario: str) -> Summary | None:
        for s in self.summaries():
            if s.target == target and s.scenario == scenario:
                return s
        return None

    def comparison(self) -> list[dict[str, Any]]:
        """Ratios other/main per scenario (only with two targets)."""
        if len(self.targets) < 2:
            return []
        main, other = self.targets[0].name, self.targets[1].name
        rows: list[dict[str, Any]] = []
        for scenario in SCENARIOS:
            a, b = self.summary(main, scenario), self.summary(other, scenario)
            if a is None or b is None:
                continue
            rows.append(
                {
                    "scenario": scenario,
                    "wall_ratio": _ratio(b.wall_seconds, a.wall_seconds),
                    # What the user waits for (build + post-create) where either has one.
                    "total_ratio": _ratio(_total(b), _total(a)),
                    "context_size_ratio": _ratio(a.context_size, b.context_size),
                    "context_transferred_ratio": _ratio(
                        a.context_transferred, b.context_transferred
                    ),
                    "image_size_ratio": _ratio(a.image_size, b.image_size),
                    "cache_hit_rate": [a.cache_hit_rate, b.cache_hit_rate],
                }
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document (also what ``--baseline`` reads back)."""
        return {
            "format": JSON_FORMAT,
            "tool": "devkit bench",
            "context": self.context,
            "buildkit": self.buildkit,
            "repeat": self.repeat,
            "started": self.started,
            "targets": [
                {
                    "name": t.name,
                    "dockerfile": str(t.dockerfile),
                    "context": str(t.context),
                    "stage": t.stage,
                }
                for t in self.targets
            ],
            "summaries": [asdict(s) for s in self.summaries()],
            "comparison": self.comparison(),
            "skipped": self.skipped,
            "builds": [
                asdict(r) | {"cache_hit_rate": r.cache_hit_rate, "total_seconds": r.total_seconds}
                for r in self.results
            ],
        }

    def to_csv(self) -> str:
        """One row per (target, scenario) summary."""
        buffer = io.StringIO()
        names = [f for f in Summary.__dataclass_fields__]
        writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for s in self.summaries():
            writer.writerow(asdict(s))
        return buffer.getvalue()


def _total(summary: Summary) -> float:
    return summary.total_seconds if summary.total_seconds is not None else summary.wall_seconds


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def _summarise(target: str, scenario: str, runs: list[BuildResult]) -> Summary:
    walls = [r.wall_seconds for r in runs]

    def med(values: Iterable[int]) -> int:
        return int(statistics.median(list(values)))

    total = med(r.steps_total for r in runs)
    cached = med(r.steps_cached for r in runs)
    sizes = [r.image_size for r in runs if r.image_size is not None]
    layers = [r.layers for r in runs if r.layers is not None]
    posts = [r.post_create_seconds for r in runs if r.post_create_seconds is not None]
    return Summary(
        target=target,
        scenario=scenario,
        runs=len(runs),
        wall_seconds=statistics.median(walls),
        wall_min=min(walls),
        wall_max=max(walls),
        steps_total=total,
        steps_cached=cached,
        cache_hit_rate=(cached / total) if total else None,
        context_transferred=med(r.context_transferred for r in runs),
        context_size=med(r.context_size for r in runs),
        image_size=sizes[-1] if sizes else None,
        layers=layers[-1] if layers else None,
        edit=runs[-1].edit,
        post_create_seconds=statistics.median(posts) if posts else None,
        total_seconds=statistics.median(r.total_seconds for r in runs) if posts else None,
        package=runs[-1].package,
    )


# --------------------------------------------------------------------------- baseline


@dataclass
class Regression:
    target: str
    scenario: str
    baseline_seconds: float
    seconds: float

    @property
    def percent(self) -> float:
        return (self.seconds / self.baseline_seconds - 1.0) * 100.0


def load_baseline(path: Path) -> dict[str, Any]:
    """Read an earlier ``--json`` file; one clear error if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DevkitError(f"baseline {path} does not exist") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DevkitError(f"baseline {path} is not a devkit bench JSON file: {exc}") from exc
    if not isinstance(data, dict) or data.get("tool") != "devkit bench":
        raise DevkitError(f"baseline {path} is not a devkit bench JSON file (no 'tool' key)")
    if data.get("format") != JSON_FORMAT or not isinstance(data.get("summaries"), list):
        raise DevkitError(f"baseline {path} has an unknown format {data.get('format')!r}")
    return data


def regressions(report: Report, baseline: dict[str, Any], threshold: float) -> list[Regression]:
    """Scenarios whose median wall time is more than ``threshold`` % slower than the baseline.

    Scenarios are matched by target name and scenario; the main Dockerfile also matches the
    baseline's main Dockerfile when the names differ (benching a renamed file). Raises
    DevkitError when no scenario matches at all.
    """
    found: list[Regression] = []
    old: dict[tuple[str, str], float] = {}
    base_targets = [t.get("name") for t in baseline.get("targets", []) if isinstance(t, dict)]
    for entry in baseline["summaries"]:
        try:
            old[(str(entry["target"]), str(entry["scenario"]))] = float(entry["wall_seconds"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DevkitError(f"baseline summary entry is malformed: {entry!r}") from exc
    compared = 0
    for summary in report.summaries():
        key = (summary.target, summary.scenario)
        if key not in old and base_targets and summary.target == report.targets[0].name:
            key = (str(base_targets[0]), summary.scenario)
        if key not in old or old[key] <= 0:
            continue
        compared += 1
        if summary.wall_seconds > old[key] * (1.0 + threshold / 100.0):
            found.append(
                Regression(summary.target, summary.scenario, old[key], summary.wall_seconds)
            )
    if not compared:  # a check that compared nothing must not pass as "no regression"
        raise DevkitError(
            "the baseline has no scenario of this run to compare with (it has "
            + (", ".join(f"{t} {s}" for t, s in old) or "none")
            + ")"
        )
    return found
