"""The rendered environment scripts (.devcontainer/python-env.sh, node-env.sh), run on the host.

The package managers are stand-ins on PATH that record how they were called, so each test
checks what the script decides: which files and flags each install gets in the image (no
project source) and in the container (the project itself, editable), that an unchanged set
of manifests installs nothing (what was added by hand stays), that an environment made for
another Python is emptied first, and that optional native packages the install skipped are
named in one line. The real tools run in tests/test_e2e_devcontainer.py.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from template_helpers import render_copier

#: Stand-ins: each appends "<name> <args>" to $FAKE_LOG. `uv venv DIR` makes DIR a virtualenv
#: of this very Python; `poetry export` writes an empty requirements file; `yarn --version`
#: answers $FAKE_YARN_VERSION.
FAKES = {
    "uv": """
echo "uv $*" >> "$FAKE_LOG"
if [ "$1" = venv ]; then
  for a in "$@"; do d=$a; done
  mkdir -p "$d/bin" && ln -sf "$FAKE_PYTHON" "$d/bin/python"
fi
""",
    "poetry": """
echo "poetry $*" >> "$FAKE_LOG"
if [ "$1" = export ]; then
  while [ $# -gt 0 ]; do [ "$1" = --output ] && : > "$2"; shift; done
fi
""",
    "npm": 'echo "npm $*" >> "$FAKE_LOG"',
    "pnpm": 'echo "pnpm $*" >> "$FAKE_LOG"',
    "corepack": 'echo "corepack $*" >> "$FAKE_LOG"',
    "yarn": """
if [ "$1" = --version ]; then echo "$FAKE_YARN_VERSION"; exit 0; fi
echo "yarn $*" >> "$FAKE_LOG"
""",
}

PY_VERSION = ".".join(platform.python_version().split(".")[:2])


@pytest.fixture
def tools(tmp_path: Path) -> dict[str, str]:
    """PATH with the stand-ins first, and the variables they and the scripts read."""
    if shutil.which("node") is None:
        pytest.skip("node is needed for node-env.sh")  # CI installs it with the Dev Containers CLI
    bindir = tmp_path / "fake-bin"
    bindir.mkdir()
    for name, body in FAKES.items():
        (bindir / name).write_text("#!/bin/sh\n" + body)
        (bindir / name).chmod(0o755)
    return {
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "FAKE_PYTHON": sys.executable,
        "FAKE_YARN_VERSION": "4.9.2",
        "UV_PYTHON": PY_VERSION,
        "VIRTUAL_ENV": str(tmp_path / "venv"),
        "HOME": str(tmp_path),
    }


def _project(tmp_path: Path, answers: dict[str, Any], files: dict[str, str]) -> Path:
    """A rendered project holding ``files``; the scripts run in its root."""
    project = tmp_path / "proj"
    render_copier(project, {"project_name": "demo-app", **answers})
    for rel, text in files.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    return project


def _run(project: Path, tools: dict[str, str], script: str, mode: str) -> tuple[str, list[str]]:
    """Run ``.devcontainer/<script> <mode>``; returns its output and the calls it made."""
    log = Path(tools["FAKE_LOG"])
    log.unlink(missing_ok=True)
    done = subprocess.run(
        ["bash", f".devcontainer/{script}", mode],
        cwd=project, env={**os.environ, **tools}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    calls = log.read_text().splitlines() if log.exists() else []
    return done.stdout + done.stderr, calls


PIP_FILES = {
    "requirements.txt": "six==1.17.0\n",
    "requirements-dev.txt": "-r requirements.txt\n-e .\n.[dev]\n./libs/x\npytest==8.3.4\n",
    "pyproject.toml": '[project]\nname = "fx"\nversion = "1"\ndependencies = ["six"]\n'
    '[project.optional-dependencies]\ndev = ["iniconfig"]\n'
    '[dependency-groups]\nlint = ["ruff"]\ntest = ["pytest"]\n',
}
PIP_ANSWERS = {
    "stacks": ["python"],
    "python_manifests": ["requirements.txt", "requirements-dev.txt", "pyproject.toml"],
}


def test_pip_image_installs_everything_but_the_project(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    project = _project(tmp_path, PIP_ANSWERS, PIP_FILES)
    out, calls = _run(project, tools, "python-env.sh", "image")
    assert calls == [
        f"uv venv --seed --allow-existing {tools['VIRTUAL_ENV']}",
        "uv pip install -r requirements.txt -r requirements-dev.txt -r pyproject.toml "
        "--all-extras --group lint --group test",
    ]
    # The lines that install from the project's own folder wait for its source.
    assert (project / "requirements-dev.txt").read_text() == "-r requirements.txt\npytest==8.3.4\n"
    assert "python-env: uv pip install" in out  # every command is named before it runs


def test_pip_image_leaves_dynamic_dependencies_to_the_container(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    files = {
        "requirements.txt": "six\n",
        "pyproject.toml": '[project]\nname = "fx"\ndynamic = ["version", "dependencies"]\n',
    }
    answers = {**PIP_ANSWERS, "python_manifests": ["requirements.txt", "pyproject.toml"]}
    project = _project(tmp_path, {**answers, "python_extras": ["dev"]}, files)
    out, calls = _run(project, tools, "python-env.sh", "image")
    assert calls[-1] == "uv pip install -r requirements.txt"
    assert "dependencies are dynamic" in out
    out, calls = _run(project, tools, "python-env.sh", "container")
    assert calls[-1] == "uv pip install -r requirements.txt -r pyproject.toml --extra dev -e ."


def test_pip_container_installs_the_project_then_keeps_what_is_there(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    project = _project(tmp_path, PIP_ANSWERS, PIP_FILES)
    venv = Path(tools["VIRTUAL_ENV"])
    _, calls = _run(project, tools, "python-env.sh", "container")
    assert calls[-1] == (
        "uv pip install -r requirements.txt -r requirements-dev.txt -r pyproject.toml "
        "--all-extras --group lint --group test -e ."
    )
    assert (project / "requirements-dev.txt").read_text() == PIP_FILES["requirements-dev.txt"]
    (venv / "lib" / "by-hand").mkdir(parents=True)  # what a user installed by hand
    # The manifests did not change: nothing runs, nothing goes.
    out, calls = _run(project, tools, "python-env.sh", "container")
    assert calls == [] and "up to date" in out
    assert (venv / "lib" / "by-hand").is_dir()
    # A changed manifest installs again, into the same environment.
    (project / "requirements.txt").write_text("six==1.17.0\nidna==3.10\n")
    _, calls = _run(project, tools, "python-env.sh", "container")
    assert calls[-1].startswith("uv pip install -r requirements.txt")
    assert (venv / "lib" / "by-hand").is_dir()


def test_an_environment_of_another_python_is_emptied_first(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    project = _project(tmp_path, PIP_ANSWERS, PIP_FILES)
    venv = Path(tools["VIRTUAL_ENV"])
    _run(project, tools, "python-env.sh", "container")
    (venv / "old-file").write_text("x")
    # The python_version answer moved on: the environment (maybe a volume's mount point,
    # which itself stays) is emptied and made again, then everything is installed.
    out, calls = _run(project, {**tools, "UV_PYTHON": "3.1"}, "python-env.sh", "container")
    assert "is not a Python 3.1 environment: emptying it" in out
    assert not (venv / "old-file").exists() and venv.is_dir()
    assert calls[0] == f"uv venv --seed --allow-existing {venv}"
    assert calls[-1].startswith("uv pip install")


def test_uv_syncs_the_lock_without_then_with_the_workspace(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    answers = {
        "stacks": ["python"],
        "python_package_manager": "uv",
        "python_manifests": ["pyproject.toml", "uv.lock", "packages/core/pyproject.toml"],
        "python_groups": ["dev"],
        "python_extras": ["ini"],
    }
    files = {"pyproject.toml": "[project]\n", "uv.lock": "", "packages/core/pyproject.toml": ""}
    project = _project(tmp_path, answers, files)
    _, calls = _run(project, tools, "python-env.sh", "image")
    assert calls[-1] == (
        "uv sync --inexact --all-packages --frozen --extra ini --no-default-groups --group dev "
        "--no-install-workspace"
    )
    _, calls = _run(project, tools, "python-env.sh", "container")
    assert calls[-1] == (
        "uv sync --inexact --all-packages --frozen --extra ini --no-default-groups --group dev"
    )


def test_poetry_exports_the_lock_and_installs_the_root_package(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    answers = {
        "stacks": ["python"],
        "python_package_manager": "poetry",
        "python_manifests": ["pyproject.toml", "poetry.lock"],
        "python_groups": ["dev", "docs"],
        "python_extras": ["*"],
    }
    project = _project(tmp_path, answers, {"pyproject.toml": "[project]\n", "poetry.lock": ""})
    export = (
        "poetry export --format requirements.txt --output /tmp/devkit-poetry-requirements.txt "
        "--with dev,docs --all-extras"
    )
    _, calls = _run(project, tools, "python-env.sh", "image")
    assert calls[0] == export and calls[-1] == (
        "uv pip install -r /tmp/devkit-poetry-requirements.txt"
    )
    _, calls = _run(project, tools, "python-env.sh", "container")
    assert calls[-1] == "uv pip install --no-deps -e ."
    # package-mode = false: nothing of its own to install.
    (project / "pyproject.toml").write_text("[tool.poetry]\npackage-mode = false\n")
    _, calls = _run(project, tools, "python-env.sh", "container")
    assert calls[-1] == "uv pip install -r /tmp/devkit-poetry-requirements.txt"


NPM_PACKAGE = {
    "name": "fx",
    "scripts": {"prepare": "husky", "postinstall": "build", "test": "node --test"},
}


def test_npm_image_installs_without_the_projects_own_scripts(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    answers = {"stacks": ["node"], "node_manifests": ["package.json", "package-lock.json"]}
    files = {"package.json": json.dumps(NPM_PACKAGE), "package-lock.json": "{}"}
    project = _project(tmp_path, answers, files)
    out, calls = _run(project, tools, "node-env.sh", "image")
    assert calls == ["npm ci"]
    assert json.loads((project / "package.json").read_text())["scripts"] == {"test": "node --test"}
    assert "package.json: postinstall, prepare left for the container" in out
    (project / "package.json").write_text(json.dumps(NPM_PACKAGE))
    # In the container the lockfile stays as the project has it, node_modules is kept.
    _, calls = _run(project, tools, "node-env.sh", "container")
    assert calls == ["npm install --prefer-offline --no-save"]
    assert json.loads((project / "package.json").read_text()) == NPM_PACKAGE
    out, calls = _run(project, tools, "node-env.sh", "container")
    assert calls == [] and "up to date" in out


@pytest.mark.parametrize(
    ("version", "lock", "expected"),
    [
        ("1.22.22", True, "yarn install --frozen-lockfile --prefer-offline --non-interactive"),
        ("4.9.2", True, "yarn install --immutable"),
        ("4.9.2", False, "yarn install"),
    ],
)
def test_yarn_classic_and_berry(
    tmp_path: Path, tools: dict[str, str], version: str, lock: bool, expected: str
) -> None:
    answers = {"stacks": ["node"], "node_package_manager": "yarn"}
    files = {"package.json": json.dumps({"packageManager": f"yarn@{version}"})}
    if lock:
        files["yarn.lock"] = ""
    project = _project(tmp_path, answers, files)
    _, calls = _run(project, {**tools, "FAKE_YARN_VERSION": version}, "node-env.sh", "container")
    assert calls == ["corepack install", expected]  # packageManager's version, via corepack


def test_pnpm_skips_corepack_install_without_package_manager(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    answers = {"stacks": ["node"], "node_package_manager": "pnpm"}
    files = {"package.json": "{}", "pnpm-lock.yaml": ""}
    project = _project(tmp_path, answers, files)
    _, calls = _run(project, tools, "node-env.sh", "image")
    assert calls == ["pnpm install --frozen-lockfile --prefer-offline"]  # the image's default pnpm


def test_skipped_optional_native_packages_are_named_in_one_line(
    tmp_path: Path, tools: dict[str, str]
) -> None:
    arch = subprocess.run(
        ["node", "-p", "process.arch"], capture_output=True, text=True, check=True
    ).stdout.strip()
    other = "arm64" if arch == "x64" else "x64"
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "fx"},
            f"node_modules/@fx/binding-linux-{arch}-gnu": {
                "version": "1.2.3", "optional": True, "os": ["linux"], "cpu": [arch],
                "libc": ["glibc"],
            },
            f"node_modules/@fx/binding-linux-{other}-gnu": {
                "version": "1.2.3", "optional": True, "os": ["linux"], "cpu": [other],
            },
            "node_modules/@fx/binding-darwin": {"version": "1", "optional": True, "os": ["darwin"]},
            "node_modules/present": {"version": "1", "optional": True, "os": ["linux"]},
        },
    }  # fmt: skip
    answers = {"stacks": ["node"], "node_manifests": ["package.json", "package-lock.json"]}
    files = {"package.json": "{}", "package-lock.json": json.dumps(lock)}
    project = _project(tmp_path, answers, files)
    (project / "node_modules" / "present").mkdir(parents=True)
    out, _ = _run(project, tools, "node-env.sh", "container")
    lines = [line for line in out.splitlines() if "were skipped" in line]
    assert len(lines) == 1
    assert f"@fx/binding-linux-{arch}-gnu@1.2.3" in lines[0]
    assert other not in lines[0] and "darwin" not in lines[0] and "present" not in lines[0]
    # pnpm's own list of what it skipped, this platform's only.
    (project / "package-lock.json").unlink()
    (project / "node_modules" / ".modules.yaml").write_text(
        f"layoutVersion: 5\nskipped:\n  - '@oxfx/binding-linux-{arch}-gnu@1.0.0'\n"
        f"  - '@oxfx/binding-win32-{arch}-msvc@1.0.0'\nstoreDir: /x\n"
    )
    (project / "node_modules" / ".devkit-stamp").unlink()
    out, _ = _run(project, tools, "node-env.sh", "container")
    (line,) = [line for line in out.splitlines() if "were skipped" in line]
    assert f"@oxfx/binding-linux-{arch}-gnu@1.0.0" in line and "win32" not in line
