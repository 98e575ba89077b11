"""Finding the dev image: the compose service the dev container runs, or a Dockerfile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit.errors import DevkitError
from devkit.prebuild import target

COMPOSE = """\
services:
  db:
    image: postgres:16
  dev:
    build:
      context: ..
      dockerfile: .devcontainer/Dockerfile
      target: dev
      args:
        PY: "3.12"
        FROM_ENV:
      platforms: [linux/amd64, linux/arm64]
    image: "demo-devcontainer:latest"
"""


def _project(tmp_path: Path, compose: str = COMPOSE) -> Path:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "compose.yaml").write_text(compose)
    (tmp_path / ".devcontainer" / "Dockerfile").write_text("FROM busybox AS dev\n")
    return tmp_path


def test_compose_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FROM_ENV", "from-the-environment")
    found = target.find(_project(tmp_path), build_args={"EXTRA": "1"})
    assert found.context == tmp_path.resolve()
    assert found.dockerfile == tmp_path.resolve() / ".devcontainer" / "Dockerfile"
    assert found.target == "dev"
    assert found.args == {"PY": "3.12", "FROM_ENV": "from-the-environment", "EXTRA": "1"}
    assert found.platforms == ("linux/amd64", "linux/arm64")
    assert found.image == "demo-devcontainer:latest"
    assert found.source == ".devcontainer/compose.yaml service dev"
    assert target.find(tmp_path, target="other").target == "other"


def test_devcontainer_json_names_the_service(tmp_path: Path) -> None:
    compose = COMPOSE.replace("  dev:", "  work:")
    project = _project(tmp_path, compose)
    (project / ".devcontainer" / "devcontainer.json").write_text(json.dumps({"service": "work"}))
    assert target.find(project).source.endswith("service work")


def test_service_that_does_not_build(tmp_path: Path) -> None:
    with pytest.raises(DevkitError, match="'db' has no 'build:'"):
        target.find(_project(tmp_path), service="db")
    with pytest.raises(DevkitError, match="no service 'nope'"):
        target.find(tmp_path, service="nope")


def test_plain_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    found = target.find(tmp_path)
    assert found.dockerfile == tmp_path.resolve() / "Dockerfile" and found.target is None
    assert target.find(tmp_path, dockerfile=Path("Dockerfile"), target="x").target == "x"


def test_nothing_to_build(tmp_path: Path) -> None:
    with pytest.raises(DevkitError, match="nothing to prebuild"):
        target.find(tmp_path)
    with pytest.raises(DevkitError, match="no such folder"):
        target.find(tmp_path / "missing")
    with pytest.raises(DevkitError, match="no such Dockerfile"):
        target.find(tmp_path, dockerfile=Path("Nope"))
