"""runs.py: what a built image runs, and whether its entrypoint hands root to another user."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.dockerfile import Dockerfile, parse_text
from devkit.doctor.facts import ImageFacts
from devkit.doctor.runs import runs, runs_nothing_of_its_own, runs_the_toolchain, steps_down


def _df(text: str) -> Dockerfile:
    return parse_text(text)


def test_runs_takes_the_last_entrypoint_and_the_cmd_after_it() -> None:
    df = _df('FROM a AS one\nCMD ["x"]\nFROM one\nENTRYPOINT ["/e.sh"]\n')
    assert runs(df, df.final_stage) == (["/e.sh"], [])
    df = _df('FROM a\nENTRYPOINT ["/e.sh"]\nCMD ["serve", "--port", "80"]\n')
    assert runs(df, df.final_stage) == (["/e.sh"], ["serve", "--port", "80"])


@pytest.mark.parametrize(
    ("words", "toolchain"),
    [
        (["go", "run", "main.go"], True),
        (["tini", "--", "cargo", "watch"], True),
        (["dotnet", "watch", "run"], True),
        (["dotnet", "App.dll"], False),
        (["/usr/local/bin/tool"], False),
        ([], False),
    ],
)
def test_runs_the_toolchain(words: list[str], toolchain: bool) -> None:
    assert runs_the_toolchain(words) is toolchain


def test_a_repl_or_no_command_is_nothing_of_its_own() -> None:
    df = _df('FROM python:3.12\nCMD ["python3"]\n')
    assert runs_nothing_of_its_own(df, df.final_stage, *runs(df, df.final_stage))
    df = _df('FROM python:3.12\nCOPY app /app\nCMD ["python3", "/app/main.py"]\n')
    assert not runs_nothing_of_its_own(df, df.final_stage, *runs(df, df.final_stage))


def _steps_down(text: str, context: Path) -> bool:
    df = _df(text)
    stage = df.final_stage
    return steps_down(df, stage, *runs(df, stage), context, ImageFacts.collect(df, stage, {}))


def test_the_entrypoint_script_is_found_where_the_dockerfile_puts_it(tmp_path: Path) -> None:
    (tmp_path / "start").write_text('#!/bin/sh\nexec gosu app "$@"\n')
    (tmp_path / "plain.sh").write_text('#!/bin/sh\nexec "$@"\n')
    on_path = 'FROM debian\nCOPY start /usr/local/bin/start\nENTRYPOINT ["start"]\n'
    assert _steps_down(on_path, tmp_path)
    via_stage = (
        "FROM debian AS files\nCOPY start /docker-entrypoint.sh\n"
        "FROM debian\nCOPY --from=files /docker-entrypoint.sh /docker-entrypoint.sh\n"
        'ENTRYPOINT ["tini", "-g", "--", "/docker-entrypoint.sh"]\n'
    )
    assert _steps_down(via_stage, tmp_path)
    plain = 'FROM debian\nCOPY plain.sh /usr/local/bin/start\nENTRYPOINT ["start"]\n'
    assert not _steps_down(plain, tmp_path)
    elsewhere = 'FROM debian\nCOPY start /opt/start\nENTRYPOINT ["/usr/bin/start"]\n'
    assert not _steps_down(elsewhere, tmp_path)  # another file of that name
    from_image = 'FROM debian\nCOPY --from=other/image /start /start\nENTRYPOINT ["/start"]\n'
    assert not _steps_down(from_image, tmp_path)  # not in the context: unknown
