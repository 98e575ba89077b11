"""doctor against the real engine: its predictions are what Docker does.

DK001 (the real BuildKit probe), DK012 (volume ownership) and DK014 (a COPY of what
.dockerignore excludes fails). What a build context sends is checked against BuildKit in
tests/test_buildcontext.py.

Two small images are built with BuildKit from debian:bookworm-slim (no network needed): one
that only creates the user (doctor: the volumes come up root-owned) and one that creates and
owns every mount target (doctor: fine). Fresh named volumes are then mounted into each and the
owner of the mount point is read inside the container.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import docker.errors
import pytest
from conftest import TEST_LABEL_ARG, TEST_LABELS

from devkit import doctor

from .doctor_helpers import FIXTURES

pytestmark = pytest.mark.docker

OWNED_DOCKERFILE = (
    "FROM debian:bookworm-slim\n"
    "RUN u=dev; useradd -m -u 1000 $u && install -d -o $u /home/$u/.history\n"
    "USER 1000\n"
    "RUN mkdir -p /home/dev/.cache/{pip,npm}\n"
)


def _build(docker: str, context: Path, tag: str) -> None:
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    done = subprocess.run(
        [
            docker,
            "build",
            "-q",
            "--label",
            TEST_LABEL_ARG,
            "-t",
            tag,
            "-f",
            str(context / ".devcontainer" / "Dockerfile"),
            str(context),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def _owner(client: Any, image: str, target: str) -> str:
    volume = client.volumes.create(name=f"devkit-test-{uuid.uuid4().hex[:10]}", labels=TEST_LABELS)
    container = None
    try:
        container = client.containers.create(
            image,
            ["stat", "-c", "%u", target],
            volumes={volume.name: {"bind": target, "mode": "rw"}},
            labels=TEST_LABELS,
        )
        container.start()
        assert container.wait(timeout=120)["StatusCode"] == 0
        return bytes(container.logs()).decode().strip()
    finally:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            if container is not None:
                container.remove(force=True)
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            volume.remove(force=True)


def test_dk012_prediction_matches_the_engine(
    docker_client: Any, base_image: str, buildkit_docker: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(FIXTURES / "dk012-volume-root-owned", bad)
    good = tmp_path / "good"
    shutil.copytree(FIXTURES / "dk012-volume-root-owned", good)
    (good / ".devcontainer" / "Dockerfile").write_text(OWNED_DOCKERFILE)

    bad_findings = doctor.audit(bad, buildkit=None).findings
    assert [(f.rule, f.line) for f in bad_findings] == [("DK012", 8), ("DK012", 9)]
    assert doctor.audit(good, buildkit=None).findings == []

    tag = f"devkit-test-doctor:{uuid.uuid4().hex[:8]}"
    tags = [f"{tag}-bad", f"{tag}-good"]
    try:
        _build(buildkit_docker, bad, tags[0])
        _build(buildkit_docker, good, tags[1])
        # The fixture mounts volumes at these two paths (compose.yaml lines 8 and 9).
        for target in ("/home/dev/.history", "/home/dev/.cache"):
            assert _owner(docker_client, tags[0], target) == "0", target  # as doctor says
            assert _owner(docker_client, tags[1], target) == "1000", target
    finally:
        for t in tags:
            with contextlib.suppress(docker.errors.DockerException):
                docker_client.images.remove(t, force=True)


def test_dk014_copies_that_fail_do_fail(
    docker_client: Any, busybox_image: str, buildkit_docker: str, tmp_path: Path
) -> None:
    root = tmp_path / "dk014"
    shutil.copytree(FIXTURES / "dk014-copy-ignored", root)
    flagged = [f.line for f in doctor.audit(root, buildkit=None).findings]
    assert flagged == [3, 4]
    lines = (root / "Dockerfile").read_text().splitlines(keepends=True)
    tag = f"devkit-test-doctor-dk014:{uuid.uuid4().hex[:8]}"

    def build(keep: list[str]) -> subprocess.CompletedProcess[str]:
        (root / "Dockerfile").write_text("".join(keep))
        return subprocess.run(
            [buildkit_docker, "build", "--label", TEST_LABEL_ARG, "-t", tag, str(root)],
            env={**os.environ, "DOCKER_BUILDKIT": "1"},
            capture_output=True,
            text=True,
            timeout=600,
        )

    try:
        for line in flagged:  # each flagged COPY alone breaks the build...
            done = build([t for n, t in enumerate(lines, 1) if n not in flagged or n == line])
            assert done.returncode != 0 and "not found" in done.stderr, done.stderr[-2000:]
        # ...and without them it builds.
        done = build([t for n, t in enumerate(lines, 1) if n not in flagged])
        assert done.returncode == 0, done.stderr[-2000:]
    finally:
        with contextlib.suppress(docker.errors.DockerException):
            docker_client.images.remove(tag, force=True)


@pytest.mark.docker
def test_real_buildkit_probe(docker_client: object, monkeypatch: pytest.MonkeyPatch) -> None:
    # Debian's docker 20.10 first on PATH: it builds with DOCKER_BUILDKIT=1.
    if not Path("/usr/bin/docker").exists():
        pytest.skip("no /usr/bin/docker on this machine")
    monkeypatch.delenv("DEVKIT_DOCKER", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    status = doctor.buildkit_status(refresh=True)
    assert status.available and status.default_client_ok, status.detail
    root = FIXTURES / "dk001-buildkit"
    assert doctor.audit(root, buildkit=lambda: status).findings == []
    # The same probe with a PATH whose docker cannot build with BuildKit at all.
    monkeypatch.setenv("DEVKIT_DOCKER", "/bin/false")
    status = doctor.buildkit_status(refresh=True)
    assert not status.default_client_ok
    finding = doctor.audit(root, buildkit=lambda: status).findings[0]
    assert finding.rule == "DK001" and finding.line == 2
