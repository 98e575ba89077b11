"""project.py: builds and services read from devcontainer.json and compose files."""

from __future__ import annotations

import json
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
        "FROM busybox\nUSER 1000\nENV POSTGRES_PASSWORD=s3cr3t-Pw\n"
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


def _dev_compose(root: Path, files: list[str]) -> None:
    dev = root / ".devcontainer"
    dev.mkdir(exist_ok=True)
    (dev / "devcontainer.json").write_text(
        '{"dockerComposeFile": ' + json.dumps(files) + ', "service": "app", "remoteUser": "dev"}'
    )
    (dev / "Dockerfile").write_text("FROM debian:bookworm-slim\nRUN useradd -m dev\nUSER dev\n")
    (dev / ".dockerignore").write_text(".git\n")
    (dev / "compose.yaml").write_text(
        "services:\n  app:\n    build: .\n    volumes:\n      - cache:/home/dev/.cache\n"
        "      - data:/data\n"
    )


def test_compose_reset_and_override_merge_as_compose_does(tmp_path: Path) -> None:
    _dev_compose(tmp_path, ["compose.yaml", "more.yaml"])
    more = tmp_path / ".devcontainer" / "more.yaml"
    more.write_text("services:\n  app:\n    volumes:\n      - data:/srv/data\n")
    found = triples(doctor.audit(tmp_path, buildkit=buildkit_ok))
    assert [(rule, file) for rule, file, _ in found] == [
        ("DK012", ".devcontainer/compose.yaml"),  # /home/dev/.cache
        ("DK012", ".devcontainer/compose.yaml"),  # /data
        ("DK012", ".devcontainer/more.yaml"),  # merged: /srv/data added
    ]
    more.write_text("services:\n  app:\n    volumes: !override\n      - data:/srv/data\n")
    found = triples(doctor.audit(tmp_path, buildkit=buildkit_ok))
    assert found == [("DK012", ".devcontainer/more.yaml", 4)]  # replaced, not merged
    more.write_text("services:\n  app:\n    volumes: !reset []\n")
    assert doctor.audit(tmp_path, buildkit=buildkit_ok).findings == []  # removed


def test_a_later_build_mapping_updates_the_earlier_one(tmp_path: Path) -> None:
    _dev_compose(tmp_path, ["compose.yaml", "more.yaml"])
    dev = tmp_path / ".devcontainer"
    (dev / "compose.yaml").write_text(
        "services:\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile.dev\n"
    )
    (dev / "more.yaml").write_text("services:\n  app:\n    build:\n      target: dev\n")
    (dev / "devcontainer.json").write_text(
        '{"dockerComposeFile": ["compose.yaml", "more.yaml"], "service": "app"}'
    )
    (dev / "Dockerfile.dev").write_text(
        "FROM debian:bookworm-slim AS dev\nFROM debian:bookworm-slim\nUSER 1000\n"
    )
    # the Dockerfile of the first file, the target of the second: stage dev, as root
    found = triples(doctor.audit(tmp_path, buildkit=buildkit_ok))
    assert found == [("DK006", ".devcontainer/Dockerfile.dev", 1)]


def test_extends_and_include_loops_end(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "include: [compose.yaml]\nservices:\n  a:\n    extends: b\n  b:\n    extends: a\n"
        "  c:\n    extends: {file: compose.yaml, service: c}\n"
    )
    assert doctor.audit(tmp_path, buildkit=buildkit_ok).findings == []
