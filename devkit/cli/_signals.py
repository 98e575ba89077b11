"""Signals for the terminal layer: SIGTERM is handled as Ctrl-C.

Core modules never install signal handlers (they may run in a thread, a worker process or a
library); the CLI wraps the long, writing commands in :func:`sigterm_as_interrupt`, so that
a job runner or ``kill`` stopping devkit gets the same cleanup as Ctrl-C: partial files
removed, edited files put back, helper containers gone, exit 130.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`KeyboardInterrupt` as Ctrl-C does.

    The previous handler is put back afterwards. Outside the main thread (where Python
    cannot install handlers) the block just runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
