"""DK011 and DK012 (rules/devcontainer.py): caches without a volume, volumes the user cannot
write."""

from __future__ import annotations

from pathlib import Path

from devkit import doctor

from .doctor_helpers import (
    buildkit_ok,
    copy_fixture,
)


def test_dk011_volume_for_the_cache_dir_satisfies_it(tmp_path: Path) -> None:
    root = copy_fixture("dk011-cache-no-volume", tmp_path)
    config = root / ".devcontainer" / "devcontainer.json"
    config.write_text(
        config.read_text().replace(
            '"remoteUser": "dev"',
            '"remoteUser": "dev",\n'
            '  "mounts": ["source=pipc,target=/home/dev/.cache/pip,type=volume"]',
        )
    )
    dockerfile = root / ".devcontainer" / "Dockerfile"
    dockerfile.write_text(
        "FROM debian:bookworm-slim\nRUN useradd -m dev\nUSER dev\nRUN mkdir -p ~/.cache/pip\n"
    )
    assert doctor.audit(root, buildkit=buildkit_ok).findings == []


def test_dk011_sees_managers_run_by_lifecycle_commands(tmp_path: Path) -> None:
    # No package.json in the repository: only postCreateCommand says npm is used.
    (tmp_path / ".devcontainer").mkdir()
    dc = tmp_path / ".devcontainer" / "devcontainer.json"
    dc.write_text(
        "{\n"
        '  "image": "mcr.microsoft.com/devcontainers/base:bookworm",\n'
        '  "remoteUser": "vscode",\n'
        '  "initializeCommand": "cargo fetch",\n'
        '  "postCreateCommand": {"web": "cd web && npm ci", "py": ["pip", "install", "-e", "."]}\n'
        "}\n"
    )
    found = [(f.rule, f.line, f.message.split()[0]) for f in doctor.audit(tmp_path).findings]
    # initializeCommand runs on the host: its cargo is no reason for a volume in the container
    assert found == [("DK011", 2, "pip"), ("DK011", 2, "npm")]


def test_dk012_directory_created_after_user_is_owned(tmp_path: Path) -> None:
    root = copy_fixture("dk012-volume-root-owned", tmp_path)
    (root / ".devcontainer" / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\n"
        "RUN u=dev; useradd -m -u 1000 $u && install -d -o $u /home/$u/.history\n"
        "USER 1000\n"
        "RUN mkdir -p /home/dev/.cache/{pip,npm}\n"
    )
    assert doctor.audit(root, buildkit=buildkit_ok).findings == []


def test_dk012_braces_expand_only_under_bash(tmp_path: Path) -> None:
    root = copy_fixture("dk012-volume-root-owned", tmp_path)
    compose = root / ".devcontainer" / "compose.yaml"
    compose.write_text(compose.read_text().replace("/home/dev/.history", "/home/dev/.cache/pip"))
    dockerfile = root / ".devcontainer" / "Dockerfile"
    text = "FROM debian:bookworm-slim\nRUN useradd -m dev\nUSER dev\n"
    text += "RUN mkdir -p /home/dev/.cache/{pip,npm}\n"
    dockerfile.write_text(text)  # /bin/sh makes a folder literally named "{pip,npm}"
    assert [(f.rule, f.line) for f in doctor.audit(root, buildkit=None).findings] == [("DK012", 8)]
    dockerfile.write_text(
        text.replace("FROM debian:bookworm-slim\n", 'FROM debian\nSHELL ["/bin/bash", "-c"]\n')
    )
    assert doctor.audit(root, buildkit=None).findings == []


def test_dk012_copy_ignores_user(tmp_path: Path) -> None:
    root = copy_fixture("dk012-volume-root-owned", tmp_path)
    (root / ".devcontainer" / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\nRUN useradd -m dev\nUSER dev\n"
        "COPY .devcontainer /home/dev/.history\nCOPY --chown=dev .devcontainer /home/dev/.cache\n"
    )
    assert [(f.rule, f.line) for f in doctor.audit(root, buildkit=None).findings] == [("DK012", 8)]
