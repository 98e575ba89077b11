"""Multi-arch mechanics: one manifest list for linux/amd64 + linux/arm64, built under QEMU.

Needs an engine that builds several platforms at once (the containerd image store, or a
docker-container builder), QEMU for arm64 registered with binfmt_misc and the two-platform
busybox base image in the test registry: ``bash .ci/registry.sh && bash .ci/multiarch.sh``
make the last two. Without them the test is skipped with the reason, unless
``DEVKIT_REQUIRE_MULTIARCH=1`` (CI), where a missing piece is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from devkit import prebuild
from devkit.cli import main
from devkit.prebuild import builder
from prebuild.prebuild_helpers import TWO_STAGE, make_project

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("labelled")]


def _missing(message: str) -> None:
    if os.environ.get("DEVKIT_REQUIRE_MULTIARCH") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def base(registry_addr: str) -> str:
    image = f"{registry_addr}/devkit-ci/busybox:latest"
    host, _, name = image.partition("/")
    path, _, tag = name.rpartition(":")
    request = urllib.request.Request(
        f"http://{host}/v2/{path}/manifests/{tag}",
        headers={
            "Accept": "application/vnd.oci.image.index.v1+json,"
            "application/vnd.docker.distribution.manifest.list.v2+json"
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            index = json.loads(answer.read())
    except OSError:
        index = {}
    arches = {m.get("platform", {}).get("architecture") for m in index.get("manifests", [])}
    if not {"amd64", "arm64"} <= arches:
        _missing(f"{image} with linux/amd64 and linux/arm64 is missing (bash .ci/multiarch.sh)")
    if not builder.emulator_registered("arm64"):
        _missing("no arm64 emulator in binfmt_misc (bash .ci/multiarch.sh registers QEMU)")
    return image


def test_two_platforms_one_manifest_list_and_arm64_runs(
    tmp_path: Path,
    repo: str,
    base: str,
    docker_client: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = make_project(tmp_path / "p", TWO_STAGE.replace("busybox:latest", base))
    plan = prebuild.make_plan(project, registry=repo, target="dev")
    if not plan.builder.multi_platform:
        _missing(f"{plan.builder.describe()} cannot build several platforms at once")
    code = main(
        ["prebuild", str(project), "--registry", repo, "--target", "dev", "--push", "--json",
         "--platform", "linux/amd64,linux/arm64"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "pushed"
    assert set(result["published"]) == {"linux/amd64", "linux/arm64"}
    ref = result["ref"]
    for platform, arch, machine in (
        ("linux/arm64", "arm64", "aarch64"),
        ("linux/amd64", "amd64", "x86_64"),
    ):
        done = subprocess.run(
            [
                "docker",
                "run",
                "--rm",
                "--platform",
                platform,
                ref,
                "sh",
                "-c",
                "uname -m; cat /built.txt",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [machine, f"built for {arch} on {machine}"]
    # The content tag covers both platforms: asking again builds nothing.
    code = main(
        ["prebuild", str(project), "--registry", repo, "--target", "dev", "--push",
         "--platform", "linux/arm64,linux/amd64"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith(f"up to date: {ref}"), err
