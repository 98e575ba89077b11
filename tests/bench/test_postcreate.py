"""The post-create half of a rebuild (devkit.bench.postcreate): what devcontainer.json runs and
mounts, and a real run in a container with copies of the project's volumes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_LABEL_ARG, TEST_LABELS

from devkit import bench, buildkit
from devkit.bench.postcreate import find
from devkit.errors import DevkitError
from devkit.labels import BENCH_LABEL, EXTRA_LABELS_ENV

COMPOSE = """\
name: p
services:
  dev:
    build: {context: .., dockerfile: .devcontainer/Dockerfile, target: dev}
    volumes:
      - "..:/workspaces/p:cached"
      - "env:/env"
      - type: volume
        source: cache
        target: /home/dev/.cache
      - "/var/run/docker.sock:/var/run/docker.sock"
volumes:
  env:
    name: p-env
  cache:
    name: p-cache
"""


def _devcontainer(root: Path, config: str, compose: str = COMPOSE) -> Path:
    folder = root / ".devcontainer"
    folder.mkdir(parents=True)
    (folder / "devcontainer.json").write_text(config)
    (folder / "compose.yaml").write_text(compose)
    dockerfile = folder / "Dockerfile"
    dockerfile.write_text("FROM busybox:latest AS dev\n")
    return dockerfile


def test_find_reads_commands_workspace_and_named_volumes(tmp_path: Path) -> None:
    dockerfile = _devcontainer(
        tmp_path,
        """{
  // JSON with comments, as devcontainer.json allows
  "dockerComposeFile": "compose.yaml",
  "service": "dev",
  "workspaceFolder": "/workspaces/p", /* trailing comma below */
  "remoteUser": "dev",
  "onCreateCommand": ["echo", "//not a comment"],
  "postCreateCommand": {"deps": "bash .devcontainer/post-create.sh", "empty": ""},
}""",
    )
    spec = find(dockerfile, tmp_path)
    assert spec is not None
    assert spec.commands == [
        ("onCreateCommand", ["echo", "//not a comment"]),
        ("postCreateCommand.deps", "bash .devcontainer/post-create.sh"),
    ]
    assert spec.workspace == "/workspaces/p" and spec.user == "dev"
    # Named volumes only: the workspace bind and the docker socket are not volumes.
    assert spec.volumes == [("env", "/env"), ("cache", "/home/dev/.cache")]


def test_find_without_commands_or_config_is_none(tmp_path: Path) -> None:
    dockerfile = _devcontainer(tmp_path, '{"dockerComposeFile": "compose.yaml"}')
    assert find(dockerfile, tmp_path) is None
    (tmp_path / ".devcontainer" / "devcontainer.json").unlink()
    assert find(dockerfile, tmp_path) is None


def test_unreadable_devcontainer_json_is_one_clear_error(tmp_path: Path) -> None:
    dockerfile = _devcontainer(tmp_path, '{"postCreateCommand": ')
    with pytest.raises(DevkitError, match=r"devcontainer\.json"):
        find(dockerfile, tmp_path)


# --------------------------------------------------------------------------- real engine

# Fails unless the volume was seeded from the image (/env/seed) and, once the dependency is
# added, unless an earlier post-create of this run left its mark in the same volume: the
# volumes are kept from build to build, as the user's are.
POST_CREATE = (
    "test -f /env/seed"
    " && if grep -q six requirements.txt; then test -f /env/warm; else touch /env/warm; fi"
    " && touch made-by-post-create"
)


@pytest.mark.docker
def test_post_create_runs_after_each_build_with_volumes_that_last(
    tmp_path: Path, docker_client: Any, busybox_image: str
) -> None:
    info = buildkit.detect()
    if not info.available:
        pytest.fail("no BuildKit-capable docker CLI: " + info.explain())
    project = tmp_path / "p"
    dockerfile = _devcontainer(
        project,
        '{"dockerComposeFile": "compose.yaml", "service": "dev",'
        f' "workspaceFolder": "/workspaces/p", "postCreateCommand": "{POST_CREATE}"}}',
    )
    dockerfile.write_text(
        "FROM busybox:latest AS dev\n"
        "RUN mkdir -p /env /home/dev/.cache && echo seeded > /env/seed"
        " && chown -R 1000:1000 /env /home/dev\n"
        "COPY requirements.txt /tmp/\n"
        "USER 1000:1000\n"
    )
    (project / "requirements.txt").write_text("rich\n")
    (project / "src").mkdir()
    (project / "src" / "a.py").write_text("a = 1\n")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}

    targets = bench.make_targets(project)
    options = bench.BenchOptions(scenarios=("noop", "deps"), labels=dict(TEST_LABELS))
    report = bench.Bench(targets, info, options).run()

    by = {r.scenario: r for r in report.results}
    deps = by["deps"]
    assert deps.package == "six>=1.16"
    assert deps.edit is not None and "six>=1.16" in deps.edit
    assert deps.post_create_seconds is not None and deps.post_create_seconds > 0
    assert deps.total_seconds == pytest.approx(deps.wall_seconds + deps.post_create_seconds)
    assert by["noop"].post_create_seconds is not None
    summary = report.summary(targets[0].name, "deps")
    assert summary is not None and summary.total_seconds is not None
    assert report.to_json()["summaries"][1]["post_create_seconds"] is not None
    # The commands wrote into a scratch copy: the tree is as it was.
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    # The bench's volume copies are gone; the project's own were never made.
    left = docker_client.volumes.list(filters={"label": [BENCH_LABEL, TEST_LABEL_ARG]})
    assert left == []
    assert not [v for v in docker_client.volumes.list() if v.name in ("p-env", "p-cache")]


@pytest.mark.docker
def test_failing_post_create_is_reported_and_cleaned_up(
    tmp_path: Path, docker_client: Any, busybox_image: str
) -> None:
    info = buildkit.detect()
    project = tmp_path / "p"
    _devcontainer(
        project,
        '{"dockerComposeFile": "compose.yaml", "service": "dev",'
        ' "postCreateCommand": "echo resolver failed >&2; exit 3"}',
    )
    (project / "requirements.txt").write_text("rich\n")
    options = bench.BenchOptions(scenarios=("noop",), labels=dict(TEST_LABELS))
    with pytest.raises(DevkitError, match=r"postCreateCommand failed .*exit 3.*resolver failed"):
        bench.Bench(bench.make_targets(project), info, options).run()
    assert docker_client.volumes.list(filters={"label": [BENCH_LABEL, TEST_LABEL_ARG]}) == []
    assert docker_client.containers.list(all=True, filters={"label": TEST_LABEL_ARG}) == []


@pytest.mark.docker
def test_cli_as_a_subprocess_names_the_package_and_the_post_create(
    tmp_path: Path, docker_client: Any, busybox_image: str
) -> None:
    import json
    import os
    import subprocess

    project = tmp_path / "p"
    _devcontainer(
        project,
        '{"dockerComposeFile": "compose.yaml", "service": "dev",'
        ' "postCreateCommand": "grep -c . requirements.txt"}',
    )
    (project / "requirements.txt").write_text("rich\n")

    def bench_volumes() -> set[str]:
        return {v.name for v in docker_client.volumes.list(filters={"label": BENCH_LABEL})}

    before = bench_volumes()
    done = subprocess.run(
        ["devkit", "bench", str(project), "--scenarios", "deps", "--json", "-"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "160", EXTRA_LABELS_ENV: TEST_LABEL_ARG},
    )
    assert done.returncode == 0, done.stderr
    (summary,) = json.loads(done.stdout)["summaries"]
    assert summary["package"] == "six>=1.16"
    assert summary["total_seconds"] == pytest.approx(
        summary["wall_seconds"] + summary["post_create_seconds"]
    )
    assert "added pip package 'six>=1.16'" in done.stderr
    assert "post-create" in done.stderr and "total" in done.stderr
    assert (project / "requirements.txt").read_text() == "rich\n"
    assert bench_volumes() <= before  # the run's volume copies are gone
