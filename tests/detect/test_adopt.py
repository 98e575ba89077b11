"""From a detection to answers and a plan (devkit/detect/adopt.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from devkit import answers as ans
from devkit.detect import adopt

from .detect_helpers import detected, fixture, write

#: The answers template v2 adds (issue 10), for checking that they are filled once they exist.
V2_KEYS = {
    "python_version": {"type": "string"},
    "node_version": {"type": "string"},
    "go_version": {"type": "string"},
    "uv_version": {"type": "string"},
    "poetry_version": {"type": "string"},
    "pnpm_version": {"type": "string"},
    "yarn_version": {"type": "string"},
    "python_manifests": {"type": "array"},
    "node_manifests": {"type": "array"},
    "python_extras": {"type": "array"},
    "python_groups": {"type": "array"},
    "features": {"type": "object"},
    "on_create_command": {"type": "string"},
}


def bigger_schema() -> dict[str, Any]:
    return {**ans.properties(), **V2_KEYS}


def lenient(key: str, value: Any) -> str | None:
    return ans.problem(key, value) if key in ans.properties() else None


def test_only_the_schemas_answers_are_filled() -> None:
    adoption = adopt(detected("python-node-mix"))
    assert set(adoption.answers) <= set(ans.properties())
    assert adoption.answers["stacks"] == ["python", "node"]
    assert adoption.answers["python_package_manager"] == "uv"
    assert adoption.sources["python_package_manager"] == "uv.lock"
    for key in ("python_version", "python_manifests", "node_version"):
        assert (key in adoption.answers) == (key in ans.properties())
        if key not in ans.properties():
            assert adoption.unused[key].endswith("not an answer of this template")


def test_a_schema_with_the_new_answers_gets_them_all() -> None:
    adoption = adopt(detected("uv-workspace"), bigger_schema(), lenient)
    assert adoption.answers == {
        "stacks": ["python"],
        "python_version": "3.12",
        "python_manifests": [
            "pyproject.toml",
            "uv.lock",
            ".python-version",
            "packages/cli/pyproject.toml",
            "packages/core/pyproject.toml",
        ],
        "python_package_manager": "uv",
        "python_extras": ["speed"],
        "python_groups": ["dev", "docs", "tests"],
        "apt_packages": ["build-essential", "python3-dev"],
    }
    assert adoption.sources["apt_packages"] == "uv.lock (watcher: no usable wheel)"
    assert adoption.sources["python_version"] == ".python-version:1"
    node = adopt(detected("pnpm-workspace"), bigger_schema(), lenient)
    assert node.answers["pnpm_version"] == "10.33.0"
    assert node.answers["node_package_manager"] == "pnpm"
    yarn = adopt(detected("yarn-berry"), bigger_schema(), lenient)
    assert (yarn.answers["yarn_version"], yarn.answers["node_version"]) == ("4.4.1", "22")
    poetry = adopt(detected("poetry-groups"), bigger_schema(), lenient)
    assert poetry.answers["poetry_version"] == "2.1.3"


def test_a_value_the_schema_refuses_is_left_out_and_said_so() -> None:
    def refuse_versions(key: str, value: Any) -> str | None:
        return "not a version this template installs" if key == "go_version" else None

    adoption = adopt(detected("go-toolchain"), bigger_schema(), refuse_versions)
    assert "go_version" not in adoption.answers
    assert adoption.unused["go_version"] == (
        "'1.25.3' from go.mod:5: not a version this template installs"
    )


def test_the_plan_for_an_existing_dev_container() -> None:
    adoption = adopt(detected("existing-devcontainer"))
    plan = adoption.plan
    assert plan is not None
    assert adoption.answers["forward_ports"] == [8000]
    assert adoption.answers["extensions"] == ["ms-python.python", "charliermarsh.ruff"]
    assert adoption.sources["forward_ports"] == ".devcontainer/devcontainer.json:8"
    assert [i.key for i in plan.replaced] == ["image", "remoteUser"]
    assert [(i.key, i.outcome) for i in plan.carried_over] == [
        ("forwardPorts", "answer forward_ports"),
        ("customizations.vscode.extensions", "answer extensions"),
    ]
    cannot = {i.key: i for i in plan.cannot_express if i.key != "forwardPorts"}
    assert set(cannot) == {
        "features",
        "customizations.vscode.settings",
        "containerEnv",
        "onCreateCommand",
        "postStartCommand",
    }
    assert "(moved to the backup with the rest)" in cannot["onCreateCommand"].outcome
    assert "scripts/start-services.sh (left where it is)" in cannot["postStartCommand"].outcome
    left_ports = [i for i in plan.cannot_express if i.key == "forwardPorts"]
    assert left_ports[0].value == ["db:5432"]
    assert plan.keep == []
    # The plan's own settings are not repeated among the detected answers not used.
    assert "features" not in adoption.unused


def test_carried_over_lifecycle_commands_keep_their_scripts() -> None:
    adoption = adopt(detected("existing-devcontainer"), bigger_schema(), lenient)
    plan = adoption.plan
    assert plan is not None
    assert adoption.answers["on_create_command"] == ".devcontainer/on-create.sh"
    assert adoption.answers["features"] == {"ghcr.io/devcontainers/features/github-cli:1": {}}
    assert plan.keep == [".devcontainer/on-create.sh"]


def test_one_refused_list_entry_does_not_lose_the_list() -> None:
    def no_spaces(key: str, value: Any) -> str | None:
        if isinstance(value, list) and any(" " in str(v) for v in value):
            return "a path without spaces"
        return None

    found = detected("pip-requirements-folder")
    found.stacks["python"].manifests.append("requirements/my tests.txt")
    adoption = adopt(found, bigger_schema(), no_spaces)
    assert "requirements/my tests.txt" not in adoption.answers["python_manifests"]
    assert "requirements/base.txt" in adoption.answers["python_manifests"]
    assert adoption.unused["python_manifests"].startswith("['requirements/my tests.txt'] from ")


def test_to_dict_is_json() -> None:
    import json

    data = adopt(detected("existing-devcontainer")).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"answers", "not_used", "plan"}
    assert data["answers"]["forward_ports"] == {
        "value": [8000],
        "from": ".devcontainer/devcontainer.json:8",
    }


def test_manifests_of_a_stack_without_a_manifests_answer_are_not_reported_unused() -> None:
    # The template copies go.mod/go.sum itself: a detected go_manifests loses nothing.
    adoption = adopt(detected("go-toolchain"))
    assert "go_manifests" not in adoption.answers
    assert "go_manifests" not in adoption.unused
    assert adoption.answers["stacks"] == ["go"]


def test_a_makefile_adds_make_to_the_compiler_packages(tmp_path: Path) -> None:
    """Every reason for a Debian package lands in the one apt_packages answer (offered once),
    with each reason's file: a Makefile (its `make test` needs make, which slim images lack)
    beside a locked package that builds from source."""
    repo = shutil.copytree(fixture("uv-workspace"), tmp_path / "repo")
    plain = adopt(detected(repo), bigger_schema(), lenient)
    assert plain.answers["apt_packages"] == ["build-essential", "python3-dev"]
    (repo / "Makefile").write_text("test:\n\tpytest\n")
    with_make = adopt(detected(repo), bigger_schema(), lenient)
    assert with_make.answers["apt_packages"] == ["build-essential", "python3-dev", "make"]
    assert with_make.sources["apt_packages"] == ("uv.lock (watcher: no usable wheel); Makefile")
    only = write(tmp_path / "only", {"GNUmakefile": "all:\n", "package.json": "{}"})
    assert adopt(detected(only)).answers["apt_packages"] == ["make"]
