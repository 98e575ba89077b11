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


def test_post_create_adds_to_the_total_the_user_waits_for() -> None:
    report = _report({("A", "deps"): [2.0, 4.0, 3.0], ("B", "deps"): [30.0, 40.0, 35.0]})
    for result, post in zip(report.results[:3], (1.0, 3.0, 2.0), strict=True):
        result.post_create_seconds = post
        result.package = "six>=1.16"
    a, b = report.summary("A", "deps"), report.summary("B", "deps")
    assert a is not None and b is not None
    assert a.post_create_seconds == 2.0 and a.total_seconds == 5.0 and a.package == "six>=1.16"
    # No post-create (a Dockerfile without devcontainer.json): no total of its own.
    assert b.post_create_seconds is None and b.total_seconds is None
    (row,) = report.comparison()
    assert row["wall_ratio"] == pytest.approx(35.0 / 3.0)
    assert row["total_ratio"] == pytest.approx(35.0 / 5.0)
    doc = report.to_json()
    assert doc["builds"][0]["total_seconds"] == 3.0
    assert "post_create_seconds" in report.to_csv().splitlines()[0]


def test_table_shows_post_create_and_compares_totals() -> None:
    from rich.console import Console

    from devkit.cli.bench import results_table, summary_lines

    report = _report({("A", "deps"): [2.0], ("B", "deps"): [30.0]})
    report.results[0].post_create_seconds = 1.0
    console = Console(width=200, record=True)
    console.print(results_table(report))
    text = console.export_text()
    assert "post-create" in text and "total" in text
    assert "1.0s" in text and "3.0s" in text and "10.00×" in text  # 30 / (2 + 1)
    assert any("B/A compares totals" in line for line in summary_lines(report))
    # Without post-create the table keeps its columns and build ratio.
    plain = _report({("A", "deps"): [2.0], ("B", "deps"): [30.0]})
    console = Console(width=200, record=True)
    console.print(results_table(plain))
    text = console.export_text()
    assert "post-create" not in text and "15.00×" in text
