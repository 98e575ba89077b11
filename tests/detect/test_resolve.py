"""Choosing one version from every constraint (devkit/detect/resolve.py)."""

from __future__ import annotations

from devkit.detect import releases
from devkit.detect.model import CI, LOCK, PIN, RANGE, Conflict, Constraint, Resolved, Source
from devkit.detect.resolve import resolve


def c(tool: str, spec: str, kind: str, file: str = "f", line: int | None = 1) -> Constraint:
    return Constraint(tool, spec, kind, Source(file, line))


def run(tool: str, *constraints: Constraint) -> tuple[Resolved | None, list[Conflict], list[str]]:
    conflicts: list[Conflict] = []
    warnings: list[str] = []
    return resolve(tool, list(constraints), conflicts, warnings), conflicts, warnings


def test_nothing_found_is_no_version() -> None:
    assert run("python") == (None, [], [])


def test_a_range_gives_the_newest_line_that_fits() -> None:
    result, conflicts, _ = run("python", c("python", ">=3.10", RANGE, "pyproject.toml", 6))
    assert result is not None
    # Debian 13's own Python fits: it wins over the newest line (3.14, an upstream download).
    assert result.value == ".".join(map(str, releases.distribution_line("python").line)) == "3.13"
    assert "Debian 13" in result.reason
    assert str(result.source) == "pyproject.toml:6"
    assert conflicts == []
    result, _, _ = run("python", c("python", ">=3.14", RANGE))
    assert result is not None and result.value == "3.14"  # the distribution's does not fit
    assert result.value == ".".join(map(str, releases.newest_line("python").line))
    # CI that tests 3.13 and 3.14: the distribution's; CI that stops at 3.12: CI's.
    ci = [c("python", v, CI, ".github/workflows/test.yml") for v in ("3.12", "3.13", "3.14")]
    result, _, _ = run("python", c("python", ">=3.10", RANGE), *ci)
    assert result is not None and result.value == "3.13" and "Debian 13" in result.reason
    result, _, _ = run("python", c("python", ">=3.10", RANGE), *ci[:1])
    assert result is not None and result.value == "3.12"
    # Debian 13's Node 20 is past its end of life: never preferred.
    result, _, _ = run("node", c("node", ">=20", RANGE))
    assert result is not None and result.value == "26"
    result, _, _ = run("python", c("python", ">=3.10,<3.13", RANGE))
    assert result is not None and result.value == "3.12"


def test_node_ranges_skip_odd_lines_and_check_the_newest_release_of_a_line() -> None:
    result, _, _ = run("node", c("node", ">=22.12.0", RANGE))
    assert result is not None and result.value == "26"  # 23 and 25 are never picked for a range
    # 20.x satisfies ^20.19 because 20.20.2 exists; only 20 and older are allowed here.
    result, _, _ = run("node", c("node", "^20.19.0", RANGE))
    assert result is not None and result.value == "20"


def test_ci_is_the_tie_breaker_and_upper_bound() -> None:
    result, _, _ = run(
        "python",
        c("python", ">=3.10", RANGE, "pyproject.toml", 6),
        c("python", "3.10", CI, "ci.yml", 44),
        c("python", "3.12", CI, "ci.yml", 44),
        c("python", "pypy-3.11", CI, "ci.yml", 44),
    )
    assert result is not None
    assert (result.value, str(result.source)) == ("3.12", "ci.yml:44")
    assert result.reason == "newest version CI tests with that fits"
    # CI versions the ranges refuse do not count.
    result, _, _ = run(
        "node", c("node", ">=22", RANGE), c("node", "20.x", CI), c("node", "22.x", CI)
    )
    assert result is not None and result.value == "22"
    # "3.x" and "lts/*" are lines too.
    result, _, _ = run("python", c("python", "3.x", CI))
    assert result is not None and result.value == "3.13"  # 3.x includes Debian 13's
    result, _, _ = run("node", c("node", "lts/*", CI))
    assert result is not None and result.value == "26"


def test_a_pin_wins_and_contradictions_are_conflicts_not_overrides() -> None:
    result, conflicts, warnings = run(
        "python",
        c("python", "3.8", PIN, ".python-version"),
        c("python", "3.8.18", PIN, ".tool-versions", 2),
        c("python", ">=3.10", RANGE, "pyproject.toml", 4),
        c("python", "3.12", CI, "ci.yml"),
    )
    assert result is not None
    assert (result.value, result.reason, str(result.source)) == (
        "3.8",
        "pinned",
        ".python-version:1",
    )
    assert [x.message for x in conflicts] == [
        ".python-version:1 pins python 3.8, which pyproject.toml:4 does not allow (>=3.10); "
        "using 3.8"
    ]  # 3.8 and 3.8.18 agree: one is in the other's line
    assert any("end of life" in w for w in warnings)
    result, conflicts, _ = run(
        "node", c("node", "18", PIN, ".nvmrc"), c("node", "22.1.0", PIN, ".tool-versions")
    )
    assert result is not None and result.value == "18"
    assert conflicts[0].sources == (".nvmrc:1", ".tool-versions:1")


def test_pins_as_written_and_aliases() -> None:
    for spec, value in (("v22.9.0", "22.9.0"), ("lts/jod", "22"), ("lts/*", "26"), ("node", "26")):
        result, _, _ = run("node", c("node", spec, PIN))
        assert result is not None and result.value == value, spec
    result, _, _ = run("go", c("go", "go1.25.3", PIN), c("go", "1.24.0", RANGE))
    assert result is not None and result.value == "1.25.3"
    result, _, _ = run("rust", c("rust", "nightly-2025-01-01", PIN))
    assert result is not None and result.value == "nightly-2025-01-01"
    result, _, _ = run("java", c("java", "temurin-21.0.2+13.0.LTS", PIN))
    assert result is not None and result.value == "21"  # a JDK is a major


def test_a_stale_pin_against_a_locked_package_is_a_conflict() -> None:
    result, conflicts, _ = run(
        "node",
        c("node", "22.9.0", PIN, ".node-version"),
        c("node", "^22.13.0 || >=24", LOCK, "package-lock.json", None),
        c("node", ">=0.8 <0.12", LOCK, "package-lock.json", None),  # stale: no current release fits
    )
    assert result is not None and result.value == "22.9.0"
    assert len(conflicts) == 1
    assert "^22.13.0 || >=24" in conflicts[0].message


def test_lock_constraints_raise_the_minimum_and_stale_ones_are_ignored() -> None:
    # A locked package needing Node >= 22.12 outranks CI's 20; a package that wants an old
    # Node only (an upper bound no current release meets) is ignored, as npm and pnpm do.
    result, _, warnings = run(
        "node",
        c("node", ">=18", RANGE),
        c("node", "20.x", CI),
        c("node", ">=22.12.0", LOCK),
        c("node", "0.10.x", LOCK),
    )
    assert result is not None and result.value == "26"
    assert [x.spec for x in result.constraints] == [">=18", "20.x", ">=22.12.0"]
    assert warnings == []


def test_ranges_nothing_satisfies_are_a_conflict() -> None:
    result, conflicts, _ = run(
        "python", c("python", ">=3.12", RANGE, "a"), c("python", "<3.11", RANGE, "b")
    )
    assert result is not None and result.value == "3.13"  # following the first (Debian 13's fits)
    assert "no release satisfies every constraint" in conflicts[0].message


def test_unreadable_constraints_are_warned_about_and_skipped() -> None:
    result, _, warnings = run("python", c("python", ">=three", RANGE, "pyproject.toml", 3))
    assert result is None
    assert warnings == [
        "pyproject.toml:3: '>=three' is not a python version range devkit understands"
    ]
    result, _, warnings = run("node", c("node", "banana", PIN, ".nvmrc"))
    assert result is None and "is not a node version devkit knows" in warnings[0]


def test_rust_has_no_release_table_a_minimum_means_stable() -> None:
    result, _, _ = run("rust", c("rust", "1.74", RANGE, "Cargo.toml"))
    assert result is not None and result.value == "stable"


def test_a_pinned_line_whose_newest_release_is_outside_a_range() -> None:
    result, conflicts, _ = run(
        "node", c("node", "26", PIN, ".nvmrc"), c("node", "24 || 26 <26.3.1", RANGE, "package.json")
    )
    assert result is not None and result.value == "26"
    newest = ".".join(map(str, releases.NODE[-1].newest))
    assert conflicts[0].message == (
        f".nvmrc:1 pins node 26 (newest release {newest}), which package.json:1 does not allow "
        "(24 || 26 <26.3.1); using 26"
    )


def test_only_locked_packages_name_the_one_that_decided() -> None:
    result, _, _ = run("node", c("node", ">=0.6", LOCK, "package-lock.json", None))
    assert result is not None
    assert str(result.source) == "package-lock.json (engines of the locked packages)"
    result, _, _ = run(
        "node",
        c("node", ">=0.6", LOCK, "pnpm-lock.yaml", 3),
        c("node", "^20.19.0 || >=22.12.0", LOCK, "pnpm-lock.yaml", 9),
    )
    assert result is not None and str(result.source) == "pnpm-lock.yaml:9"
