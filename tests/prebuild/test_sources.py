"""Which stages a target builds and which context paths their instructions pick."""

from __future__ import annotations

import pytest

from devkit.dockerfile import parse_text
from devkit.prebuild import sources
from devkit.prebuild.sources import Source

SENT = [
    "a.txt",
    "b.py",
    "docs",
    "docs/x.md",
    "src",
    "src/pkg",
    "src/pkg/m.py",
    "src/pkg/data.json",
    "src/top.py",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (".", SENT),
        ("a.txt", ["a.txt"]),
        ("*.py", ["b.py"]),  # * stops at /
        ("src", ["src", "src/pkg", "src/pkg/data.json", "src/pkg/m.py", "src/top.py"]),
        ("src/*.py", ["src/top.py"]),
        ("src/**/*.py", ["src/pkg/m.py", "src/top.py"]),
        ("src/p?g", ["src/pkg", "src/pkg/data.json", "src/pkg/m.py"]),
        ("[ab].*", ["a.txt", "b.py"]),
        ("[!a].*", ["b.py"]),
        ("missing", []),
    ],
)
def test_select(pattern: str, expected: list[str]) -> None:
    assert sources.select(SENT, [Source(pattern, 1)]) == sorted(expected)


def test_select_exclude() -> None:
    picked = sources.select(SENT, [Source("src", 1, excludes=("**/*.json",))])
    assert "src/pkg/data.json" not in picked and "src/pkg/m.py" in picked


@pytest.mark.parametrize(
    ("raw", "normal"), [("./a/", "a"), ("/a/b", "a/b"), ("./", "."), ("", "."), ("a//b", "a/b")]
)
def test_normalise(raw: str, normal: str) -> None:
    assert sources.normalise(raw) == normal


def test_stages_follow_from_mounts_and_arg_substitution() -> None:
    df = parse_text(
        "ARG BASE=busybox\n"
        "FROM ${BASE} AS one\n"
        "COPY one.txt /\n"
        "FROM busybox AS two\n"
        "ENV DIR=conf\n"
        "COPY ${DIR}/ /conf/\n"
        "FROM busybox AS three\n"
        "COPY three.txt /\n"
        "FROM busybox AS final\n"
        "ARG FROM_STAGE=two\n"
        "COPY --from=${FROM_STAGE} /conf /conf\n"
        "RUN --mount=from=one,target=/one --mount=type=cache,target=/c --mount=target=/ctx true\n"
        "RUN --mount=type=bind,from=helper:2,source=/x,target=/x true\n"
    )
    found = sources.reads(df, "final", {})
    assert [s.label for s in found.stages] == ["one", "two", "final"]
    assert [s.pattern for s in found.sources] == ["one.txt", "conf", "."]
    assert found.images == ["busybox", "helper:2"]
    assert found.declared_args == {"BASE", "FROM_STAGE"}
    # A build arg picks the other stage.
    other = sources.reads(df, "final", {"FROM_STAGE": "three"})
    assert [s.label for s in other.stages] == ["one", "three", "final"]


def test_json_form_and_quoted_sources() -> None:
    df = parse_text('FROM scratch\nCOPY ["with space.txt", "b.txt", "/dst/"]\nADD "q.txt" /q\n')
    found = sources.reads(df, None, {})
    assert [s.pattern for s in found.sources] == ["with space.txt", "b.txt", "q.txt"]
    assert found.images == []  # scratch is no image
