"""`devkit volumes` against the real engine: round trips, corruption, safety rules, CLI.

The source trees are made by a busybox container (a different tool than the one under
test), and trees are compared by listing them with busybox ``stat``/``sha256sum``/``readlink``.
Everything created carries this session's ``dev.devkit.test`` label and is removed by the tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest
from conftest import TEST_LABEL_ARG, TEST_LABELS

from devkit import archive
from devkit import volumes as vol
from devkit.cli import main
from devkit.labels import MANAGED_LABEL, PROJECT_LABEL, PURPOSE_LABEL

pytestmark = pytest.mark.docker

EXTRA = TEST_LABEL_ARG

POPULATE = r"""
set -e
cd /v
mkdir -p a/b/c empty-dir "sp ace dir/inner"
echo hello > a/b/c/deep.txt
printf 'secret' > a/secret; chown 1001:1002 a/secret; chmod 0600 a/secret
printf '#!/bin/sh\necho hi\n' > a/run.sh; chown 2000:2001 a/run.sh; chmod 0755 a/run.sh
mkdir shared; touch shared/f; chown -R 1500:1600 shared; chmod 2775 shared
chmod 1777 "sp ace dir"
: > zero-byte
printf 'x' > "name with spaces é ü 日本.txt"
ln -s a/b/c/deep.txt rel-link
ln -s /etc/passwd abs-link
ln abs-link abs-link-hardlink  # a hard-linked symlink (busybox ln does not follow)
ln -s ../../../outside dangling-link
chown -h 3000:3001 rel-link
ln a/b/c/deep.txt hard-link
ln a/secret a/b/secret-hardlink
if [ "$BIG_MB" -gt 0 ]; then
  half=$((BIG_MB / 2))
  dd if=/dev/urandom of=big-random bs=1M count=$half 2>/dev/null
  yes "some compressible text line for the cache volume" | head -c $((half * 1048576)) > big-text
  mkdir many
  i=0; while [ $i -lt 300 ]; do echo "small file $i" > many/f$i; i=$((i + 1)); done
fi
touch -d "2001-02-03 04:05:06" a/secret a/b/c empty-dir
touch -d "2011-12-13 14:15:16" a/b a
"""

LIST = r"""
cd /v && find . | sort | while IFS= read -r p; do
  meta=$(stat -c '%u|%g|%f|%Y|%h' "$p")
  if [ -L "$p" ]; then extra="link:$(readlink "$p")"
  elif [ -f "$p" ]; then extra="$(sha256sum "$p" | cut -d' ' -f1)|ino:$(stat -c %i "$p")"
  else extra=""
  fi
  printf '%s|%s|%s\n' "$p" "$meta" "$extra"
done
"""


@pytest.fixture(autouse=True)
def _label_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVKIT_EXTRA_LABELS", EXTRA)


def _unique(prefix: str = "dkt") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Volumes:
    """Creates test volumes and removes every volume it was told about."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.names: list[str] = []

    def name(self, prefix: str = "dkt") -> str:
        n = _unique(prefix)
        self.names.append(n)
        return n

    def create(self, labels: dict[str, str] | None = None, prefix: str = "dkt") -> str:
        n = self.name(prefix)
        self.client.volumes.create(
            n, labels={**TEST_LABELS, MANAGED_LABEL: "true", **(labels or {})}
        )
        return n

    def cleanup(self) -> None:
        import docker.errors

        for n in self.names:
            for c in self.client.containers.list(all=True, filters={"volume": n}):
                c.remove(force=True)
            with contextlib.suppress(docker.errors.NotFound):
                self.client.volumes.get(n).remove(force=True)


@pytest.fixture
def vols(docker_client: Any) -> Iterator[Volumes]:
    v = Volumes(docker_client)
    yield v
    v.cleanup()


def _run(
    client: Any, image: str, volume: str, script: str, env: dict[str, str] | None = None
) -> str:
    container = client.containers.create(
        image,
        ["sh", "-c", script],
        volumes={volume: {"bind": "/v", "mode": "rw"}},
        labels=TEST_LABELS,
        environment=env or {},
        network_disabled=True,
    )
    try:
        container.start()
        result = container.wait(timeout=600)
        logs = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        assert result["StatusCode"] == 0, logs
        return logs
    finally:
        container.remove(force=True)


def tree(client: Any, image: str, volume: str) -> list[tuple[str, ...]]:
    """Every path with uid, gid, raw mode, mtime, link count, content hash / link target.

    Inode numbers are replaced by the first path that has them, so hard links compare
    across volumes.
    """
    out = _run(client, image, volume, LIST)
    rows = []
    first_path: dict[str, str] = {}
    for line in out.splitlines():
        parts = line.split("|")
        if parts[-1].startswith("ino:"):
            parts[-1] = "same-as:" + first_path.setdefault(parts[-1], parts[0])
        rows.append(tuple(parts))
    return rows


@pytest.fixture(scope="module")
def small_source(docker_client: Any, busybox_image: str) -> Iterator[str]:
    """A volume with every kind of entry the issue lists (no big files)."""
    name = _unique("dkt-src")
    docker_client.volumes.create(
        name,
        labels={
            **TEST_LABELS,
            MANAGED_LABEL: "true",
            PROJECT_LABEL: "dkt",
            PURPOSE_LABEL: "pip-cache",
        },
    )
    try:
        _run(docker_client, busybox_image, name, POPULATE, {"BIG_MB": "0"})
        yield name
    finally:
        # (another test session's end-of-session sweep may have removed it already)
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.volumes.get(name).remove(force=True)


@pytest.fixture(scope="module")
def small_tree(docker_client: Any, busybox_image: str, small_source: str) -> list[tuple[str, ...]]:
    return tree(docker_client, busybox_image, small_source)


def test_source_tree_has_what_the_issue_lists(small_tree: list[tuple[str, ...]]) -> None:
    rows = {r[0]: r for r in small_tree}
    assert rows["./a/secret"][3] == "8180"  # regular file 0600
    assert rows["./a/run.sh"][3] == "81ed"  # 0755
    assert rows["./shared"][3] == "45fd"  # directory 2775 (setgid)
    assert rows["./rel-link"][-1] == "link:a/b/c/deep.txt"
    assert rows["./hard-link"][-1] == "same-as:./a/b/c/deep.txt"
    assert rows["./abs-link-hardlink"][-1] == "link:/etc/passwd"
    assert rows["./abs-link-hardlink"][5] == "2"  # link count: a hard-linked symlink
    assert "./name with spaces é ü 日本.txt" in rows


@pytest.mark.parametrize("compression", ["zstd", "gzip"])
def test_round_trip_keeps_everything(
    docker_client: Any,
    busybox_image: str,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
    tmp_path: Path,
    compression: str,
) -> None:
    out = tmp_path / f"b{archive.EXTENSIONS[compression]}"
    assert (
        main(["volumes", "backup", small_source, "-o", str(out), "--compression", compression]) == 0
    )
    assert main(["volumes", "verify", str(out)]) == 0
    target = vols.name()
    assert main(["volumes", "restore", str(out), "--to", target]) == 0
    assert tree(docker_client, busybox_image, target) == small_tree
    labels = docker_client.volumes.get(target).attrs["Labels"]
    assert labels[PROJECT_LABEL] == "dkt" and labels[PURPOSE_LABEL] == "pip-cache"


@pytest.mark.slow
def test_round_trip_of_a_few_hundred_mb(
    docker_client: Any, busybox_image: str, vols: Volumes, tmp_path: Path
) -> None:
    source = vols.create()
    _run(docker_client, busybox_image, source, POPULATE, {"BIG_MB": "200"})
    before = tree(docker_client, busybox_image, source)
    result = vol.backup(docker_client, source, output=tmp_path)
    assert result.path is not None and result.path.parent == tmp_path
    assert result.manifest["content_bytes"] > 200 * 1024 * 1024
    # compressible half compresses, random half does not
    assert result.manifest["compressed_bytes"] < 0.7 * result.manifest["uncompressed_bytes"]
    target = vols.name()
    vol.restore(docker_client, result.path, target=target)
    assert tree(docker_client, busybox_image, target) == before

    # Interrupted mid-stream: no file left, and the engine lets go of the helper container
    # (it keeps a container locked while an archive stream is open).
    seen = [0]

    def interrupt(n: int) -> None:
        seen[0] += n
        if seen[0] > 20 * 1024 * 1024:
            raise KeyboardInterrupt

    partial_dir = tmp_path / "interrupted"
    partial_dir.mkdir()
    with pytest.raises(KeyboardInterrupt):
        vol.backup(docker_client, source, output=partial_dir, progress=interrupt)
    assert list(partial_dir.iterdir()) == []
    assert vol.users(docker_client, source) == []


def test_default_location_and_list(
    docker_client: Any, small_source: str, vols: Volumes, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["volumes", "backup", small_source]) == 0
    quiet = capsys.readouterr()  # nothing at all on success when not a terminal
    assert (quiet.out, quiet.err) == ("", "")
    found = [b for b in vol.find_backups() if b.volume == small_source]
    assert found and found[0].path.parent == vol.backups_dir() / "dkt"
    assert found[0].path.stat().st_mode & 0o777 == 0o600  # backups may hold secrets
    assert main(["volumes", "list", "--project", "dkt"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "PROJECT", "PURPOSE", "SIZE", "USED", "BY", "CREATED"]
    row = next(line.split() for line in lines if line.startswith(small_source + " "))
    assert row[1:3] == ["dkt", "pip-cache"]  # piped output is never truncated
    assert main(["volumes", "list", "--project", "dkt", "--json"]) == 0
    import json

    listed = {v["name"]: v for v in json.loads(capsys.readouterr().out)}
    assert listed[small_source]["purpose"] == "pip-cache"
    assert listed[small_source]["size"] > 0
    assert listed[small_source]["containers"] == []


def _corrupt(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    manifest = archive.read_manifest(path)
    if how == "flip":
        data[manifest["compressed_bytes"] // 2] ^= 0x01
    elif how == "truncate":
        del data[len(data) // 2 :]
    elif how == "manifest":
        other = dict(manifest, sha256="0" * 64)
        trailer = archive._zstd_trailer(other)
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
    _run(docker_client, busybox_image, target, "echo keep > /v/mine")
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
    _run(docker_client, busybox_image, target, "echo old > /v/old")
    user = docker_client.containers.create(
        busybox_image,
        ["true"],
        name=_unique("dkt-user"),
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


def test_create_project_is_idempotent_and_quiet(
    docker_client: Any, small_source: str, vols: Volumes, tmp_path: Path
) -> None:
    project = _unique("dkproj")
    names = [f"{project}-pip-cache", f"{project}-shell-history"]
    vols.names.extend(names)
    (tmp_path / ".devcontainer").mkdir()
    compose = "volumes:\n" + "".join(
        f"  {purpose}:\n    name: {project}-{purpose}\n    labels:\n"
        f"      dev.devkit.project: {project}\n      dev.devkit.purpose: {purpose}\n"
        f'      dev.devkit.managed: "true"\n'
        for purpose in ("pip-cache", "shell-history")
    )
    (tmp_path / ".devcontainer" / "compose.yaml").write_text(
        "services:\n  dev:\n    image: x\n" + compose, encoding="utf-8"
    )
    # seed material: a backup of small_source recorded under the pip-cache volume's name
    src_backup = vol.backup(docker_client, small_source, output=tmp_path / "s.tar.zst")
    assert src_backup.path is not None
    vol.restore(docker_client, src_backup.path, target=names[0])
    vol.backup(docker_client, names[0])
    docker_client.volumes.get(names[0]).remove()

    env = {**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA}
    cmd = [
        sys.executable,
        "-m",
        "devkit",
        "volumes",
        "create",
        "--project",
        ".",
        "--restore-latest",
    ]
    first = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "" and first.stderr == ""
    for purpose, name in zip(("pip-cache", "shell-history"), names, strict=True):
        labels = docker_client.volumes.get(name).attrs["Labels"]
        assert labels[PROJECT_LABEL] == project and labels[PURPOSE_LABEL] == purpose
        assert labels[MANAGED_LABEL] == "true"
    assert not vol.is_empty(docker_client, names[0])  # seeded from its newest backup
    assert vol.is_empty(docker_client, names[1])  # no backup: stays empty
    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    # A backup of an empty volume is never restored (nothing to seed, and it would cost a
    # check and a write on every start); a non-empty volume is left alone.
    vol.backup(docker_client, names[1])
    assert vol.seed_from_latest(docker_client, names[1], created=False) is None
    assert vol.seed_from_latest(docker_client, names[0], created=False) is None
    # By name, too: a new volume is seeded from its newest backup.
    docker_client.volumes.get(names[0]).remove()
    assert main(["volumes", "create", names[0], "--restore-latest"]) == 0
    assert not vol.is_empty(docker_client, names[0])


def test_stdout_backup_and_full_disk(docker_client: Any, small_source: str, tmp_path: Path) -> None:
    env = {**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA}
    out = tmp_path / "piped.tar.zst"
    with out.open("wb") as fh:
        proc = subprocess.run(
            ["devkit", "volumes", "backup", small_source, "-o", "-"],
            stdout=fh,
            stderr=subprocess.PIPE,
            env=env,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr
    assert archive.verify(out)["volume"]["name"] == small_source
    # and back in through stdin
    target = _unique("dkt-piped")
    try:
        with out.open("rb") as fh:
            proc = subprocess.run(
                ["devkit", "volumes", "restore", "-", "--to", target],
                stdin=fh,
                capture_output=True,
                env=env,
                timeout=300,
            )
        assert proc.returncode == 0, proc.stderr
        assert not vol.is_empty(docker_client, target)
        assert not list((vol.backups_dir() / ".incoming").iterdir())  # spool removed
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.volumes.get(target).remove(force=True)
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "devkit", "volumes", "backup", small_source, "-o", "-"],
            stdout=full,
            stderr=subprocess.PIPE,
            env=env,
            timeout=300,
            text=True,
        )
    assert proc.returncode == 1
    assert "no space left" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_interrupted_backup_leaves_no_file(
    docker_client: Any, small_source: str, tmp_path: Path
) -> None:
    def interrupt(_n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        vol.backup(docker_client, small_source, output=tmp_path / "x.tar.zst", progress=interrupt)
    assert list(tmp_path.iterdir()) == []
    assert vol.users(docker_client, small_source) == []  # the helper container is gone too


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_real_signal_mid_backup_leaves_no_complete_looking_file(
    docker_client: Any, busybox_image: str, vols: Volumes, tmp_path: Path, sig: int
) -> None:
    """A real Ctrl-C (SIGINT) or SIGTERM to `devkit volumes backup` while data flows."""
    source = vols.create()
    _run(
        docker_client,
        busybox_image,
        source,
        "dd if=/dev/urandom of=/v/r bs=1M count=64 2>/dev/null",
    )
    env = {**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA}
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # gzip -9 of random data is slow enough that the signal always lands mid-stream.
    slow = ["--compression", "gzip", "--level", "9"]
    cmd = [sys.executable, "-m", "devkit", "volumes", "backup", source, *slow]
    proc = subprocess.Popen([*cmd, "-o", str(out_dir)], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(out_dir.iterdir()):  # the .partial file appears once data flows
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)
    assert proc.poll() is None, "the backup finished before the signal: make it slower"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []
    assert vol.users(docker_client, source) == []  # helper container removed
    # -o -: what reached the pipe has no trailer, so it never passes for a backup
    piped = tmp_path / "piped.tar.gz"
    with piped.open("wb") as fh:
        proc = subprocess.Popen(
            [*cmd, "-o", "-"], env=env, stdout=fh, stderr=subprocess.PIPE, text=True
        )
        while piped.stat().st_size == 0:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    with pytest.raises(vol.DevkitError, match="no devkit manifest"):
        archive.verify(piped)
    assert vol.users(docker_client, source) == []


def test_copy_volume(
    docker_client: Any,
    busybox_image: str,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
) -> None:
    target = vols.name()
    purpose = {PURPOSE_LABEL: "uv-cache"}
    result = vol.copy_volume(docker_client, small_source, target, labels=purpose)
    assert (result.source, result.target, result.created) == (small_source, target, True)
    assert result.tar_bytes > 0
    assert tree(docker_client, busybox_image, target) == small_tree
    labels = docker_client.volumes.get(target).attrs["Labels"]
    assert labels[PURPOSE_LABEL] == "uv-cache" and labels[PROJECT_LABEL] == "dkt"
    # A volume Compose created: its com.docker.compose.* labels do not travel to the copy.
    composed = vols.create(
        labels={"com.docker.compose.project": "svc", "com.docker.compose.volume": "pip-cache"}
    )
    copy_of = vols.name()
    assert vol.copy_volume(docker_client, composed, copy_of).created
    copied = docker_client.volumes.get(copy_of).attrs["Labels"]
    assert not [k for k in copied if k.startswith("com.docker.compose.")], copied
    assert copied[MANAGED_LABEL] == "true"
    with pytest.raises(vol.DevkitError, match="not empty"):
        vol.copy_volume(docker_client, small_source, target)
    # a running container on the source is refused, a stopped one is fine
    runner = docker_client.containers.run(
        busybox_image,
        ["sleep", "120"],
        detach=True,
        name=_unique("dkt-runner"),
        volumes={small_source: {"bind": "/v", "mode": "ro"}},
        labels=TEST_LABELS,
    )
    try:
        with pytest.raises(vol.DevkitError, match=runner.name):
            vol.copy_volume(docker_client, small_source, vols.name())
        runner.stop(timeout=0)
        # The container list (what copy asks) can trail stop(): on a loaded Docker 26 it still
        # said "running" right after stop() returned (Debian 13 rehearsal, load average 13).
        deadline = time.monotonic() + 60
        while vol.users(docker_client, small_source, running_only=True):
            assert time.monotonic() < deadline, "the stopped runner is still listed as running"
            time.sleep(0.1)
        again = vols.name()
        assert vol.copy_volume(docker_client, small_source, again).created
        assert tree(docker_client, busybox_image, again) == small_tree
    finally:
        runner.remove(force=True)


def test_migrate_outcomes(
    docker_client: Any,
    busybox_image: str,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The `devkit update --migrate-volumes` policy: outcomes, never an error, for a missing
    old volume and a new one that holds data; the new volume's emptiness is looked at once."""
    looked: list[str] = []
    real_is_empty = vol.is_empty

    def counting_is_empty(client: Any, name: str) -> bool:
        looked.append(name)
        return real_is_empty(client, name)

    monkeypatch.setattr(vol, "is_empty", counting_is_empty)
    labels = {PURPOSE_LABEL: "uv-cache"}
    assert vol.migrate(docker_client, vols.name(), vols.name(), labels) == vol.NOTHING_TO_MIGRATE
    new = vols.name()
    assert vol.migrate(docker_client, small_source, new, labels) == vol.MIGRATED
    assert tree(docker_client, busybox_image, new) == small_tree
    assert docker_client.volumes.get(new).attrs["Labels"][PURPOSE_LABEL] == "uv-cache"
    looked.clear()
    again = vol.migrate(docker_client, small_source, new, labels)
    assert again == f"not copied: {new} already holds data" and looked == [new]
    empty = vols.create()
    looked.clear()
    assert vol.migrate(docker_client, small_source, empty, labels) == vol.MIGRATED
    assert looked == [empty]  # one helper container to check it, not two
    assert tree(docker_client, busybox_image, empty) == small_tree
    assert vol.users(docker_client, small_source) == []  # the old volume is left as it was


def test_copy_cli(
    docker_client: Any,
    busybox_image: str,
    small_source: str,
    small_tree: list[tuple[str, ...]],
    vols: Volumes,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`devkit volumes copy` in-process (--json) and as a user runs it (quiet on success)."""
    target = vols.name()
    assert main(["volumes", "copy", small_source, target, "--purpose", "uv-cache", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["source"], result["target"], result["created"]) == (small_source, target, True)
    assert result["tar_bytes"] > 0
    assert tree(docker_client, busybox_image, target) == small_tree
    labels = docker_client.volumes.get(target).attrs["Labels"]
    assert labels[PURPOSE_LABEL] == "uv-cache" and labels[PROJECT_LABEL] == "dkt"

    # Into an existing empty volume: no labels may be asked for; without them it copies.
    empty = vols.create()
    assert main(["volumes", "copy", small_source, empty, "--purpose", "x"]) == 1
    assert "labels cannot change" in capsys.readouterr().err
    env = {**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA}
    proc = subprocess.run(
        ["devkit", "volumes", "copy", small_source, empty],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert tree(docker_client, busybox_image, empty) == small_tree

    # A non-empty target, an unknown source, the same name twice: one line each.
    for argv, code, message in (
        ([small_source, target], 1, "not empty"),
        ([_unique("dkt-missing"), vols.name()], 1, "no such volume"),
        ([small_source, small_source], 2, "SOURCE and TARGET are the same volume"),
    ):
        proc = subprocess.run(
            ["devkit", "volumes", "copy", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert proc.returncode == code, proc.stderr
        assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert tree(docker_client, busybox_image, small_source) == small_tree  # never changed


def test_errors_are_one_line(vols: Volumes, tmp_path: Path, docker_client: Any) -> None:
    env = {**os.environ, "DEVKIT_EXTRA_LABELS": EXTRA}

    def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "devkit", "volumes", *args],
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    missing = run("backup", _unique("dkt-missing"), "-o", str(tmp_path / "m.tar.zst"))
    assert missing.returncode == 1 and "no such volume" in missing.stderr
    assert not list(tmp_path.iterdir())
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    wrong = run("verify", str(text))
    assert wrong.returncode == 1 and "not a devkit backup" in wrong.stderr
    down = run("list", DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert down.returncode == 1 and "cannot reach the Docker engine" in down.stderr
    for proc in (missing, wrong, down):
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_rm_and_prune(docker_client: Any, small_source: str, vols: Volumes, tmp_path: Path) -> None:
    doomed = vols.create()
    assert main(["volumes", "rm", doomed]) == 1  # not a terminal: no prompt, nothing removed
    assert vol.volume_exists(docker_client, doomed)
    assert main(["volumes", "rm", doomed, _unique("dkt-missing"), "--yes"]) == 1
    assert vol.volume_exists(docker_client, doomed)  # all checked before any is removed
    assert main(["volumes", "rm", doomed, "--yes"]) == 0
    assert not vol.volume_exists(docker_client, doomed)
    backups = tmp_path / "backups"
    backups.mkdir()
    for _ in range(3):
        vol.backup(docker_client, small_source, output=backups)
    stranger = backups / f"{small_source}--20000101T000000Z.tar.zst"
    stranger.write_bytes(b"not a backup")
    assert main(["volumes", "prune-backups", "--keep", "1", "--dir", str(backups)]) == 0
    left = sorted(p.name for p in backups.iterdir())
    assert stranger.name in left and len(left) == 2


def test_unsafe_backup_is_refused_before_anything_is_written(
    docker_client: Any,
    busybox_image: str,
    vols: Volumes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io
    import tarfile

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


def test_helper_image_is_made_from_an_empty_tar(
    docker_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = f"devkit/volume-helper-test:{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(vol, "HELPER_IMAGE", ref)
    try:
        assert vol.ensure_helper_image(docker_client) == ref
        image = docker_client.images.get(ref)
        assert image.labels[MANAGED_LABEL] == "true"
        assert image.attrs["Size"] == 0  # nothing pulled, nothing inside
        assert vol.ensure_helper_image(docker_client) == ref  # present: reused
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(ref, force=True)


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
