"""The docker CLI that runs one build, as a child process: started in a process group of its
own, and stopped together with the buildx plugin it runs.

``docker buildx build`` is the docker CLI running the ``docker-buildx`` plugin as a child
process. The CLI exits after its plugin, unless a signal kills it first, and Docker 28's CLI
can be killed by a second SIGINT that comes right after the first: it drops its first handler
before it sets the one for further signals. A Ctrl-C in a terminal reaches every process of the
foreground process group, so when the CLI shared devkit's group it got the terminal's SIGINT
and devkit's own right after it; now and then the CLI died of the second, and the orphaned
plugin went on cancelling its build after devkit had exited.

So the CLI gets a process group of its own: a Ctrl-C reaches devkit only, and :func:`stop`
sends one SIGINT to the CLI and its plugin together (what a terminal does for a CLI run by
hand), waits for the CLI, which waits for its plugin, and kills the whole group if that takes
too long or a second Ctrl-C comes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading

#: Seconds a build gets to cancel cleanly after SIGINT before its processes are killed.
STOP_TIMEOUT = 15.0


def start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start ``argv`` in a process group of its own, with stdout and stderr on one text pipe.

    The start runs on a worker thread: KeyboardInterrupt is raised in the main thread only, so
    a Ctrl-C that comes while the process is being started cannot lose it. The interrupted
    main thread waits for the start to finish and stops what it started.
    """
    started: list[subprocess.Popen[str]] = []
    failed: list[BaseException] = []
    # An Event, not Thread.join(): an interrupted join() may mark the thread finished early.
    done = threading.Event()

    def run() -> None:
        try:
            proc = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                text=True,
                errors="replace",
                bufsize=1,
                start_new_session=True,  # its own process group (and no controlling terminal)
            )
        except BaseException as exc:  # handed over to the caller's thread
            failed.append(exc)
        else:
            started.append(proc)
        finally:
            done.set()

    threading.Thread(target=run, name="devkit-bench-start", daemon=True).start()
    try:
        done.wait()
    except BaseException:
        done.wait()
        for proc in started:
            stop(proc)
        raise
    if failed:
        raise failed[0]
    return started[0]


def stop(proc: subprocess.Popen[str], timeout: float = STOP_TIMEOUT) -> None:
    """Make sure a process from :func:`start` and everything in its group are gone.

    One SIGINT to the group lets the docker CLI and its plugin cancel the build cleanly; the
    CLI exits after the plugin. After ``timeout`` seconds, or at a second Ctrl-C, the group is
    killed instead.
    """
    if proc.poll() is not None:
        return
    # The group is signalled only while the CLI is not reaped yet: until then its process id,
    # which is the group's id, cannot have been given to another process.
    _signal_group(proc, signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
    except KeyboardInterrupt:  # a second Ctrl-C: no more waiting for a clean cancel
        _kill_group(proc)
        raise


def _kill_group(proc: subprocess.Popen[str]) -> None:
    _signal_group(proc, signal.SIGKILL)
    proc.wait()


def _signal_group(proc: subprocess.Popen[str], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass  # the whole group has exited (the CLI is only waiting to be reaped)
    except OSError:
        proc.send_signal(signum)  # the group cannot be signalled here: the CLI at least
