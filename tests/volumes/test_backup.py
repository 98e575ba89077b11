"""volumes.backup without an engine (a fake client and stream): no partial file is left."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devkit import volumes as vol
from devkit.errors import DevkitError
from devkit.volumes import archive, helper, transport
from devkit.volumes.archive import writer

from .archive_helpers import chunked, make_tar


def test_full_disk_removes_the_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vol.backup removes its temporary file whatever goes wrong while writing."""

    class FakeContainer:
        def remove(self, **_: Any) -> None:
            pass

    class FakeClient:
        class api:
            @staticmethod
            def inspect_volume(name: str) -> dict[str, Any]:
                return {"Name": name, "Driver": "local", "Labels": {}}

        class containers:
            @staticmethod
            def create(*_: Any, **__: Any) -> FakeContainer:
                return FakeContainer()

    def fake_stream(client: Any, name: str, container: Any) -> Iterator[bytes]:
        yield from chunked(make_tar(), 1000)

    monkeypatch.setattr(transport, "stream", fake_stream)
    monkeypatch.setattr(helper, "ensure_helper_image", lambda client: "img")
    real = writer.write_backup

    def failing(chunks: Any, out: Any, **kw: Any) -> dict[str, Any]:
        out.write(b"partial data")
        raise writer.os_error("writing the backup", OSError(errno.ENOSPC, "full"))

    monkeypatch.setattr(writer, "write_backup", failing)
    with pytest.raises(DevkitError, match="no space left"):
        vol.backup(FakeClient(), "demo", output=tmp_path / "b.tar.zst")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(writer, "write_backup", real)
    result = vol.backup(FakeClient(), "demo", output=tmp_path / "b.tar.zst")
    assert result.path == tmp_path / "b.tar.zst"
    assert [p.name for p in tmp_path.iterdir()] == ["b.tar.zst"]
    assert archive.verify(result.path)["volume"]["name"] == "demo"
