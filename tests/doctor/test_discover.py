"""discover.py: which files an audit reads, and which folders it never searches."""

from __future__ import annotations

from pathlib import Path

from devkit.doctor.discover import discover


def test_dockerfiles_compose_files_and_devcontainers_are_found(tmp_path: Path) -> None:
    for name in (
        "Dockerfile",
        "Containerfile",
        "api/Dockerfile.prod",
        "web/app.Dockerfile",
        "Dockerfile.jinja",  # a template source, not buildable as it is
        "Dockerfile.dockerignore",
        "node_modules/pkg/Dockerfile",  # dependencies are not searched
        ".git/Dockerfile",
        "compose.yaml",
        "deploy/docker-compose.prod.yml",
        "compose.txt",
        ".devcontainer.json",
        ".devcontainer/devcontainer.json",
        ".devcontainer/py/devcontainer.json",
        "other/devcontainer.json",  # only under .devcontainer/
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")

    def names(paths: list[Path]) -> list[str]:
        return [p.relative_to(tmp_path).as_posix() for p in paths]

    dockerfiles, composes, devcontainers = discover(tmp_path)
    assert names(dockerfiles) == [
        "Containerfile",
        "Dockerfile",
        "api/Dockerfile.prod",
        "web/app.Dockerfile",
    ]
    assert names(composes) == ["compose.yaml", "deploy/docker-compose.prod.yml"]
    assert names(devcontainers) == [
        ".devcontainer.json",
        ".devcontainer/devcontainer.json",
        ".devcontainer/py/devcontainer.json",
    ]
