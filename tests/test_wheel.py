"""A wheel built from the repository carries the template and schemas and works on its own.

Slow: builds a wheel, makes a venv and installs into it. Needs no network beyond what building
needs (pip's build isolation fetches hatchling from the package index): the venv sees the site
packages of the interpreter running pytest (devkit's dependencies; a .pth file, since
``--system-site-packages`` would give the base interpreter's, not those of the virtual
environment pytest may run in) and the wheel installs with --no-index.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run(*cmd: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_wheel_contains_template_and_schemas_and_devkit_new_works(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", REPO, "--no-deps", "--quiet", "-w", wheels)
    (wheel,) = wheels.glob("devkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "devkit/_data/copier-template/copier.yml",
        "devkit/_data/copier-template/VERSION",
        "devkit/_data/schemas/answers.schema.json",
        "devkit/cli/new.py",
        # released template versions, so this devkit can update projects older devkits made
        f"devkit/template_history/v{(REPO / 'copier-template' / 'VERSION').read_text().strip()}"
        ".tar.gz",
    ):
        assert needed in names, needed
    assert any(n.startswith("devkit/_data/copier-template/project/.devcontainer/") for n in names)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    bin_dir = venv / "bin"
    purelib = run(
        bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"
    )
    # After the venv's own site packages on sys.path, so the installed wheel comes first.
    ours = [*site.getsitepackages(), site.getusersitepackages()]
    (Path(purelib.strip()) / "devkit-test-deps.pth").write_text("\n".join(ours) + "\n")
    # --ignore-installed: when devkit itself is installed in this interpreter's site packages (as
    # CI does with `pip install .`), the venv sees it and pip would otherwise skip the wheel.
    run(
        bin_dir / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--no-deps",
        "--ignore-installed",
        wheel,
    )

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {
        **os.environ,
        "DEVKIT_DATA_DIR": str(tmp_path / "data"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": "",
    }
    where = run(
        bin_dir / "python",
        "-c",
        "import devkit.resources as r; print(r.template_dir()); print(r.schema_path('x'))",
        cwd=outside,
        env=env,
    ).split()
    assert all(str(venv) in w and "/devkit/_data/" in w for w in where), where

    out = run(bin_dir / "devkit", "new", "wheel-proj", "--defaults", cwd=outside, env=env)
    assert "devcontainer up --workspace-folder ." in out
    project = outside / "wheel-proj"
    for name in (".devcontainer/devcontainer.json", ".devcontainer/Dockerfile", ".dockerignore"):
        assert (project / name).is_file(), name
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["project_name"] == "wheel-proj"
    assert recorded["_commit"].startswith("v")
    assert run(bin_dir / "devkit", "--version", env=env).startswith("devkit ")
