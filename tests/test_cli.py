"""devkit.cli.main: every command's help and the version, and output that cannot be written.

When stdout cannot take the output: Python flushes stdout once more at exit; when that fails
it prints "Exception ignored on flushing sys.stdout" and exits 120 (3.13), so main() flushes
it itself, while a failure can still be one line and exit code 1.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from typing import Any

import pytest

from devkit.cli import main


class FailingStdout(io.StringIO):
    """Takes writes, then fails to flush them with ``err``."""

    def __init__(self, err: int) -> None:
        super().__init__()
        self.err = err

    def flush(self) -> None:
        raise OSError(self.err, os.strerror(self.err))


def test_output_that_cannot_be_flushed_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr(sys, "stdout", FailingStdout(errno.ENOSPC))
    assert main(["--version"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "devkit: error: cannot write the output: No space left on device"
    ]


def test_an_error_already_reported_is_not_repeated(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """--json output on a full disk: the command's own error line, and only that one."""
    monkeypatch.setattr(sys, "stdout", FailingStdout(errno.ENOSPC))
    assert main(["template", "versions", "--json"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "devkit: error: cannot write the output: No space left on device"
    ]


def test_a_reader_that_went_away_is_not_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr(sys, "stdout", FailingStdout(errno.EPIPE))
    assert main(["--version"]) == 0
    assert capsys.readouterr().err == ""


def test_a_closed_pipe_as_a_user_meets_it() -> None:
    """`devkit template versions --json | true`: exit 0, nothing on stderr."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "devkit", "template", "versions", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (0, "")


def test_every_command_has_help_with_an_example(capsys: Any) -> None:
    from devkit.cli import COMMANDS

    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    assert "examples:" in top
    for command in COMMANDS:
        assert command in top
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "examples:" in out, command
        assert f"devkit {command}" in out.split("examples:")[1], command


def test_version(capsys: Any) -> None:
    from devkit import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"devkit {__version__}"
