"""`devkit bench` argument errors and help, in-process (builds: tests/bench/test_docker.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.cli import main

from .bench_helpers import small_project


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["bench", "{tmp}/missing"], 1),
        (["bench", "{tmp}", "--repeat", "0"], 2),
        (["bench", "{tmp}", "--scenarios", "warm"], 2),
        (["bench", "{tmp}", "--baseline", "{tmp}/none.json"], 1),
        (["bench", "{tmp}"], 1),  # no Dockerfile
        (["bench", "{tmp}", "--json", "{tmp}/no/such/dir/r.json"], 1),
        (["bench", "{tmp}", "--threshold", "-5"], 2),
        (["bench", "{tmp}", "--threshold", "nan"], 2),
        (["bench", "{tmp}", "--repeat", "x"], 2),
        (["bench", "{tmp}", "--compare-target", "dev"], 2),  # without --compare
        (["bench", "{tmp}", "--scenario", "fresh"], 2),  # without --registry
        (["bench", "{tmp}", "--registry", "r.io/a"], 2),  # without --scenario fresh
        (["bench", "{tmp}", "--scenarios", "fresh,cold"], 2),
        (["bench", "{tmp}", "--scenario", "fresh", "--registry", "r.io/a", "--csv", "x"], 2),
        (["bench", "{tmp}", "--scenario", "fresh", "--registry", "r.io/a", "-f", "D"], 2),
    ],
)
def test_cli_bad_input(
    tmp_path: Path, argv: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 1:
        assert err.count("devkit: error:") == 1


def test_cli_compare_with_the_benched_dockerfile_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small_project(tmp_path)
    argv = ["bench", str(tmp_path), "--compare", str(tmp_path / ".devcontainer" / "Dockerfile")]
    assert main(argv) == 2  # exit 1 means "a regression" to a script
    assert "same Dockerfile" in capsys.readouterr().err


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--compare" in out and "examples:" in out and "devkit bench . --baseline" in out
