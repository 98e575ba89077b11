"""`devkit volumes backup` against the real engine: round trips keep everything, and an
interrupted or failed backup leaves nothing that looks complete."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from devkit import volumes as vol
from devkit.cli import main
from devkit.errors import DevkitError
from devkit.labels import PROJECT_LABEL, PURPOSE_LABEL
from devkit.volumes import archive

from .docker_helpers import EXTRA, POPULATE, Volumes, run_script, tree, unique

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


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
    run_script(docker_client, busybox_image, source, POPULATE, {"BIG_MB": "200"})
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
    target = unique("dkt-piped")
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


@contextlib.contextmanager
def _no_leftover(proc: subprocess.Popen[str]) -> Iterator[None]:
    """Kill ``proc`` if it is still running when the block ends (a failed wait or assert)."""
    try:
        yield
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_real_signal_mid_backup_leaves_no_complete_looking_file(
    docker_client: Any, busybox_image: str, vols: Volumes, tmp_path: Path, sig: int
) -> None:
    """A real Ctrl-C (SIGINT) or SIGTERM to `devkit volumes backup` while data flows."""
    source = vols.create()
    run_script(
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
    with _no_leftover(proc):
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
        with _no_leftover(proc):
            # gzip's header comes first: the signal may land before any data is read
            while piped.stat().st_size == 0:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.01)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    with pytest.raises(DevkitError, match="no devkit manifest"):
        archive.verify(piped)
    assert vol.users(docker_client, source) == []
