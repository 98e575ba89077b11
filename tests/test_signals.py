"""devkit.cli._signals: SIGTERM handled as Ctrl-C, only while asked and only by the CLI."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from devkit.cli._signals import sigterm_as_interrupt

DEVKIT = Path(__file__).resolve().parent.parent / "devkit"


def test_sigterm_raises_keyboardinterrupt_inside_and_the_old_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts the wait as soon as the signal arrives
        pytest.fail("SIGTERM did not interrupt")  # pragma: no cover
    assert signal.getsignal(signal.SIGTERM) is before


def test_outside_the_main_thread_the_block_just_runs() -> None:
    ran: list[object] = []

    def work() -> None:
        with sigterm_as_interrupt():
            ran.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert ran == [before]


def test_only_the_cli_installs_signal_handlers() -> None:
    """Core modules may run in threads, worker processes or as a library: no SIGTERM there."""
    core = [
        str(path.relative_to(DEVKIT))
        for path in DEVKIT.rglob("*.py")
        if "cli" not in path.relative_to(DEVKIT).parts
        and "signal.SIGTERM" in path.read_text(encoding="utf-8")
    ]
    assert core == []
