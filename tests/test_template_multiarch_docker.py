"""The generated Dockerfile builds for linux/arm64 too: the python and node templates, built
under QEMU on a local arm64 Debian base, run their language on aarch64.

Needs QEMU for arm64 in binfmt_misc and the arm64 base image ``devkit-ci/debian-arm64:trixie-slim``
(``bash .ci/multiarch.sh && bash .ci/arm64-base.sh``; ``DEVKIT_ARM64_BASE`` names another).
Without them the tests are skipped with the reason, unless ``DEVKIT_REQUIRE_MULTIARCH=1`` (CI),
where a missing piece is a failure. The base is the template's own Debian 13, so the toolchain
choices are the real ones: Python from Debian's arm64 packages, Node.js from the release
tarball for the architecture dpkg names (a local mirror of the arm64 release).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import toolchain_mirror
from conftest import TEST_LABEL_ARG
from template_helpers import render_cli

from devkit.prebuild import builder

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ARM64_BASE = os.environ.get("DEVKIT_ARM64_BASE", "devkit-ci/debian-arm64:trixie-slim")
HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DOCKER = "docker"
RUN_ARM64 = [DOCKER, "run", "--rm", "--platform", "linux/arm64"]


def _missing(message: str) -> None:
    if os.environ.get("DEVKIT_REQUIRE_MULTIARCH") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def arm64_base(docker_client: Any) -> str:
    """The local arm64 base image, and QEMU to run it."""
    if not builder.emulator_registered("arm64"):
        _missing("no arm64 emulator in binfmt_misc (bash .ci/multiarch.sh registers QEMU)")
    found = subprocess.run(
        [DOCKER, "image", "inspect", ARM64_BASE, "--format", "{{.Architecture}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.stdout.strip() != "arm64":
        _missing(f"no local linux/arm64 image {ARM64_BASE} (bash .ci/arm64-base.sh makes it)")
    return ARM64_BASE


@pytest.fixture(scope="module")
def node_mirror_arm64() -> Iterator[str]:
    """Node.js's arm64 release on 127.0.0.1, from the npm registry (cached between runs)."""
    with toolchain_mirror.serve(toolchain_mirror.fill_node(arch="arm64")) as url:
        yield url


@pytest.fixture
def fresh_cache(docker_client: Any) -> Iterator[str]:
    """A token in the project name; afterwards the build cache records this test made (its
    arm64 layers: those named with the token and the ancestors made since it started, which
    sit on the arm64 base only these tests use) and the arm64 apt cache mounts are pruned."""
    token = uuid.uuid4().hex[:8]
    started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 2))
    yield token
    records = {r["ID"]: r for r in docker_client.api.df().get("BuildCache") or []}
    mine = {i for i, r in records.items() if token in str(r.get("Description", ""))}
    todo = list(mine)
    while todo:
        record = records.get(todo.pop())
        for parent in (record or {}).get("Parents") or (record or {}).get(" Parents") or []:
            found = records.get(parent)
            if parent not in mine and found and str(found.get("CreatedAt", "")) >= started:
                mine.add(parent)
                todo.append(parent)
    mine |= {
        i
        for i, r in records.items()
        if r.get("Type") == "exec.cachemount"
        and "-arm64" in str(r.get("Description", ""))
        and str(r.get("CreatedAt", "")) >= started
    }
    for _ in range(4):  # children before their parents
        left = {r["ID"] for r in docker_client.api.df().get("BuildCache") or []} & mine
        if not left:
            break
        for record_id in left:
            docker_client.api.prune_builds(filters={"id": [record_id]})


# Emulated Debian is slow: dpkg byte-compiles Python's standard library under QEMU, pip runs
# emulated (the python build took 1609 s, node 367 s, on 2 cores under a load of 10-12).
@pytest.mark.timeout(3600)
@pytest.mark.parametrize(
    ("stack", "command", "expected"),
    [
        ("python", "python3 --version", "Python 3.13."),
        ("node", "node --version", "v24."),
    ],
)
def test_template_builds_for_arm64_and_runs_there(
    arm64_base: str,
    node_mirror_arm64: str,
    fresh_cache: str,
    tmp_path: Path,
    stack: str,
    command: str,
    expected: str,
) -> None:
    name = f"arm-{stack}-{fresh_cache}"
    answers: dict[str, Any] = {
        "project_name": name,
        "stacks": [stack],
        "base_image": arm64_base,
        "environments": "workspace",
        "dockerfile_syntax": False,  # no frontend image to pull: the engine's own
    }
    if HOST_BUNDLE.is_file():  # a TLS-intercepting proxy's CA (PyPI for uv)
        answers["ca_certificates"] = str(HOST_BUNDLE)
    if stack == "node":
        answers.update(node_version="24", node_mirror=f"{node_mirror_arm64}/")
    project = render_cli(tmp_path / name, answers)
    image = f"devkit-test/{name}:arm64"
    build = [
        *(DOCKER, "buildx", "build", "--builder", "default", "--platform", "linux/arm64"),
        *("--network", "host", "--progress", "plain", "--label", TEST_LABEL_ARG),
        *("-f", ".devcontainer/Dockerfile", "--target", "dev", "-t", image, "--load", "."),
    ]
    try:
        done = subprocess.run(
            build, cwd=project, capture_output=True, text=True, check=False, timeout=3300
        )
        assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
        run = subprocess.run(
            [*RUN_ARM64, image, "sh", "-c", f"uname -m; {command}"],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        machine, version = run.stdout.strip().splitlines()
        assert machine == "aarch64"
        assert version.startswith(expected), run.stdout
    finally:
        subprocess.run([DOCKER, "image", "rm", image], capture_output=True, check=False)
