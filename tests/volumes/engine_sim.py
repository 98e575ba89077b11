"""Engines that misbehave, simulated on a real one: an archive upload that answers success
but drops entries (Podman #21861: everything, at /) or flattens owners, made by filtering the
tar devkit sends through :func:`devkit.volumes.transport.put`."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devkit.volumes import transport
from devkit.volumes.archive.tar import path_parts


def rewrite(
    data: bytes, how: str, drop: Callable[[str], bool], owners: tuple[int, int] | None
) -> bytes:
    """``data`` (a tar laid out for upload mode ``how``) without the members whose volume
    path ``drop`` picks, and with every owner set to ``owners`` when given."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(data)) as src,
        tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as dst,
    ):
        for info in src:
            parts = path_parts(info.name)
            if how == transport.PUT_ROOT:
                parts = parts[1:]  # under volume/
            if drop("/".join(parts) or "."):
                continue
            if owners is not None:
                info.uid, info.gid = owners
            dst.addfile(info, src.extractfile(info) if info.isreg() else None)
    return out.getvalue()


class BadUploads:
    """Replaces transport.put for the test: uploads ``times`` times through the filter (all
    of them when None), the rest untouched."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        *,
        drop: Callable[[str], bool] = lambda path: False,
        owners: tuple[int, int] | None = None,
        times: int | None = None,
    ) -> None:
        self.calls = 0
        real = transport.put

        def put(
            client: Any, container: Any, data: Iterator[bytes], name: str, how: str = "root"
        ) -> None:
            self.calls += 1
            if times is None or self.calls <= times:
                data = iter([rewrite(b"".join(data), how, drop, owners)])
            real(client, container, data, name, how)

        monkeypatch.setattr(transport, "put", put)


def everything(path: str) -> bool:
    """Drop every entry: the volume stays empty (Podman #21861)."""
    return True
