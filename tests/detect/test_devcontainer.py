"""An existing dev container (devkit/detect/devcontainer.py)."""

from __future__ import annotations

import re
from pathlib import Path

from devkit.labels import MANAGED_LABEL

from .detect_helpers import detected, write


def test_settings_lines_and_the_scripts_lifecycle_commands_run() -> None:
    existing = detected("existing-devcontainer").devcontainer
    assert existing is not None
    assert existing.configs == (".devcontainer/devcontainer.json",)
    assert existing.files == (".devcontainer/devcontainer.json", ".devcontainer/on-create.sh")
    assert existing.rendered_by is None
    found = {s.key: (s.value, str(s.source), s.scripts) for s in existing.settings}
    assert "name" not in found
    assert found["image"][1] == ".devcontainer/devcontainer.json:4"
    assert found["forwardPorts"][0] == [8000, "db:5432"]
    assert found["customizations.vscode.extensions"][1] == ".devcontainer/devcontainer.json:11"
    assert found["onCreateCommand"][2] == (".devcontainer/on-create.sh",)
    assert found["postStartCommand"][2] == ("scripts/start-services.sh",)
    assert found["remoteUser"][0] == "vscode"  # after a comment and before a trailing comma


def test_root_file_named_commands_and_the_config_folder(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".devcontainer.json": '{"build": {"dockerfile": "Dockerfile.dev"},\n'
            ' "postCreateCommand": {"deps": "bash ./scripts/setup.sh --fast",'
            ' "hooks": "${containerWorkspaceFolder}/scripts/hooks.sh"},\n'
            ' "postAttachCommand": "echo hi && missing.sh"}',
            "Dockerfile.dev": "FROM debian\n",
            "scripts/setup.sh": "",
            "scripts/hooks.sh": "",
            ".devcontainer/python/devcontainer.json": '{"image": "python"}',
        },
    )
    existing = detected(tmp_path).devcontainer
    assert existing is not None
    assert existing.configs == (".devcontainer.json", ".devcontainer/python/devcontainer.json")
    found = {(s.source.file, s.key): s.scripts for s in existing.settings}
    assert found[(".devcontainer.json", "build")] == ("Dockerfile.dev",)
    assert found[(".devcontainer.json", "postCreateCommand")] == (
        "scripts/setup.sh",
        "scripts/hooks.sh",
    )
    assert found[(".devcontainer.json", "postAttachCommand")] == ()


def test_rendered_by_devkit_and_a_broken_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".copier-answers.yml": "_commit: v1.0.1\n_src_path: /x/templates/bundled\n",
            ".devcontainer/compose.yaml": f'labels:\n  {MANAGED_LABEL}: "true"\n',
            ".devcontainer/devcontainer.json": '{"name": "x",,}',
        },
    )
    found = detected(tmp_path)
    assert found.devcontainer is not None
    assert found.devcontainer.rendered_by == "v1.0.1"
    assert found.devcontainer.settings == ()
    # json's own words for the error differ by Python version (3.13 names the trailing comma)
    [warning] = found.warnings
    assert re.fullmatch(
        r"\.devcontainer/devcontainer\.json: not valid JSON \(line 1, column \d+: [^)]+\); "
        r"its settings are not used",
        warning,
    ), warning


def test_no_dev_container(tmp_path: Path) -> None:
    assert detected(tmp_path).devcontainer is None
