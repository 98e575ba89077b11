"""devkit.dockerfile: stages, line numbers, continuations, heredocs, ARG-substituted images."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.dockerfile import parse_file, parse_text, substitute
from devkit.errors import DevkitError


def test_stages_lines_and_arg_substituted_images() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG BASE=debian:bookworm-slim\n"
        "ARG PY_VERSION=3.12\n"
        "FROM ${BASE} AS base\n"
        "RUN echo one\n"
        "FROM --platform=$BUILDPLATFORM python:${PY_VERSION}-slim AS Build\n"
        "FROM base\n"
        "USER 1000\n"
    )
    df = parse_text(text)
    assert df.directives == {"syntax": "docker/dockerfile:1"}
    assert df.global_args == {"BASE": "debian:bookworm-slim", "PY_VERSION": "3.12"}
    assert [(s.name, s.base, s.line, s.parent) for s in df.stages] == [
        ("base", "debian:bookworm-slim", 4, None),
        ("Build", "python:3.12-slim", 6, None),
        (None, "base", 7, 0),
    ]
    assert df.stages[0].instructions[0].line == 5
    assert df.stage("build") is df.stages[1] and df.stage("1") is df.stages[1]
    assert df.stage("missing") is None
    assert [s.index for s in df.chain(df.final_stage)] == [0, 2]
    assert df.stages[1].instructions == []  # FROM straight after FROM


def test_build_args_override_defaults() -> None:
    df = parse_text(
        "ARG TAG=1\nARG REG\nFROM ${REG:-docker.io}/app:$TAG\n", build_args={"TAG": "2"}
    )
    assert df.final_stage.base == "docker.io/app:2"
    assert df.final_stage.base_raw == "${REG:-docker.io}/app:$TAG"


def test_line_continuations_and_comments_inside_them() -> None:
    text = (
        "FROM busybox\n"
        "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n"
        "    --mount=type=cache,dst=/var/lib/apt \\\n"
        "    # a comment in the middle\n"
        "    apt-get update && \\\n"
        "    apt-get install -y curl\n"
        "USER 1000\n"
    )
    (run, user) = parse_text(text).final_stage.instructions
    assert (run.keyword, run.line, run.end_line) == ("RUN", 2, 6)
    assert run.mounts() == [
        {"type": "cache", "target": "/var/cache/apt", "sharing": "locked"},
        {"type": "cache", "target": "/var/lib/apt"},
    ]
    assert "apt-get install -y curl" in run.script()
    assert "comment" not in run.script()
    assert user.line == 7


def test_heredocs_are_bodies_not_instructions() -> None:
    text = (
        "FROM busybox\n"
        "RUN <<EOF\n"
        "set -e\n"
        "pip install flask\n"
        "EOF\n"
        "COPY <<-'CONF' <<\"TWO\" /etc/\n"
        "\tkey=value\n"
        "\tCONF\n"
        "two\n"
        "TWO\n"
        "USER 1000\n"
    )
    run, copy, user = parse_text(text).final_stage.instructions
    assert (run.line, run.end_line) == (2, 5)
    assert run.heredocs[0].name == "EOF" and run.heredocs[0].line == 3
    assert run.script().splitlines()[-1] == "pip install flask"
    assert (copy.keyword, copy.line, copy.end_line) == ("COPY", 6, 10)
    assert [(h.name, h.body) for h in copy.heredocs] == [("CONF", "key=value"), ("TWO", "two")]
    assert (user.keyword, user.line) == ("USER", 11)


def test_heredoc_body_ending_in_backslash_does_not_swallow_the_next_instruction() -> None:
    text = "FROM busybox\nRUN <<EOF\necho a \\\nEOF\nUSER 1000\nRUN echo b\n"
    instructions = parse_text(text).final_stage.instructions
    assert [(i.keyword, i.line) for i in instructions] == [("RUN", 2), ("USER", 5), ("RUN", 6)]


def test_escape_directive() -> None:
    text = "# escape=`\nFROM busybox\nRUN echo a `\n    b\nUSER 1000\n"
    df = parse_text(text)
    run, user = df.final_stage.instructions
    assert df.directives["escape"] == "`"
    assert (run.line, run.end_line, user.line) == (3, 4, 5)


def test_flags_exec_form_and_assignments() -> None:
    text = (
        "FROM busybox\n"
        'RUN ["pip", "install", "x"]\n'
        "COPY --from=build --chown=dev:dev /out /app\n"
        'ENV A=1 B="two words"\n'
        "ENV LEGACY some value\n"
        "ARG NAME\n"
    )
    run, copy, env, legacy, arg = parse_text(text).final_stage.instructions
    assert run.json_form() == ["pip", "install", "x"] and run.script() == "pip install x"
    assert copy.flag("from") == ["build"] and copy.flag("chown") == ["dev:dev"]
    assert copy.args == "/out /app"
    assert env.assignments() == [("A", "1"), ("B", "two words")]
    assert legacy.assignments() == [("LEGACY", "some value")]
    assert arg.assignments() == [("NAME", None)]


def test_substitute_forms() -> None:
    values = {"A": "x", "EMPTY": "", "NONE": None}
    assert substitute("$A ${A} ${MISSING:-d} ${EMPTY:-e} ${EMPTY-f} ${A:+p} ${NONE}.", values) == (
        "x x d e  p ."
    )


def test_no_from_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DevkitError, match="no FROM"):
        parse_text("RUN echo\n")
    with pytest.raises(DevkitError, match="cannot read"):
        parse_file(tmp_path / "missing")
    path = tmp_path / "Dockerfile.dev"
    path.write_text("FROM busybox\n")
    assert parse_file(path).path == path
