"""Engine access without an engine: what counts as an empty volume, and who counts as running."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from devkit import volumes as vol
from devkit.errors import DevkitError
from devkit.volumes import helper, transport

from .archive_helpers import chunked, make_tar


def _fake_volume_stream(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Make helper.container/transport.stream hand out ``data`` as the volume archive."""

    @contextlib.contextmanager
    def fake_helper(client: Any, volume: str, *, read_only: bool = False) -> Iterator[Any]:
        yield object()

    def fake_stream(client: Any, name: str, container: Any) -> Iterator[bytes]:
        yield from chunked(data, 100)

    monkeypatch.setattr(helper, "container", fake_helper)
    monkeypatch.setattr(transport, "stream", fake_stream)


def test_is_empty_needs_a_complete_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    root_only = make_tar([("dir", ".", None)])
    _fake_volume_stream(monkeypatch, root_only)
    assert vol.is_empty(None, "v") is True
    _fake_volume_stream(monkeypatch, make_tar())
    assert vol.is_empty(None, "v") is False
    # An answer cut short (no end marker) must not pass for "empty": restore would then
    # write into a volume that holds data, without --force and without a safety backup.
    for cut in (root_only[:512], b""):
        _fake_volume_stream(monkeypatch, cut)
        with pytest.raises(DevkitError, match="ended early"):
            vol.is_empty(None, "v")


def test_running_users_are_confirmed_by_the_containers_own_state() -> None:
    """The container list lags behind stop: a container it still calls running, but whose
    own state says stopped (or that is gone), does not block a copy."""
    import docker.errors

    listed = [
        {"Id": "a" * 64, "Names": ["/still-running"]},
        {"Id": "b" * 64, "Names": ["/just-stopped"]},
        {"Id": "c" * 64, "Names": ["/just-removed"]},
    ]
    states = {"a" * 64: {"Running": True}, "b" * 64: {"Running": False}}
    asked: list[dict[str, Any]] = []

    class FakeClient:
        class api:
            @staticmethod
            def containers(**kw: Any) -> list[dict[str, Any]]:
                asked.append(kw)
                return listed

            @staticmethod
            def inspect_container(container_id: str) -> dict[str, Any]:
                if container_id not in states:
                    raise docker.errors.NotFound("gone")
                return {"State": states[container_id]}

    assert helper.users(FakeClient(), "v", running_only=True) == ["still-running"]
    assert asked == [{"all": False, "filters": {"volume": "v"}}]
    # Without running_only every listed container counts, stopped ones too: no inspect.
    states.clear()
    assert len(helper.users(FakeClient(), "v")) == 3
