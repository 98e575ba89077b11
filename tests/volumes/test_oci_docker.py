"""`devkit volumes push|pull` and `create --seed-from` against the real engine and the test
registry (.ci/registry.sh): round trip, checks on pull, refusals, an interrupted push."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import docker.errors
import pytest
from conftest import TEST_SESSION

from devkit import volumes as vol
from devkit.cli import main
from devkit.errors import DevkitError
from devkit.labels import MANAGED_LABEL, PURPOSE_LABEL, VOLUME_BACKUP_LABEL
from devkit.volumes import oci

from .docker_helpers import EXTRA, Volumes, run_script, tree, unique

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


@pytest.fixture
def ref(registry_addr: str, request: pytest.FixtureRequest) -> str:
    """A tag of this test's own in the test registry."""
    name = request.node.name.lower().replace("_", "-").replace("[", "-").strip("]")[:50]
    return f"{registry_addr}/devkit-test/{TEST_SESSION}/volumes:{name}"


def _local_images(client: Any, ref: str) -> list[Any]:
    return client.images.list(name=ref.rsplit(":", 1)[0])


def _spooled() -> list[Path]:
    root = vol.backups_dir()
    return [p for d in (".incoming", ".outgoing") for p in (root / d).glob("*")]


def test_push_then_pull_round_trip(
    docker_client: Any,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
    ref: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["volumes", "push", small_source, ref, "--json"]) == 0
    pushed = json.loads(capsys.readouterr().out)
    assert pushed["ref"] == ref and pushed["digest"].startswith("sha256:")
    assert pushed["manifest"]["volume"]["name"] == small_source
    # The registry holds what was pushed; the engine keeps nothing, the disk no spool file.
    held = docker_client.api.inspect_distribution(ref)["Descriptor"]["digest"]
    assert held == pushed["digest"]
    assert _local_images(docker_client, ref) == [] and _spooled() == []

    target = vols.name("dkt-pulled")
    assert main(["volumes", "pull", ref, target, "--json"]) == 0
    pulled = json.loads(capsys.readouterr().out)
    assert pulled["volume"] == target and pulled["created"] is True
    assert pulled["digest"] == pushed["digest"]
    assert tree(docker_client, "busybox:latest", target) == small_tree
    labels = docker_client.volumes.get(target).attrs["Labels"]
    assert labels[PURPOSE_LABEL] == "pip-cache" and labels[MANAGED_LABEL] == "true"
    assert _local_images(docker_client, ref) == [] and _spooled() == []


def test_pull_refuses_a_non_empty_volume_unless_forced(
    docker_client: Any, small_source: str, vols: Volumes, ref: str, busybox_image: str
) -> None:
    oci.push(docker_client, small_source, ref)
    target = vols.create(prefix="dkt-full")
    run_script(docker_client, busybox_image, target, "echo mine > /v/mine")
    before = tree(docker_client, busybox_image, target)
    proc = subprocess.run(
        [sys.executable, "-m", "devkit", "volumes", "pull", ref, target],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA},
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert f"volume {target} is not empty" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert tree(docker_client, busybox_image, target) == before
    assert _local_images(docker_client, ref) == []  # refused before anything was pulled

    result = oci.pull(docker_client, ref, target=target, force=True)
    assert result.restored.safety_backup is not None and result.restored.safety_backup.exists()
    after = {row[0] for row in tree(docker_client, busybox_image, target)}
    assert "./mine" not in after and "./a/b/c/deep.txt" in after


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("absent", "the registry has no "),
        ("unreachable", "cannot reach the registry 127.0.0.1:1"),
    ],
)
def test_pull_of_what_is_not_there_is_one_line_and_creates_nothing(
    docker_client: Any,
    vols: Volumes,
    ref: str,
    where: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = vols.name("dkt-never")
    wanted = ref if where == "absent" else "127.0.0.1:1/devkit-test/nothing:here"
    assert main(["volumes", "pull", wanted, target]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not vol.volume_exists(docker_client, target)
    assert _spooled() == []


def test_push_to_an_unreachable_registry_leaves_nothing(
    docker_client: Any, small_source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wanted = f"127.0.0.1:1/devkit-test/{TEST_SESSION}/nothing:here"
    assert main(["volumes", "push", small_source, wanted]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the registry 127.0.0.1:1" in err and len(err.strip().splitlines()) == 1
    assert _local_images(docker_client, wanted) == [] and _spooled() == []


def _push_raw(client: Any, ref: str, content: bytes, label: dict[str, Any]) -> None:
    """An image shaped like a pushed backup, with ``content`` as its file (a tampered one)."""
    import io
    import tarfile

    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo(oci.FILE)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    repository, tag = ref.rsplit(":", 1)
    client.api.import_image_from_data(
        data.getvalue(),
        repository=repository,
        tag=tag,
        changes=[
            f"LABEL {VOLUME_BACKUP_LABEL}={json.dumps(json.dumps(label))}",
            f"LABEL dev.devkit.test={TEST_SESSION}",
            'CMD ["/x"]',
        ],
    )
    try:
        for line in client.api.push(repository, tag=tag, stream=True, decode=True):
            assert "error" not in line, line
    finally:
        client.api.remove_image(ref)


@pytest.mark.parametrize("tamper", ["label-mismatch", "not-an-archive"])
def test_a_tampered_backup_is_refused_before_any_volume_is_made(
    docker_client: Any, vols: Volumes, ref: str, tamper: str
) -> None:
    import hashlib

    content = b"this is not a devkit backup\n" * 100
    digest = hashlib.sha256(content).hexdigest()
    label = {"volume": "dkt-x", "bytes": len(content), "sha256": digest}
    if tamper == "label-mismatch":
        label["sha256"] = "0" * 64
    _push_raw(docker_client, ref, content, label)
    target = vols.name("dkt-tampered")
    with pytest.raises(DevkitError) as info:
        oci.pull(docker_client, ref, target=target)
    if tamper == "label-mismatch":
        assert "not the one its label describes" in str(info.value)
    assert not vol.volume_exists(docker_client, target)
    assert _local_images(docker_client, ref) == [] and _spooled() == []


def test_an_interrupted_push_is_never_reported_and_the_next_one_completes(
    docker_client: Any, small_source: str, ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C once the engine has started pushing: no tag in the registry, nothing left
    behind; the next push redoes it and the registry then holds it whole."""
    real_push = docker_client.api.push

    def cut_off(*args: Any, **kwargs: Any) -> Any:
        for _ in real_push(*args, **kwargs):
            raise KeyboardInterrupt  # at the engine's first progress line
        raise AssertionError("the push said nothing")

    monkeypatch.setattr(docker_client.api, "push", cut_off)
    with pytest.raises(KeyboardInterrupt):
        oci.push(docker_client, small_source, ref)
    monkeypatch.undo()
    assert _local_images(docker_client, ref) == [] and _spooled() == []
    try:
        held = docker_client.api.inspect_distribution(ref)["Descriptor"]["digest"]
    except docker.errors.APIError:
        held = None  # the engine cancelled the push with the request: no tag at all
    result = oci.push(docker_client, small_source, ref)
    assert docker_client.api.inspect_distribution(ref)["Descriptor"]["digest"] == result.digest
    # Whatever the first attempt left, the tag now names one complete backup.
    if held is not None:
        assert held == result.digest
    with oci.fetch(docker_client, ref) as pulled:
        assert vol.archive.verify(pulled.path)["volume"]["name"] == small_source


def _project(tmp_path: Path, project: str) -> list[str]:
    (tmp_path / ".devcontainer").mkdir()
    purposes = ("pip-cache", "shell-history")
    compose = "volumes:\n" + "".join(
        f"  {purpose}:\n    name: {project}-{purpose}\n    labels:\n"
        f"      dev.devkit.project: {project}\n      dev.devkit.purpose: {purpose}\n"
        for purpose in purposes
    )
    (tmp_path / ".devcontainer" / "compose.yaml").write_text(
        "services:\n  dev:\n    image: x\n" + compose, encoding="utf-8"
    )
    return [f"{project}-{p}" for p in purposes]


def _create(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "devkit", "volumes", "create", "--project", ".", *extra]
    env = {**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA}
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_seed_from_fills_the_empty_cache_volume_only(
    docker_client: Any,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
    ref: str,
    tmp_path: Path,
    busybox_image: str,
) -> None:
    oci.push(docker_client, small_source, ref)  # a pip-cache volume's backup
    names = _project(tmp_path, unique("dkseed"))
    vols.names.extend(names)
    done = _create(tmp_path, "--seed-from", ref)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"seeded {names[0]} from {ref}\n"
    assert tree(docker_client, busybox_image, names[0]) == small_tree
    assert vol.is_empty(docker_client, names[1])  # shell history is nobody else's
    # Every later start: the cache is not empty, so nothing is pulled or said, even when
    # the registry is gone.
    again = _create(tmp_path, "--seed-from", "127.0.0.1:1/devkit-test/nothing:here")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert _local_images(docker_client, ref) == [] and _spooled() == []


@pytest.mark.parametrize("where", ["absent", "unreachable"])
def test_seed_from_an_unavailable_ref_says_one_line_and_goes_on(
    docker_client: Any, vols: Volumes, ref: str, tmp_path: Path, where: str
) -> None:
    names = _project(tmp_path, unique("dkseed"))
    vols.names.extend(names)
    wanted = ref if where == "absent" else "127.0.0.1:1/devkit-test/nothing:here"
    done = _create(tmp_path, "--seed-from", wanted)
    assert done.returncode == 0 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"could not seed from {wanted}" in lines[0], done.stderr
    assert all(vol.volume_exists(docker_client, n) for n in names)
    assert all(vol.is_empty(docker_client, n) for n in names)
