"""`devkit update --migrate-volumes` on the real engine: a renamed cache volume's data moves."""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_LABELS

from devkit.cli import main
from update.update_helpers import add_template_version, git_identity, make_template, render_project

__all__ = ["git_identity"]

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("git_identity")]


def _write_file(client: Any, image: str, volume: str, name: str, data: bytes) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    container = client.containers.create(
        image, volumes={volume: {"bind": "/v", "mode": "rw"}}, labels=TEST_LABELS
    )
    try:
        container.put_archive("/v", buf.getvalue())
    finally:
        container.remove(force=True)


def _read_file(client: Any, image: str, volume: str, name: str) -> bytes:
    container = client.containers.create(
        image, volumes={volume: {"bind": "/v", "mode": "ro"}}, labels=TEST_LABELS
    )
    try:
        stream, _ = container.get_archive(f"/v/{name}")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.extractfile(name)
            assert member is not None
            return member.read()
    finally:
        container.remove(force=True)


def test_migrate_volumes_copies_renamed_cache(
    docker_client: Any, busybox_image: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"dkupd{uuid.uuid4().hex[:8]}"
    template = make_template(tmp_path / "template", versions=("1.0.0", "2.0.0"))
    project = render_project(str(template), tmp_path / name, ref="v2.0.0")
    add_template_version(template, "3.0.0")  # renames <name>-pip-cache, drops <name>-build-cache
    old, new, dropped = f"{name}-pip-cache", f"{name}-pip-cache-v3", f"{name}-build-cache"
    for vol in (old, dropped):
        docker_client.volumes.create(vol, labels={**TEST_LABELS, "dev.devkit.managed": "true"})
    try:
        _write_file(docker_client, busybox_image, old, "wheel.txt", b"cached bytes\n")
        capsys.readouterr()
        code = main(["update", str(project), "--migrate-volumes", "--json"])
        report = json.loads(capsys.readouterr().out)
        assert code == 0, report
        volumes = {v["old"]: v for v in report["repositories"][0]["volumes"]}
        assert volumes[old]["new"] == new
        assert volumes[old]["migrated"] == "copied (old volume kept)"
        assert volumes[dropped]["kind"] == "dropped" and volumes[dropped]["migrated"] is None
        assert _read_file(docker_client, busybox_image, new, "wheel.txt") == b"cached bytes\n"
        assert docker_client.volumes.get(new).attrs["Labels"]["dev.devkit.purpose"] == "pip-cache"
        # Nothing was deleted: the old and the dropped volumes are still there, data intact.
        assert _read_file(docker_client, busybox_image, old, "wheel.txt") == b"cached bytes\n"
        docker_client.volumes.get(dropped)
    finally:
        for vol in (old, new, dropped):
            with contextlib.suppress(Exception):
                docker_client.volumes.get(vol).remove(force=True)
