"""project.py: builds and services read from devcontainer.json and compose files."""

from __future__ import annotations

from pathlib import Path

from devkit import doctor

from .doctor_helpers import (
    buildkit_ok,
    copy_fixture,
    triples,
)


def test_other_services_of_the_dev_containers_compose_project_are_audited(tmp_path: Path) -> None:
    root = copy_fixture("good", tmp_path)
    compose = root / ".devcontainer" / "compose.yaml"
    compose.write_text(
        compose.read_text().replace("services:\n", "services:\n  db:\n    build: ../db\n", 1)
    )
    (root / "db").mkdir()
    (root / "db" / "Dockerfile").write_text(
        "FROM busybox\nUSER 1000\nENV POSTGRES_PASSWORD=secret\n"
    )
    (root / "db" / ".dockerignore").write_text(".git\n")
    assert triples(doctor.audit(root, buildkit=buildkit_ok)) == [("DK007", "db/Dockerfile", 3)]


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
