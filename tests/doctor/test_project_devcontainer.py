"""project/devcontainer.py: devcontainer.json read as the Dev Containers CLI reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.doctor.audit import Audit
from devkit.doctor.project import read_project, workspace_of


@pytest.mark.parametrize(
    ("config", "workspace"),
    [
        ("repo/.devcontainer/devcontainer.json", "repo"),
        ("repo/.devcontainer.json", "repo"),
        ("repo/.devcontainer/python/devcontainer.json", "repo"),
        ("repo/samples/x/.devcontainer/devcontainer.json", "repo/samples/x"),
    ],
)
def test_the_workspace_is_the_folder_the_cli_opens(config: str, workspace: str) -> None:
    assert workspace_of(Path("/r") / config) == Path("/r") / workspace


def test_a_devcontainer_json_read_into_the_model(tmp_path: Path) -> None:
    dev = tmp_path / ".devcontainer"
    dev.mkdir()
    config = dev / "devcontainer.json"
    config.write_text(
        "{\n  // JSONC\n"
        '  "build": {"dockerfile": "Dockerfile", "context": "..", "args": {"V": 1}},\n'
        '  "mounts": ["source=cache,target=/home/dev/.cache,type=volume"],\n'
        '  "containerEnv": {"A": "1"},\n'
        '  "remoteUser": "dev",\n'
        '  "postCreateCommand": ["npm", "ci"],\n'
        '  "postStartCommand": {"a": "echo a", "b": ["echo", "b c"]},\n'
        '  "initializeCommand": "runs on the host",\n'
        "}\n"
    )
    run = Audit(tmp_path.resolve(), None)
    project = read_project(run, [], [], [config])
    (dc,) = project.devcontainers
    assert dc.build is not None and project.builds == [dc.build]
    assert (dc.build.dockerfile, dc.build.context, dc.build.args) == (
        dev / "Dockerfile",
        dev / "..",
        {"V": "1"},
    )
    assert dc.build.origin == (".devcontainer/devcontainer.json", 3)
    assert [(m.kind, m.source, m.target, m.line) for m in dc.mounts] == [
        ("volume", "cache", "/home/dev/.cache", 4)
    ]
    assert (dc.env, dc.remote_user, dc.workspace) == ({"A": "1"}, "dev", tmp_path)
    assert dc.commands == ["npm ci", "echo a", "echo 'b c'"]
    assert run.findings == []
