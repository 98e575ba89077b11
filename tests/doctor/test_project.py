"""project/: the model and the whole repository read (project/repository.py)."""

from __future__ import annotations

from pathlib import Path

from devkit import doctor
from devkit.doctor.project import Build, Project

from .doctor_helpers import (
    buildkit_ok,
)


def test_malformed_but_parseable_configs_do_not_crash(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text(
        '{"dockerComposeFile": [1, "missing.yml", "c.yml"], "service": "web",'
        ' "mounts": "oops", "build": {"args": 5}}'
    )
    (tmp_path / ".devcontainer" / "c.yml").write_text(
        "services:\n  web:\n    build: {context: ., args: 7}\n    volumes: nope\n"
        "  other: null\nvolumes: [1, 2]\n"
    )
    (tmp_path / ".devcontainer" / "Dockerfile").write_text("FROM busybox\nUSER 1000\n")
    (tmp_path / ".devcontainer" / ".dockerignore").write_text(".git\n")
    assert doctor.audit(tmp_path, buildkit=buildkit_ok).findings == []


def test_built_groups_the_builds_of_each_existing_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    one = Build(dockerfile=tmp_path / "Dockerfile", context=tmp_path)
    two = Build(dockerfile=tmp_path / "." / "Dockerfile", context=tmp_path, target="dev")
    missing = Build(dockerfile=tmp_path / "nope" / "Dockerfile", context=tmp_path)
    inline = Build(
        dockerfile=tmp_path / "compose.yaml", context=tmp_path, inline="FROM x\n", service="a"
    )
    project = Project([one, two, missing, inline], [])
    assert project.built() == {
        (tmp_path / "Dockerfile").resolve(): [one, two],
        Path(f"{(tmp_path / 'compose.yaml').resolve()}#a"): [inline],
    }
