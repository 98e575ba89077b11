"""`devkit volumes restore` against the real engine: corrupt or unsafe backups, volumes in
use or not empty, and volumes whose data lives elsewhere leave the target as it was."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_LABELS

from devkit import volumes as vol
from devkit.cli import main
from devkit.volumes import archive
from devkit.volumes.archive import writer

from .docker_helpers import Volumes, run_script, tree, unique

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


def _corrupt(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    manifest = archive.read_manifest(path)
    if how == "flip":
        data[manifest["compressed_bytes"] // 2] ^= 0x01
    elif how == "truncate":
        del data[len(data) // 2 :]
    elif how == "manifest":
        other = dict(manifest, sha256="0" * 64)
        trailer = writer._zstd_trailer(other)
        data = data[: manifest["compressed_bytes"]] + bytearray(trailer)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["flip", "truncate", "manifest"])
def test_corrupt_backup_leaves_target_as_it_was(
    docker_client: Any,
    busybox_image: str,
    small_source: str,
    vols: Volumes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    out = tmp_path / "b.tar.zst"
    vol.backup(docker_client, small_source, output=out)
    _corrupt(out, how)
    target = vols.create()
    run_script(docker_client, busybox_image, target, "echo keep > /v/mine")
    before = tree(docker_client, busybox_image, target)
    capsys.readouterr()
    assert main(["volumes", "restore", str(out), "--to", target, "--force"]) == 1
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err
    assert any(word in err for word in ("checksum", "truncated", "corrupt", "manifest"))
    assert tree(docker_client, busybox_image, target) == before
    assert main(["volumes", "verify", str(out)]) == 1
    # nothing was created for a new target either
    fresh = vols.name()
    assert main(["volumes", "restore", str(out), "--to", fresh]) == 1
    assert not vol.volume_exists(docker_client, fresh)


def test_refuses_volumes_in_use_and_non_empty(
    docker_client: Any,
    busybox_image: str,
    small_source: str,
    vols: Volumes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "b.tar.zst"
    vol.backup(docker_client, small_source, output=out)
    target = vols.create()
    run_script(docker_client, busybox_image, target, "echo old > /v/old")
    user = docker_client.containers.create(
        busybox_image,
        ["true"],
        name=unique("dkt-user"),
        volumes={target: {"bind": "/v", "mode": "rw"}},
        labels=TEST_LABELS,
    )
    try:
        capsys.readouterr()
        assert main(["volumes", "restore", str(out), "--to", target, "--force"]) == 1
        assert user.name in capsys.readouterr().err
        assert main(["volumes", "rm", target, "--yes"]) == 1
        assert user.name in capsys.readouterr().err
    finally:
        user.remove(force=True)
    assert main(["volumes", "restore", str(out), "--to", target]) == 1
    assert "not empty" in capsys.readouterr().err
    # --force: a safety backup of the old contents first, then exactly the backup's tree
    assert main(["volumes", "restore", str(out), "--to", target, "--force"]) == 0
    err = capsys.readouterr().err
    assert "safety backup" in err
    assert tree(docker_client, busybox_image, target) == tree(
        docker_client, busybox_image, small_source
    )
    safety = [b for b in vol.find_backups() if b.volume == target]
    assert safety and safety[0].manifest["kind"] == "safety"
    restored_old = vols.name()
    vol.restore(docker_client, safety[0].path, target=restored_old)
    names = [r[0] for r in tree(docker_client, busybox_image, restored_old)]
    assert "./old" in names


def test_unsafe_backup_is_refused_before_anything_is_written(
    docker_client: Any,
    busybox_image: str,
    vols: Volumes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, link in (
            ("./ok", tarfile.REGTYPE, ""),
            ("./l", tarfile.SYMTYPE, "/"),
            ("./l/evil", tarfile.REGTYPE, ""),
        ):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, link
            tar.addfile(info, io.BytesIO(b""))
    path = tmp_path / "evil.tar.zst"
    with path.open("wb") as fh:
        archive.write_backup([buf.getvalue()], fh, volume={"name": "evil", "driver": "local"})
    target = vols.create()
    capsys.readouterr()
    assert main(["volumes", "restore", str(path), "--to", target]) == 1
    assert "through the symlink" in capsys.readouterr().err
    assert vol.is_empty(docker_client, target)
    fresh = vols.name()
    assert main(["volumes", "restore", str(path), "--to", fresh]) == 1
    assert not vol.volume_exists(docker_client, fresh)


def test_force_into_a_bind_volume_stops_before_restoring(
    docker_client: Any,
    small_source: str,
    vols: Volumes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Removing a bind-type volume keeps the host folder's files: devkit notices and stops."""
    folder = tmp_path / "bound"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep")
    name = vols.name()
    docker_client.volumes.create(
        name,
        driver_opts={"type": "none", "o": "bind", "device": str(folder)},
        labels=TEST_LABELS,
    )
    out = tmp_path / "b.tar.zst"
    vol.backup(docker_client, small_source, output=out)
    capsys.readouterr()
    assert main(["volumes", "restore", str(out), "--to", name, "--force"]) == 1
    err = capsys.readouterr().err
    assert "still holds data" in err and "Nothing was restored" in err
    assert sorted(p.name for p in folder.iterdir()) == ["mine.txt"]
    assert docker_client.volumes.get(name).attrs["Options"]["device"] == str(folder)
