"""Medians, ratios, the JSON and CSV documents and the baseline check (devkit.bench.report)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit.bench.report import BuildResult, Report, load_baseline, regressions
from devkit.bench.targets import Target
from devkit.errors import DevkitError


def _result(target: str, scenario: str, wall: float, rep: int = 1) -> BuildResult:
    return BuildResult(target, scenario, rep, wall, 10, 9, 100, 1000, 5000, 3)


def _report(walls: dict[tuple[str, str], list[float]]) -> Report:
    names = sorted({t for t, _ in walls}, key=lambda n: n != "A")
    targets = [Target(n, Path(n), Path(".")) for n in names]
    results = [
        _result(t, s, w, i + 1) for (t, s), values in walls.items() for i, w in enumerate(values)
    ]
    return Report("ctx", "bk", 3, targets, results)


def test_medians_and_ratios() -> None:
    report = _report({("A", "noop"): [1.0, 9.0, 2.0], ("B", "noop"): [4.0, 4.0, 5.0]})
    a = report.summary("A", "noop")
    assert a is not None and a.wall_seconds == 2.0 and a.wall_min == 1.0 and a.runs == 3
    assert a.cache_hit_rate == pytest.approx(0.9)
    (row,) = report.comparison()
    assert row["wall_ratio"] == pytest.approx(2.0)
    doc = report.to_json()
    assert doc["tool"] == "devkit bench" and len(doc["builds"]) == 6
    assert report.to_csv().splitlines()[0].startswith("target,scenario,runs,wall_seconds")


def test_regressions_respect_the_threshold(tmp_path: Path) -> None:
    old = _report({("A", "noop"): [10.0], ("A", "cold"): [10.0]})
    path = tmp_path / "base.json"
    path.write_text(json.dumps(old.to_json()))
    baseline = load_baseline(path)
    new = _report({("A", "noop"): [11.9], ("A", "cold"): [12.5]})
    found = regressions(new, baseline, 20.0)
    assert [(r.scenario, round(r.percent)) for r in found] == [("cold", 25)]
    assert regressions(new, baseline, 30.0) == []
    # Nothing in common (another scenario): an error, not a silent "no regression".
    with pytest.raises(DevkitError, match="no scenario of this run"):
        regressions(_report({("A", "deps"): [1.0]}), baseline, 20.0)


@pytest.mark.parametrize("content", ["not json", "[]", '{"tool": "other"}'])
def test_bad_baseline_is_one_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(DevkitError, match="baseline"):
        load_baseline(path)
