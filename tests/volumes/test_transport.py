"""devkit.volumes.transport without an engine: an interrupt while the archive stream opens."""

from __future__ import annotations

import _thread
import threading
import time
from typing import Any

import pytest

from devkit.volumes import transport


class _Response:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class _SlowApi:
    """The private APIClient calls open_archive makes; the engine answers after ``delay``."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.answered: list[_Response] = []

    def _url(self, template: str, *args: str) -> str:
        return template.format(*args)

    def _get(self, url: str, **_: Any) -> _Response:
        time.sleep(self.delay)
        res = _Response()
        self.answered.append(res)
        return res

    def _raise_for_status(self, res: _Response) -> None:
        pass

    def _get_raw_response_socket(self, res: _Response) -> object:
        return object()

    def _disable_socket_timeout(self, sock: object) -> None:
        pass


def test_an_interrupt_while_opening_never_loses_the_open_stream() -> None:
    """Ctrl-C lands while the engine is answering: the call waits for the answer and hands
    it over in ``held``, so the caller's finally can hang up (else the engine keeps the
    helper container locked and removing it hangs)."""
    api = _SlowApi(delay=0.5)
    held: list[Any] = []
    threading.Timer(0.1, _thread.interrupt_main).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        transport.open_archive_into(api, "c1", "/volume/.", held)
    assert time.monotonic() - started >= 0.45  # it waited for the engine's answer
    assert held == api.answered and len(held) == 1
    assert not held[0].closed  # still the caller's to close, as stream() does


def test_opening_hands_over_the_response_or_the_error() -> None:
    api = _SlowApi(delay=0)
    held: list[Any] = []
    transport.open_archive_into(api, "c1", "/volume/.", held)
    assert held == api.answered

    class _Refusing(_SlowApi):
        def _raise_for_status(self, res: _Response) -> None:
            raise RuntimeError("404 no such container")

    refusing = _Refusing(delay=0)
    held = []
    with pytest.raises(RuntimeError, match="no such container"):
        transport.open_archive_into(refusing, "c1", "/volume/.", held)
    assert held == [] and refusing.answered[0].closed  # an error answer is hung up at once
