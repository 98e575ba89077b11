"""Running the docker CLI for one answer: the one subprocess door of the prebuild package
(the build itself streams its output: :mod:`devkit.prebuild.build`)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from devkit.errors import DevkitError, one_line

#: Seconds one question to the engine or a registry may take.
TIMEOUT = 120


def run(argv: list[str], timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """``argv`` run to completion, output captured, no stdin; a :class:`DevkitError` when it
    cannot be started or takes longer than ``timeout`` seconds (its exit code is the
    caller's to read)."""
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DevkitError(f"`{' '.join(argv[1:4])}` took longer than {timeout:.0f}s") from exc
    except OSError as exc:
        raise DevkitError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc


def last_line(text: str) -> str:
    """The line of CLI output that says what went wrong: the first ``ERROR``/``error`` line,
    else the last line; one line, at most 300 characters."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for line in lines:
        if line.lower().startswith(("error", "failed")):
            return one_line(line.removeprefix("ERROR: ").removeprefix("error: "), 300)
    return one_line(lines[-1], 300) if lines else "no output"


def json_answer(argv: list[str]) -> Any:
    """The JSON ``argv`` prints (``--format '{{json …}}'``); None when it fails or prints
    something else (an image that is not there, a registry that cannot be read)."""
    done = run(argv)
    if done.returncode != 0:
        return None
    try:
        return json.loads(done.stdout)
    except ValueError:
        return None
