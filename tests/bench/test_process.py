"""The docker CLI's process group: started apart from devkit's, stopped with its plugin
(devkit.bench.process), with a fake CLI that runs a fake plugin as docker's CLI runs buildx."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devkit.bench import process

# Like docker's CLI: SIGINT does not kill it; it waits for its plugin and exits with it. The
# plugin stops at SIGINT, or ignores it with "stubborn".
_FAKE_CLI = """\
import signal, subprocess, sys
stubborn = sys.argv[2] == "stubborn"
signal.signal(signal.SIGINT, signal.SIG_IGN if stubborn else (lambda *_: None))
plugin = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                          stderr=subprocess.DEVNULL)
with open(sys.argv[1], "w") as fh:
    fh.write(str(plugin.pid))
print("plugin started", flush=True)
sys.exit(plugin.wait())
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie has ended: it only awaits reaping)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return state.stdout.strip()[:1] not in ("", "Z")


def _ends_soon(pid: int) -> bool:
    """Whether ``pid`` stops running within seconds (SIGKILL is delivered, not awaited)."""
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _running(pid)


def _start_fake(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], int]:
    script, pidfile = tmp_path / "docker.py", tmp_path / "plugin.pid"
    script.write_text(_FAKE_CLI)
    proc = process.start([sys.executable, str(script), str(pidfile), mode], dict(os.environ))
    assert proc.stdout is not None and proc.stdout.readline() == "plugin started\n"
    return proc, int(pidfile.read_text())


def test_the_cli_has_a_process_group_of_its_own(tmp_path: Path) -> None:
    """A Ctrl-C in a terminal reaches devkit only: devkit alone signals the build, once."""
    proc, plugin = _start_fake(tmp_path, "polite")
    try:
        assert os.getpgid(proc.pid) == proc.pid != os.getpgid(0)
        assert os.getpgid(plugin) == proc.pid
    finally:
        process.stop(proc)


def test_stop_ends_the_cli_and_its_plugin(tmp_path: Path) -> None:
    proc, plugin = _start_fake(tmp_path, "polite")
    began = time.monotonic()
    process.stop(proc, timeout=30)
    assert time.monotonic() - began < 10  # both stopped at SIGINT: no waiting for the timeout
    assert proc.returncode is not None
    assert not _running(plugin)
    with pytest.raises(ProcessLookupError):  # the CLI reaped its plugin: nothing is left
        os.killpg(proc.pid, 0)


def test_stop_kills_a_group_that_does_not_stop(tmp_path: Path) -> None:
    proc, plugin = _start_fake(tmp_path, "stubborn")
    process.stop(proc, timeout=1)
    assert proc.returncode == -signal.SIGKILL
    assert _ends_soon(plugin)


def test_a_second_ctrl_c_does_not_wait_for_a_clean_cancel(tmp_path: Path) -> None:
    proc, plugin = _start_fake(tmp_path, "stubborn")
    ctrl_c = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    began = time.monotonic()
    ctrl_c.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            process.stop(proc, timeout=60)
    finally:
        ctrl_c.cancel()
    assert time.monotonic() - began < 30
    assert proc.returncode == -signal.SIGKILL
    assert _ends_soon(plugin)


def test_a_failed_start_is_raised_in_the_callers_thread(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        process.start([str(tmp_path / "no-such-docker")], dict(os.environ))


def test_a_ctrl_c_while_starting_stops_what_was_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, pidfile = tmp_path / "docker.py", tmp_path / "plugin.pid"
    script.write_text(_FAKE_CLI)
    real_popen = subprocess.Popen
    made: list[subprocess.Popen[str]] = []

    def slow_popen(*args: object, **kwargs: object) -> subprocess.Popen[str]:
        made.append(real_popen(*args, **kwargs))  # type: ignore[call-overload]
        time.sleep(1)  # forked, not returned yet: a start that takes long on a loaded machine
        return made[-1]

    monkeypatch.setattr(process.subprocess, "Popen", slow_popen)
    ctrl_c = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    ctrl_c.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            process.start([sys.executable, str(script), str(pidfile), "polite"], dict(os.environ))
    finally:
        ctrl_c.cancel()
    (proc,) = made
    assert proc.returncode is not None  # stopped and reaped before the interrupt went on
    if pidfile.exists() and pidfile.read_text():
        assert not _running(int(pidfile.read_text()))
