"""Version texts and ranges (devkit/detect/specs.py)."""

from __future__ import annotations

import pytest

from devkit.detect import specs


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("3.12.1", (3, 12, 1)),
        ("v22.9.0", (22, 9, 0)),
        ("v24", (24,)),
        ("go1.25.5", (1, 25, 5)),
        ("python-3.11.4", (3, 11, 4)),
        (" 1.8 ", (1, 8)),
        ("3.13-dev", None),
        ("pypy-3.11", None),
        ("lts/*", None),
        ("", None),
    ],
)
def test_parse_version(text: str, version: tuple[int, ...] | None) -> None:
    assert specs.parse_version(text) == version


def test_java_numbering() -> None:
    assert specs.java_version("1.8") == (8,)
    assert specs.java_version("17.0.2") == (17, 0, 2)
    assert specs.java_version("21") == (21,)


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        (">=22.12.0", [(22, 12, 0), (24, 1, 0)], [(22, 11, 9), (20, 19, 0)]),
        (
            "^20.19.0 || >=22.12.0",
            [(20, 19, 2), (22, 12, 0), (26, 0, 0)],
            [(20, 18, 0), (22, 9, 0)],
        ),
        ("^22 || >=24", [(22, 0, 0), (24, 3, 1)], [(23, 1, 0), (21, 9, 9)]),
        ("18.x", [(18, 20, 8)], [(19, 0, 0), (17, 9, 9)]),
        ("~1.2.3", [(1, 2, 9)], [(1, 3, 0)]),
        ("~1", [(1, 9, 0)], [(2, 0, 0)]),
        ("^0.2.3", [(0, 2, 9)], [(0, 3, 0)]),
        (">= 18 < 23", [(18, 0, 0), (22, 99, 0)], [(23, 0, 0), (17, 9, 9)]),
        (">18", [(19, 0, 0)], [(18, 20, 8)]),
        ("<=20", [(20, 99, 0)], [(21, 0, 0)]),
        ("1.2.3 - 2.3", [(1, 2, 3), (2, 3, 9)], [(2, 4, 0), (1, 2, 2)]),
        ("*", [(0, 1, 0), (99, 0, 0)], []),
        ("22", [(22, 1, 0)], [(23, 0, 0)]),
    ],
)
def test_node_range(
    spec: str, inside: list[tuple[int, ...]], outside: list[tuple[int, ...]]
) -> None:
    check = specs.node_range(spec)
    assert check is not None
    assert all(check(v) for v in inside), spec
    assert not any(check(v) for v in outside), spec


@pytest.mark.parametrize("spec", ["not a range", ">=18.0.0-beta", "node >= 18"])
def test_node_range_unreadable(spec: str) -> None:
    assert specs.node_range(spec) is None


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        (">=3.10", [(3, 10, 0), (3, 14, 0)], [(3, 9, 25)]),
        (">=3.10,<3.13", [(3, 12, 12)], [(3, 13, 0)]),
        ("~=3.11", [(3, 11, 0), (3, 14, 0)], [(3, 10, 19), (4, 0, 0)]),
        ("^3.9", [(3, 9, 0), (3, 13, 1)], [(4, 0, 0), (3, 8, 20)]),
        ("~3.9", [(3, 9, 5)], [(3, 10, 0)]),
        (">=3.9 <3.12", [(3, 11, 0)], [(3, 12, 0)]),
        ("^3.8 || ^4.0", [(3, 8, 0), (4, 1, 0)], [(5, 0, 0)]),
        ("3.11.*", [(3, 11, 4)], [(3, 12, 0)]),
        ("*", [(3, 1, 0)], []),
    ],
)
def test_python_spec(
    spec: str, inside: list[tuple[int, ...]], outside: list[tuple[int, ...]]
) -> None:
    check = specs.python_spec(spec)
    assert check is not None
    assert all(check(v) for v in inside), spec
    assert not any(check(v) for v in outside), spec


def test_python_spec_unreadable() -> None:
    assert specs.python_spec(">=three") is None
