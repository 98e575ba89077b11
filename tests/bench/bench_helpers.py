"""A small project for bench tests that need no engine."""

from __future__ import annotations

from pathlib import Path

from devkit.bench.targets import Target


def small_project(tmp_path: Path) -> Target:
    """Sources in and out of ``src/``, two manifests, a ``.devcontainer/Dockerfile`` with a
    ``dev`` stage that copies ``requirements-dev.txt``, and a log the ``.dockerignore`` drops."""
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "b.py").write_text("b = 1\n")
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / ".devcontainer" / "hook.py").write_text("")
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "requirements-dev.txt").write_text("")
    dockerfile = tmp_path / ".devcontainer" / "Dockerfile"
    dockerfile.write_text("FROM busybox:latest AS dev\nCOPY requirements-dev.txt ./\nCOPY . .\n")
    (tmp_path / ".dockerignore").write_text("*.log\n")
    (tmp_path / "big.log").write_text("x" * 5000)
    return Target("t", dockerfile, tmp_path, None)
