"""devkit.units: one size convention (SI, as the docker CLI prints) for every command."""

from __future__ import annotations

import pytest

from devkit.units import human_size, plural


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),  # 1000-based: a kilobyte is 1,000 bytes, not 1,024
        (1024, "1.0 kB"),
        (1049, "1.0 kB"),
        (1551, "1.6 kB"),
        (999_949, "999.9 kB"),
        (999_950, "1.0 MB"),  # never "1000.0 kB": the unit is chosen on the rounded figure
        (1_000_000, "1.0 MB"),
        (284_400_000, "284.4 MB"),
        (1_000_000_000, "1.0 GB"),
        (2_500_000_000_000, "2.5 TB"),
        (5_000_000_000_000_000, "5000.0 TB"),  # TB is the largest unit
        (163.4, "163 B"),  # medians may be fractional
        (999.6, "1.0 kB"),
        (-1500, "-1.5 kB"),
    ],
)
def test_human_size(n: float, shown: str) -> None:
    assert human_size(n) == shown


def test_unknown_size_is_a_dash() -> None:
    assert human_size(None) == "-"


def test_no_binary_units_anywhere() -> None:
    shown = [human_size(10**k + 7) for k in range(16)]
    assert not any(u in s for s in shown for u in ("KB", "KiB", "MiB", "GiB"))


@pytest.mark.parametrize(
    ("n", "shown"), [(0, "0 files"), (1, "1 file"), (2, "2 files"), (1000, "1000 files")]
)
def test_plural(n: int, shown: str) -> None:
    assert plural(n, "file") == shown
