"""A fresh machine builds nothing it can pull: the rendered start hook against a real registry.

A project rendered with ``prebuild_registry`` (its compose.yaml and devcontainer.json as the
template writes them; the Dockerfile swapped for a small busybox one so the test is quick) is
prebuilt and pushed to the test registry (``bash .ci/registry.sh``). Then the machine is made
fresh for it: its images and the build cache of its steps removed. The initializeCommand,
run the way the Dev Containers CLI runs it, pulls the content-tagged image, and the compose
build that ``devcontainer up`` runs next runs no step. Without the tag, or without the
registry, the hook says why in one line and the build is local.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from template_helpers import load_devcontainer, render_copier

from devkit.bench.progress import parse_progress
from devkit.cli import main
from devkit.prebuild import pull as pulls

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("labelled")]

#: The test's own Dockerfile: two stages, a sent file, a step per stage. TOKEN makes its steps
#: (and so their build cache records) this test's own.
DOCKERFILE = """\
FROM busybox:latest AS base
RUN echo "base TOKEN" > /base.txt
FROM base AS dev
COPY hello.txt /hello.txt
RUN cat /base.txt /hello.txt > /dev.txt
"""


@pytest.fixture
def token() -> str:
    return f"devkit-test-pull-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def project(tmp_path: Path, token: str, docker_client: Any) -> Iterator[Path]:
    """Rendered with the registry (set by each test through ``render``); the compose image and
    the build cache of this test's steps are removed afterwards."""
    made: list[str] = []

    def render(registry: str) -> Path:
        name = token.removeprefix("devkit-test-")
        root = render_copier(
            tmp_path / name,
            {
                "project_name": name,
                "stacks": ["python"],
                "volumes": [],
                "environments": "workspace",
                "prebuild_registry": registry,
            },
        )
        (root / ".devcontainer" / "Dockerfile").write_text(DOCKERFILE.replace("TOKEN", token))
        (root / "hello.txt").write_text("hello\n")
        made.append(f"{name}-devcontainer:latest")
        return root

    yield render  # type: ignore[misc]
    for image in made:
        subprocess.run(["docker", "image", "rm", image], capture_output=True, check=False)
    _forget_steps(docker_client, token)


def _forget_steps(client: Any, token: str) -> None:
    """Remove the build cache records of this test's steps (only those: the engine is shared),
    so the next build finds them only where a fresh machine would: the registry."""
    for _ in range(3):  # a child record first, then its parent
        records = [
            r for r in client.api.df().get("BuildCache") or [] if token in r.get("Description", "")
        ]
        if not records:
            return
        for record in records:
            client.api.prune_builds(filters={"id": [record["ID"]]})


def _hook(project: Path) -> subprocess.CompletedProcess[str]:
    """The initializeCommand, run as the Dev Containers CLI runs a string hook on Linux."""
    init = load_devcontainer(project)["initializeCommand"]
    bindir = str(Path(sys.executable).parent)  # this checkout's devkit
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    return subprocess.run(
        ["/bin/sh", "-c", init],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


COMPOSE = ["docker", "compose", "-f", ".devcontainer/compose.yaml"]


def _compose_build(project: Path) -> tuple[int, int, str]:
    """What ``devcontainer up`` builds first: (steps, cached steps, output)."""
    done = subprocess.run(
        [*COMPOSE, "--progress", "plain", "build", "dev"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    progress = parse_progress(output)
    runs = [s for s in progress.steps if " RUN " in f" {s.name} " or "COPY" in s.name]
    return len(runs), sum(1 for s in runs if s.counts_as_cached), output


def _local_image(ref: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True).returncode == 0


def test_the_start_hook_pulls_the_prebuild_and_the_build_runs_no_step(
    project: Any, repo: str, token: str, docker_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(repo)
    # The prebuild, as a teammate or CI publishes it (this engine's platform).
    assert main(["prebuild", str(root), "--registry", repo, "--push"]) == 0
    capsys.readouterr()
    tag = pulls._candidates(root, pulls.settings(root))[-1].tag  # type: ignore[arg-type]
    ref = f"{repo}:{tag}"
    # A fresh machine: none of the project's images, none of its steps in the build cache.
    subprocess.run(["docker", "image", "rm", ref, f"{repo}:buildcache-dev"], capture_output=True)
    _forget_steps(docker_client, token)
    assert not _local_image(ref)

    done = _hook(root)
    assert done.returncode == 0 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"devkit: pulled the prebuilt image {ref} ({pulls.make_plan(root).builder.native})"
    ]
    assert _local_image(ref)

    steps, cached, output = _compose_build(root)
    assert steps >= 3 and cached == steps, output[-3000:]  # every RUN and COPY: no build step

    # Run again, the image is here: nothing to pull, still one line.
    again = _hook(root)
    assert again.returncode == 0
    assert again.stderr.strip().splitlines() == [f"devkit: prebuilt image {ref} is already here"]


def test_absent_tag_one_line_then_a_local_build(project: Any, repo: str) -> None:
    root = project(repo)  # nothing was pushed to repo
    done = _hook(root)
    assert done.returncode == 0 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("devkit: warning: no prebuilt image for this project's inputs in ")
    assert lines[0].endswith("; building locally") and repo in lines[0]
    # The cache_from that names nothing yet is no failure: the steps run here.
    steps, cached, output = _compose_build(root)
    assert steps >= 3 and cached < steps, output[-3000:]


def test_unreachable_registry_one_line_and_the_hook_goes_on(project: Any) -> None:
    root = project("127.0.0.1:9/devkit-test/nobody-listens")
    done = _hook(root)
    assert done.returncode == 0 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("devkit: warning: no prebuilt image (cannot reach the registry")
    assert "127.0.0.1:9" in lines[0] and lines[0].endswith("; building locally")
