"""`devkit volumes` on Podman, through its Docker-compatible API (DEVKIT_PODMAN_HOST; the
contract is in podman_helpers.py): the same exact round trip as on Docker, or a refusal up
front in one line naming what the engine cannot do."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_LABELS

from devkit import volumes as vol
from devkit.errors import DevkitError
from devkit.labels import MANAGED_LABEL
from devkit.volumes import helper, mountpoint, probe

from .docker_helpers import EXTRA, POPULATE, Volumes, run_script, tree
from .engine_sim import BadUploads, everything
from .podman_helpers import BUSYBOX, Podman, podman_engine

pytestmark = [pytest.mark.podman, pytest.mark.usefixtures("label_everything")]

#: The issue's tree (owners, modes with setuid/setgid/sticky bits, mtimes, symlinks in and
#: out of the volume, hard links, odd names) but for the hard link to a symlink, which
#: Podman 4.3 writes wrong: that one is refused, see test_hard_linked_symlinks_….
HARD_LINKED_SYMLINK = "ln abs-link abs-link-hardlink"
TREE = "\n".join(line for line in POPULATE.splitlines() if HARD_LINKED_SYMLINK not in line)


@pytest.fixture(scope="module")
def podman() -> Iterator[Podman]:
    with podman_engine() as found:
        yield found


@pytest.fixture
def in_podman(podman: Podman, monkeypatch: pytest.MonkeyPatch) -> Podman:
    """In-process devkit calls go to Podman too."""
    monkeypatch.setenv("DOCKER_HOST", podman.host)
    return podman


@pytest.fixture
def pvols(podman: Podman) -> Iterator[Volumes]:
    v = Volumes(podman.client)
    yield v
    v.cleanup()


@pytest.fixture(scope="module")
def source(podman: Podman) -> Iterator[str]:
    """A Podman volume holding the issue's tree, with a few MB of data."""
    v = Volumes(podman.client)
    name = v.create(prefix="dkp-src")
    run_script(podman.client, BUSYBOX, name, TREE, {"BIG_MB": "2"})
    yield name
    v.cleanup()


@pytest.fixture(scope="module")
def source_tree(podman: Podman, source: str) -> list[tuple[str, ...]]:
    return tree(podman.client, BUSYBOX, source)


def devkit(
    podman: Podman, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``devkit ARGS`` against Podman, as a user runs it."""
    return subprocess.run(
        ["devkit", *args],
        env=podman.env(DEVKIT_EXTRA_LABELS=EXTRA),
        input=stdin,
        capture_output=True,
        check=False,
        timeout=600,
    )


def one_line_error(done: subprocess.CompletedProcess[bytes]) -> str:
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert err.count("\n") == 1 and err.startswith("devkit: error: "), err
    assert "Traceback" not in err
    return err


def test_the_probe_finds_podmans_ways(podman: Podman) -> None:
    done = devkit(podman, "volumes", "engine", "--reprobe", "--json")
    assert done.returncode == 0, done.stderr
    caps = json.loads(done.stdout)
    assert caps["engine"]["kind"] == "podman" and caps["engine"]["version"] == podman.version
    # Podman's archive endpoint reads every owner as root; an upload at / never lands.
    assert caps["read_api"] is False and "owner 0:0" in caps["notes"]["read_api"]
    assert caps["read_mount"] is True, caps["notes"]  # the service runs on this machine
    assert caps["put"] == "mount", caps["notes"]
    assert "put_root" in caps["notes"]
    text = devkit(podman, "volumes", "engine").stdout.decode()
    assert f"engine   Podman {podman.version}" in text
    assert "backup   exact, read from the volume's folder on this machine" in text


def test_the_helper_image_is_named_and_strays_are_removed(podman: Podman) -> None:
    """Podman 4.3 ignores the import's tag: devkit names it in ``repo``, and removes the
    ``devkit/volume-helper:latest`` images older devkits left there, one per command."""
    empty = io.BytesIO()
    with tarfile.open(fileobj=empty, mode="w"):
        pass
    old_label = f'LABEL {MANAGED_LABEL}="true" dev.devkit.purpose="volume-helper"'
    for _ in range(2):  # what devkit 0.1 left on Podman 4.3: the second untags the first
        podman.client.api.import_image_from_data(
            empty.getvalue(), repository="devkit/volume-helper", changes=[old_label]
        )
    done = devkit(podman, "volumes", "engine", "--reprobe")
    assert done.returncode == 0, done.stderr
    image = podman.client.images.get(helper.HELPER_IMAGE)
    assert image.labels[MANAGED_LABEL] == "true"
    assert image.labels["dev.devkit.purpose"] == "volume-helper"
    left = [
        i for i in podman.client.api.images(all=True, filters={"label": MANAGED_LABEL})
        if not any(t.endswith(helper.HELPER_IMAGE) for t in i.get("RepoTags") or [])
    ]  # fmt: skip
    assert left == []


def test_round_trip_is_exact(
    podman: Podman, source: str, source_tree: list[tuple[str, ...]], pvols: Volumes, tmp_path: Path
) -> None:
    """create, list, backup, verify, restore, copy, restore --force and rm, as on Docker."""
    made = pvols.name("dkp-made")
    assert devkit(podman, "volumes", "create", made, "--purpose", "pip-cache").returncode == 0
    listed = json.loads(devkit(podman, "volumes", "list", "--all", "--json").stdout)
    assert {made, source} <= {v["name"] for v in listed}
    # Every label filter must hold (Podman 4.3 answers volumes matching any one of them).
    other = pvols.name("dkp-other")
    assert devkit(podman, "volumes", "create", other, "--purpose", "npm-cache").returncode == 0
    done = devkit(podman, "volumes", "list", "--purpose", "pip-cache", "--json")
    assert done.returncode == 0, done.stderr
    by_purpose = json.loads(done.stdout)
    assert made in {v["name"] for v in by_purpose}
    assert {v["purpose"] for v in by_purpose} == {"pip-cache"}
    backup = tmp_path / "src.tar.zst"
    done = devkit(podman, "volumes", "backup", source, "-o", str(backup), "--json")
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)[0]["manifest"]
    extension = vol.archive.read_extension(backup, manifest)
    assert extension is not None
    assert extension["source"] == {
        "engine": "podman",
        "engine_version": podman.version,
        "read": "mount",
    }
    assert devkit(podman, "volumes", "verify", str(backup)).returncode == 0
    # Owners are in the backup as they are in the volume (Podman's API would say 0:0).
    members: list[vol.archive.Member] = []
    for _ in vol.archive.iter_tar(backup, manifest, on_member=members.append):
        pass
    owners = {m.name: (m.uid, m.gid) for m in members}
    assert owners["./a/b/secret-hardlink"] == (1001, 1002)
    assert owners["./rel-link"] == (3000, 3001)

    restored = pvols.name("dkp-restored")
    done = devkit(podman, "volumes", "restore", str(backup), "--to", restored, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verified"]["entries"] == manifest["entry_count"]
    assert result["verified"]["read"] == "mount"
    assert tree(podman.client, BUSYBOX, restored) == source_tree

    copied = pvols.name("dkp-copied")
    done = devkit(podman, "volumes", "copy", source, copied, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verified"]["entries"] == manifest["entry_count"]
    assert tree(podman.client, BUSYBOX, copied) == source_tree

    # Into a volume that holds data: refused without --force, replaced with it.
    assert devkit(podman, "volumes", "restore", str(backup), "--to", made).returncode == 0
    run_script(podman.client, BUSYBOX, made, "echo new > /v/new-file")
    assert "not empty" in one_line_error(
        devkit(podman, "volumes", "restore", str(backup), "--to", made)
    )
    done = devkit(podman, "volumes", "restore", str(backup), "--to", made, "--force")
    assert done.returncode == 0, done.stderr
    assert tree(podman.client, BUSYBOX, made) == source_tree
    assert "safety backup of the current contents written to" in done.stderr.decode()

    # Through a pipe, as over ssh.
    piped = devkit(podman, "volumes", "backup", source, "-o", "-")
    assert piped.returncode == 0, piped.stderr
    again = pvols.name("dkp-piped")
    done = devkit(podman, "volumes", "restore", "-", "--to", again, stdin=piped.stdout)
    assert done.returncode == 0, done.stderr
    assert tree(podman.client, BUSYBOX, again) == source_tree

    done = devkit(podman, "volumes", "rm", restored, copied, again, "--yes")
    assert done.returncode == 0, done.stderr
    assert not any(vol.volume_exists(podman.client, n) for n in (restored, copied, again))


def test_hard_linked_symlinks_are_refused_up_front(
    in_podman: Podman, pvols: Volumes, tmp_path: Path
) -> None:
    """Podman 4.3 links a hard link to a symlink to the symlink's target and chmods that
    file to 0777; where the probe sees it, restore and copy refuse before writing."""
    caps = probe.capabilities(in_podman.client)
    if caps.hardlinked_symlinks:
        pytest.skip(f"Podman {in_podman.version} writes hard-linked symlinks exactly")
    linked = pvols.create(prefix="dkp-hls")
    run_script(in_podman.client, BUSYBOX, linked, POPULATE, {"BIG_MB": "0"})
    backup = tmp_path / "hls.tar.zst"
    assert devkit(in_podman, "volumes", "backup", linked, "-o", str(backup)).returncode == 0
    target = pvols.name("dkp-hls-to")
    err = one_line_error(devkit(in_podman, "volumes", "restore", str(backup), "--to", target))
    assert "holds a hard link to a symlink (abs-link-hardlink)" in err
    assert (
        f"Podman {in_podman.version} does not write exactly" in err and "nothing was written" in err
    )
    assert not vol.volume_exists(in_podman.client, target)
    err = one_line_error(devkit(in_podman, "volumes", "copy", linked, target))
    assert "hard link to a symlink (abs-link-hardlink)" in err
    assert not vol.volume_exists(in_podman.client, target)


def test_a_root_folder_owned_by_a_user_comes_back_or_is_refused(
    in_podman: Podman, pvols: Volumes, tmp_path: Path
) -> None:
    """A volume whose root a user owns (as when it was first mounted over a user's folder
    in an image): Podman 4.3 and 5.4 restore that owner; an engine where the probe sees it
    lost (the volume's root given to its first user after devkit wrote it, as Podman 5.4 did
    before devkit settled that first) gets restore and copy refused up front."""
    owned = pvols.create(prefix="dkp-owned")
    run_script(in_podman.client, BUSYBOX, owned, "echo x > /v/f; chown -R 1000:1000 /v")
    backup = tmp_path / "owned.tar.zst"
    vol.backup(in_podman.client, owned, output=backup)
    target = pvols.name("dkp-owned-to")
    caps = probe.capabilities(in_podman.client)
    if caps.root_owner:
        vol.restore(in_podman.client, backup, target=target)
        assert tree(in_podman.client, BUSYBOX, target) == tree(in_podman.client, BUSYBOX, owned)
        return
    err = one_line_error(devkit(in_podman, "volumes", "restore", str(backup), "--to", target))
    assert "its root folder must be owned by 1000:1000" in err
    assert f"Podman {in_podman.version} does not give a volume's root folder the owner" in err
    assert not vol.volume_exists(in_podman.client, target)
    err = one_line_error(devkit(in_podman, "volumes", "copy", owned, target))
    assert "its root folder must be owned by 1000:1000" in err
    assert not vol.volume_exists(in_podman.client, target)


def test_a_restored_volume_is_not_changed_by_its_first_user(
    in_podman: Podman, pvols: Volumes, tmp_path: Path
) -> None:
    """Podman gives an unused volume's root folder to the first container that starts on it
    (its owner, then the owner and mode of the folder it is mounted over). devkit has that
    happen before it writes, so a restored volume — even an empty one, which Podman 5.4
    would still give away — keeps its root as the backup says when a user first mounts it."""
    owned = pvols.create(prefix="dkp-empty")
    # (Read from the backup, not by another container: on Podman 5.4 each container that
    # starts on a volume that is still empty gives it its root again.)
    run_script(in_podman.client, BUSYBOX, owned, "chown 1000:1001 /v; chmod 0700 /v")
    backup = tmp_path / "empty.tar.zst"
    manifest = vol.backup(in_podman.client, owned, output=backup).manifest
    members: list[vol.archive.Member] = []
    for _ in vol.archive.iter_tar(backup, manifest, on_member=members.append):
        pass
    assert [(m.name, m.uid, m.gid, m.mode & 0o7777) for m in members] == [("./", 1000, 1001, 0o700)]
    caps = probe.capabilities(in_podman.client)
    target = pvols.name("dkp-empty-to")
    if not caps.root_owner:
        with pytest.raises(DevkitError, match="its root folder must be owned by 1000:1001"):
            vol.restore(in_podman.client, backup, target=target)
        assert not vol.volume_exists(in_podman.client, target)
        return
    vol.restore(in_podman.client, backup, target=target)
    # The first user, mounted over a folder its image has (/tmp: 0:0, 0755).
    in_podman.client.containers.run(
        BUSYBOX,
        ["/bin/sh", "-c", ":"],
        volumes={target: {"bind": "/tmp", "mode": "rw"}},
        labels=TEST_LABELS,
        network_disabled=True,
        remove=True,
    )
    root = tree(in_podman.client, BUSYBOX, target)
    assert [row[:4] for row in root] == [(".", "1000", "1001", "41c0")]  # 040700


def test_a_volume_podman_cannot_show_exactly_is_not_backed_up(
    in_podman: Podman, pvols: Volumes, tmp_path: Path
) -> None:
    """A volume with driver options (bound to a folder) is only there while mounted, so
    devkit cannot read its folder; Podman's archive endpoint reads its owners as 0:0. The
    backup is refused, in one line, before a byte is written (also to a pipe)."""
    folder = tmp_path / "bound"
    folder.mkdir()
    name = pvols.name("dkp-bound")
    in_podman.client.volumes.create(
        name,
        driver_opts={"type": "none", "o": "bind", "device": str(folder)},
        labels=TEST_LABELS,
    )
    run_script(in_podman.client, BUSYBOX, name, "echo s > /v/f; chown 1000:1000 /v/f")
    done = devkit(in_podman, "volumes", "backup", name, "-o", "-")
    err = one_line_error(done)
    assert done.stdout == b""
    assert (
        f"cannot back up volume {name} exactly: Podman {in_podman.version}'s archive endpoint"
        in err
    )
    assert "owner 0:0" in err and f"volume {name} cannot be read from its folder" in err
    out = tmp_path / "out"
    out.mkdir()
    one_line_error(devkit(in_podman, "volumes", "backup", name, "-o", str(out)))
    assert list(out.iterdir()) == []


def test_a_podman_elsewhere_refuses_what_it_cannot_check(
    in_podman: Podman, source: str, pvols: Volumes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Podman on another machine (podman machine, ssh): its volumes' folders are not here,
    and its API reads owners as root, so nothing can be read or checked exactly."""
    backup = tmp_path / "b.tar.zst"
    vol.backup(in_podman.client, source, output=backup)  # made while it is still local
    monkeypatch.setattr(mountpoint, "usable_root", lambda attrs: None)
    probe.forget()
    caps = probe.capabilities(in_podman.client, reprobe=True)
    try:
        assert (caps.put, caps.read_api, caps.read_mount) == (None, False, False), caps.notes
        with pytest.raises(DevkitError, match=f"cannot back up volume {source} exactly"):
            vol.backup(in_podman.client, source, output=tmp_path / "x.tar.zst")
        assert not (tmp_path / "x.tar.zst").exists()
        target = pvols.name("dkp-remote")
        with pytest.raises(DevkitError, match="could not see them arrive intact"):
            vol.restore(in_podman.client, backup, target=target)
        assert not vol.volume_exists(in_podman.client, target)
        with pytest.raises(DevkitError, match="exactly"):
            vol.copy_volume(in_podman.client, source, target)
        assert not vol.volume_exists(in_podman.client, target)
    finally:
        probe.forget()
        monkeypatch.undo()
        probe.capabilities(in_podman.client, reprobe=True)  # the cache file: local again


def test_an_upload_that_drops_entries_is_caught_on_podman(
    in_podman: Podman,
    source: str,
    source_tree: list[tuple[str, ...]],
    pvols: Volumes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What Podman does with an upload at / (#21861), made to happen at the mount point."""
    backup = tmp_path / "b.tar.zst"
    vol.backup(in_podman.client, source, output=backup)
    target = pvols.create(prefix="dkp-drop")
    run_script(in_podman.client, BUSYBOX, target, "echo mine > /v/mine")
    before = tree(in_podman.client, BUSYBOX, target)
    BadUploads(monkeypatch, drop=everything, times=1)
    with pytest.raises(DevkitError) as caught:
        vol.restore(in_podman.client, backup, target=target, force=True)
    message = str(caught.value)
    assert f"restored volume {target} differs from the backup: 1 entries, expected" in message
    assert "holds its previous contents again" in message
    assert tree(in_podman.client, BUSYBOX, target) == before
    fresh = pvols.name("dkp-drop-new")
    BadUploads(monkeypatch, drop=lambda path: path == "a/secret")
    with pytest.raises(DevkitError, match="first difference: a/secret is missing"):
        vol.copy_volume(in_podman.client, source, fresh)
    assert not vol.volume_exists(in_podman.client, fresh)
    assert tree(in_podman.client, BUSYBOX, source) == source_tree  # never touched
