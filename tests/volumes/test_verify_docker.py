"""Restore and copy check what they wrote, on the real engine: an upload that drops entries
or owners (simulated by filtering what devkit sends) is an error naming the first
difference, and the target is left as the error says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devkit import volumes as vol
from devkit.cli import main
from devkit.errors import DevkitError
from devkit.volumes import probe

from .docker_helpers import Volumes, run_script, tree
from .engine_sim import BadUploads, everything

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


@pytest.fixture(scope="module")
def small_backup(
    docker_client: Any, small_source: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("verify") / "small.tar.zst"
    vol.backup(docker_client, small_source, output=out)
    return out


def test_restore_and_copy_report_their_check(
    docker_client: Any,
    busybox_image: str,
    small_backup: Path,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manifest = vol.archive.read_manifest(small_backup)
    target = vols.name()
    result = vol.restore(docker_client, small_backup, target=target)
    assert result.verified is not None
    assert result.verified.read == probe.READ_MOUNT  # the engine is on this machine
    assert result.verified.entries == manifest["entry_count"]
    assert result.verified.content_bytes == manifest["content_bytes"]
    assert tree(docker_client, busybox_image, target) == small_tree
    # An engine elsewhere (no folders here) is checked through its archive endpoint.
    caps = probe.capabilities(docker_client)
    remote = probe.Capabilities(**{**caps.__dict__, "read_mount": False})
    monkeypatch.setattr(probe, "capabilities", lambda client, **kw: remote)
    copied = vol.copy_volume(docker_client, small_source, vols.name())
    assert copied.verified is not None and copied.verified.read == probe.READ_API
    assert copied.verified.entries == manifest["entry_count"]


def test_a_root_folder_owned_by_a_user_comes_back(
    docker_client: Any, busybox_image: str, vols: Volumes, tmp_path: Path
) -> None:
    """As when a volume was first mounted over a user's folder of an image."""
    owned = vols.create()
    run_script(docker_client, busybox_image, owned, "echo x > /v/f; chown -R 1000:1000 /v")
    backup = tmp_path / "owned.tar.zst"
    vol.backup(docker_client, owned, output=backup)
    for target in (vols.name(), vols.create()):  # a new volume, an empty one
        vol.restore(docker_client, backup, target=target)
        assert tree(docker_client, busybox_image, target) == tree(
            docker_client, busybox_image, owned
        )
    copied = vols.name()
    vol.copy_volume(docker_client, owned, copied)
    assert tree(docker_client, busybox_image, copied)[0][1:3] == ("1000", "1000")


def test_an_upload_that_drops_entries_removes_the_volume_it_created(
    docker_client: Any,
    small_backup: Path,
    vols: Volumes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    BadUploads(monkeypatch, drop=lambda path: path == "a/secret")
    target = vols.name()
    capsys.readouterr()
    assert main(["volumes", "restore", str(small_backup), "--to", target]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert (
        f"restored volume {target} differs from the backup: 19 entries, expected 20; "
        "first difference: a/secret is missing; "
        f"volume {target} was removed again (this restore created it)"
    ) in err
    assert not vol.volume_exists(docker_client, target)


def test_an_upload_that_writes_nothing_puts_back_the_safety_backup(
    docker_client: Any,
    busybox_image: str,
    small_backup: Path,
    vols: Volumes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Podman #21861: the engine answers 200 and the volume stays empty."""
    target = vols.create()
    run_script(docker_client, busybox_image, target, "echo mine > /v/mine; chown 7:8 /v/mine")
    before = tree(docker_client, busybox_image, target)
    uploads = BadUploads(monkeypatch, drop=everything, times=1)  # the safety one goes in
    capsys.readouterr()
    assert main(["volumes", "restore", str(small_backup), "--to", target, "--force"]) == 1
    err = capsys.readouterr().err
    assert f"restored volume {target} differs from the backup: 1 entries, expected 20" in err
    assert f"volume {target} holds its previous contents again (from the safety backup" in err
    assert uploads.calls == 2
    assert tree(docker_client, busybox_image, target) == before


def test_when_putting_back_fails_too_the_error_says_where_the_data_is(
    docker_client: Any,
    busybox_image: str,
    small_backup: Path,
    vols: Volumes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = vols.create()
    run_script(docker_client, busybox_image, target, "echo mine > /v/mine")
    BadUploads(monkeypatch, drop=everything)
    with pytest.raises(DevkitError) as caught:
        vol.restore(docker_client, small_backup, target=target, force=True)
    message = str(caught.value)
    assert "putting volume" in message and "back as it was failed too" in message
    safety = message.rsplit("its previous contents are in ", 1)[1]
    assert vol.archive.verify(Path(safety))["entry_count"] == 2  # the root and ./mine


def test_an_upload_that_flattens_owners_is_caught(
    docker_client: Any, small_backup: Path, vols: Volumes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What Podman's archive endpoint does when it reads, done by the upload instead."""
    BadUploads(monkeypatch, owners=(0, 0))
    target = vols.create()  # an existing empty volume: emptied again
    with pytest.raises(DevkitError) as caught:
        vol.restore(docker_client, small_backup, target=target)
    assert (
        f"restored volume {target} differs from the backup: "
        "a/b/secret-hardlink: owner 0:0, expected 1001:1002; "
    ) in str(caught.value)
    assert f"volume {target} was emptied again, as it was before" in str(caught.value)
    assert vol.is_empty(docker_client, target)


def test_a_copy_that_does_not_arrive_intact_is_undone(
    docker_client: Any,
    small_source: str,
    vols: Volumes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    BadUploads(monkeypatch, drop=lambda path: path.startswith("sp ace dir"))
    target = vols.name()
    capsys.readouterr()
    assert main(["volumes", "copy", small_source, target]) == 1
    err = capsys.readouterr().err
    assert f"copied volume {target} differs from volume {small_source}" in err
    assert "first difference: sp ace dir is missing" in err
    assert f"volume {target} was removed again (this copy created it)" in err
    assert not vol.volume_exists(docker_client, target)
    existing = vols.create()
    with pytest.raises(DevkitError, match="was emptied again"):
        vol.copy_volume(docker_client, small_source, existing)
    assert vol.is_empty(docker_client, existing)
