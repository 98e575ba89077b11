"""The engine capability probe without an engine: what its answers decide, and its cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devkit.engine import EngineInfo
from devkit.errors import DevkitError
from devkit.volumes import probe

DOCKER = EngineInfo("docker", "26.1.5", "1.45", "unix:///var/run/docker.sock")
PODMAN = EngineInfo("podman", "4.3.1", "1.41", "unix:///run/podman/podman.sock")


def caps(engine: EngineInfo = PODMAN, **kw: Any) -> probe.Capabilities:
    fields: dict[str, Any] = {"put": "mount", "read_api": False, "read_mount": True}
    fields.update(kw)
    return probe.Capabilities(engine=engine, **fields)


def plain(tmp_path: Path, **kw: Any) -> dict[str, Any]:
    return {"Name": "v", "Driver": "local", "Mountpoint": str(tmp_path), "Options": None, **kw}


def test_docker_reads_through_the_api_and_checks_from_the_folder(tmp_path: Path) -> None:
    docker = caps(DOCKER, put="root", read_api=True, read_mount=True)
    assert docker.reader(plain(tmp_path)) == probe.READ_API
    assert docker.checker(plain(tmp_path)) == probe.READ_MOUNT  # nothing streamed back
    # A bind-backed volume's folder is empty until mounted: checked through the API.
    bound = plain(tmp_path, Options={"o": "bind", "device": "/srv/x"})
    assert docker.checker(bound) == probe.READ_API
    remote = caps(DOCKER, put="root", read_api=True, read_mount=False)
    assert remote.checker(plain(tmp_path)) == probe.READ_API
    assert remote.require_writer("v", plain(tmp_path), "restore into") == "root"


def test_local_podman_reads_and_checks_from_the_folder(tmp_path: Path) -> None:
    podman = caps()
    assert podman.reader(plain(tmp_path)) == probe.READ_MOUNT
    assert podman.require_reader("v", plain(tmp_path), "back up") == probe.READ_MOUNT
    assert podman.require_writer("v", plain(tmp_path), "restore into") == "mount"
    assert podman.require_writer("new", None, "restore into") == "mount"


def test_what_cannot_be_read_exactly_is_refused_in_one_line(tmp_path: Path) -> None:
    remote = caps(
        read_mount=False,
        put=None,
        notes={
            "read_api": "abs: owner 0:0, expected 4242:4243",
            "read_mount": "its folder /var/lib/containers/… is not readable on this machine",
        },
    )
    with pytest.raises(DevkitError) as caught:
        remote.require_reader("v", plain(tmp_path), "back up")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot back up volume v exactly: Podman 4.3.1's archive endpoint")
    assert "owner 0:0, expected 4242:4243" in message and "nothing was written" in message
    with pytest.raises(DevkitError, match="could not see them arrive intact"):
        remote.require_writer("v", None, "restore into")
    # Local Podman, but a volume with driver options: its folder is not the data.
    bound = plain(tmp_path, Options={"type": "nfs"})
    with pytest.raises(DevkitError, match="volume v cannot be read from its folder"):
        caps().require_reader("v", bound, "back up")
    with pytest.raises(DevkitError, match="the result could not be checked"):
        caps().require_writer("v", bound, "restore into")


class _FakeClient:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.devkit_host = PODMAN.host

    def version(self) -> dict[str, Any]:
        return self.answer


def test_the_probe_runs_once_per_engine_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVKIT_DATA_DIR", str(tmp_path))
    probed: list[EngineInfo] = []

    def fake_probe(client: Any, info: EngineInfo) -> probe.Capabilities:
        probed.append(info)
        return caps(info, seconds=1.5, notes={"read_api": "x"})

    monkeypatch.setattr(probe, "probe", fake_probe)
    probe.forget()
    client = _FakeClient(
        {
            "Version": "4.3.1",
            "ApiVersion": "1.41",
            "Components": [{"Name": "Podman Engine", "Version": "4.3.1"}],
        }
    )
    first = probe.capabilities(client)
    assert not first.cached and len(probed) == 1 and probed[0].kind == "podman"
    probe.forget()  # a new devkit process: the answer comes from the file
    again = probe.capabilities(client)
    assert again.cached and again.put == first.put and again.notes == first.notes
    assert len(probed) == 1
    assert probe.capabilities(client, reprobe=True).cached is False
    assert len(probed) == 2
    # A new engine version at the same place is probed again.
    probe.forget()
    client.answer = {**client.answer, "Components": [{"Name": "Podman Engine", "Version": "5.4.2"}]}
    assert probe.capabilities(client).engine.version == "5.4.2" and len(probed) == 3
    saved = json.loads(probe.cache_path().read_text())
    assert len(saved["engines"]) == 2 and saved["probe_version"] == probe.PROBE_VERSION


@pytest.mark.parametrize("content", ["not json", '{"probe_version": 1, "engines": {"k": 1}}', "[]"])
def test_a_damaged_cache_means_probing_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    monkeypatch.setenv("DEVKIT_DATA_DIR", str(tmp_path))
    probe.cache_path().write_text(content)
    monkeypatch.setattr(probe, "probe", lambda client, info: caps(info))
    probe.forget()
    client = _FakeClient({"Version": "26.1.5", "ApiVersion": "1.45"})
    assert probe.capabilities(client).engine.kind == "docker"
    broken = {probe._key(DOCKER): {"engine": DOCKER.to_dict(), "put": "sideways"}}
    probe.cache_path().write_text(json.dumps({"probe_version": 1, "engines": broken}))
    probe.forget()
    assert not probe.capabilities(client).cached


def test_the_probe_tree_has_what_engines_get_wrong() -> None:
    entries = {e.path: e for e in probe.expected_entries()}
    assert entries["."].uid != entries["d"].uid  # the root's owner is checked
    assert entries["up"].link == "../../../outside"  # Docker refuses it at the mount point
    assert entries["d/h"].kind == "hard link"
    assert entries["d/x"].mode == 0o4755 and entries["t"].mode == 0o1777
    assert {e.uid for e in entries.values()} != {0}


def test_an_engine_that_cannot_make_a_helper_container_is_an_error_never_cached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The containerd store on overlayfs cannot mount a snapshot for any container: the probe
    must say that, not record "uploads arrive wrong" (which was cached, and refused every
    later backup for the wrong reason)."""
    import docker.errors

    from devkit.volumes import helper

    made: list[str] = []
    removed: list[str] = []

    class _Api:
        def remove_volume(self, name: str) -> None:
            removed.append(name)

        def remove_container(self, name: str, **_: Any) -> None:
            pass

    class _Containers:
        def create(self, *_: Any, **__: Any) -> None:
            raise docker.errors.APIError(
                "500 Server Error",
                explanation="failed to mount /tmp/containerd-mount123: invalid argument",
            )

    class _Client:
        api = _Api()
        containers = _Containers()

    monkeypatch.setenv("DEVKIT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(probe.engine, "identify", lambda client: DOCKER)
    monkeypatch.setattr(helper, "ensure_helper_image", lambda client: "devkit/volume-helper:1")
    monkeypatch.setattr(helper, "remove_stray_helper_images", lambda client: [])
    monkeypatch.setattr(helper, "create", lambda client, name, *a, **k: made.append(name))
    probe.forget()
    with pytest.raises(DevkitError, match=r"creating a helper container .*containerd-mount123"):
        probe.capabilities(_Client())
    assert made and removed == made  # the scratch volume is gone again
    assert not probe.cache_path().exists()  # nothing remembered
