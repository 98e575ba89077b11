"""DK002-DK007 and DK013 (rules/dockerfile.py), one detail at a time on small Dockerfiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit import doctor

from .doctor_helpers import (
    audit_dockerfile,
    buildkit_ok,
    copy_fixture,
    write_dockerfile,
)


@pytest.mark.parametrize(
    ("command", "manager"),
    [
        ("apt-get update && apt-get install -y curl", "apt"),
        ("apk add curl", "apk"),
        ("python3 -m pip install -r requirements.txt", "pip"),
        ("/opt/venv/bin/pip install flask", "pip"),
        ("uv sync --frozen", "uv"),
        ("poetry install --no-root", "poetry"),
        ("npm ci", "npm"),
        ("pnpm install --frozen-lockfile", "pnpm"),
        ("if [ -f pnpm-lock.yaml ]; then pnpm install --frozen-lockfile; fi", "pnpm"),
        ("yarn install --frozen-lockfile", "yarn"),
        ("go mod download", "go"),
        ("cargo fetch", "cargo"),
        ("dotnet restore", "dotnet"),
        ("mvn -B dependency:go-offline", "maven"),
        ("./gradlew dependencies", "gradle"),
    ],
)
def test_dk002_knows_each_package_manager(tmp_path: Path, command: str, manager: str) -> None:
    report = doctor.audit(
        write_dockerfile(tmp_path, f"FROM busybox:latest\nRUN {command}\nUSER 1000\n"),
        buildkit=buildkit_ok,
    )
    assert [(f.rule, f.line) for f in report.findings] == [("DK002", 2)]
    assert report.findings[0].message.startswith(manager + " install")


@pytest.mark.parametrize(
    "run",
    [
        "--mount=type=cache,target=/root/.cache/pip pip install flask",
        "--mount=type=cache,id=pip,target=/home/dev/.cache/pip,uid=1000 pip install flask",
        "--mount=type=cache,target=/cache/pip-downloads pip install flask",
    ],
)
def test_dk002_accepts_cache_mounts(tmp_path: Path, run: str) -> None:
    assert audit_dockerfile(tmp_path, f"FROM busybox\nRUN {run}\nUSER 1000\n") == []


@pytest.mark.parametrize(
    "command",
    [
        "go build -mod=vendor -o /app .",
        "pip install --no-index --find-links /wheels app",
        "python3 -m pip install --no-index /wheels/app.whl",
        "npm run build",
        "pip --version",
    ],
)
def test_commands_that_download_nothing_are_not_installs(tmp_path: Path, command: str) -> None:
    text = f"FROM busybox\nWORKDIR /src\nCOPY . .\nRUN {command}\nUSER 1000\n"
    assert audit_dockerfile(tmp_path, text) == []  # neither DK002 nor DK004


def test_dk002_follows_cache_dirs_moved_by_env(tmp_path: Path) -> None:
    text = (
        "FROM busybox\nENV UV_CACHE_DIR=/opt/uvc\n"
        "RUN --mount=type=cache,target=/opt/uvc uv sync\nUSER 1000\n"
    )
    assert audit_dockerfile(tmp_path, text) == []


def test_dk002_sees_installs_in_heredocs_and_exec_form(tmp_path: Path) -> None:
    text = (
        'FROM busybox\nRUN <<EOT\nset -e\nnpm ci\nEOT\nRUN ["pip", "install", "flask"]\nUSER 1000\n'
    )
    assert audit_dockerfile(tmp_path, text) == [("DK002", 2), ("DK002", 6)]


def test_dk003_is_satisfied_by_removing_the_hook_in_the_same_run(tmp_path: Path) -> None:
    text = (
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt \\\n"
        "    rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update && apt-get install -y curl\n"
        "USER 1000\n"
    )
    assert audit_dockerfile(tmp_path, text) == []


def test_dk003_only_for_a_mount_on_the_deb_cache(tmp_path: Path) -> None:
    text = (
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/lib/apt/lists \\\n"
        "    apt-get update && apt-get install -y curl\n"
        "USER 1000\n"
    )
    assert audit_dockerfile(tmp_path, text) == []


def test_dk003_hook_removed_in_a_parent_stage_counts(tmp_path: Path) -> None:
    text = (
        "FROM debian:bookworm-slim AS base\n"
        "RUN rm -f /etc/apt/apt.conf.d/docker-clean\n"
        "FROM base\n"
        "RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y curl\n"
        "USER 1000\n"
    )
    assert audit_dockerfile(tmp_path, text) == []


def test_dk004_not_when_dependencies_come_first(tmp_path: Path) -> None:
    text = (
        "FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\n"
        "RUN --mount=type=cache,target=/root/.npm npm ci\n"
        "COPY . .\n"
        "RUN --mount=type=cache,target=/root/.npm npm ci\nUSER node\n"
    )
    assert audit_dockerfile(tmp_path, text) == []


def test_dk005_toolchain_removed_again_is_fine_and_sdk_base_is_not(tmp_path: Path) -> None:
    purged = (
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt rm -f /etc/apt/apt.conf.d/docker-clean"
        " && apt-get install -y gcc && make && apt-get purge -y gcc\nUSER 1000\n"
    )
    assert audit_dockerfile(tmp_path, purged) == []
    sdk = "FROM golang:1.22\nUSER 1000\n"
    assert audit_dockerfile(tmp_path, sdk) == [("DK005", 1)]
    multi = "FROM golang:1.22 AS build\nFROM busybox\nUSER 1000\n"
    assert audit_dockerfile(tmp_path, multi) == []


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("Dockerfile", True),
        ("Dockerfile.prod", True),
        ("Dockerfile.dev", False),
        ("test.Dockerfile", False),
        ("Dockerfile.ci", False),
        ("Dockerfile.build", False),
        ("Dockerfile.developer", True),  # a word of its own only
    ],
)
def test_dk005_not_for_dockerfiles_named_for_dev_test_or_build(
    tmp_path: Path, name: str, flagged: bool
) -> None:
    (tmp_path / name).write_text(
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt apt-get install -y build-essential\n"
        "USER 1000\n"
    )
    (tmp_path / ".dockerignore").write_text(".git\n")
    rules = {f.rule for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings}
    assert ("DK005" in rules) is flagged, rules


def test_dk005_not_for_a_dev_containers_own_image(tmp_path: Path) -> None:
    root = copy_fixture("dk011-cache-no-volume", tmp_path)
    (root / "requirements.txt").unlink()
    (root / ".devcontainer" / "Dockerfile").write_text(
        "FROM golang:1.22\nRUN useradd -m dev\nUSER dev\n"
    )
    assert doctor.audit(root, buildkit=buildkit_ok).findings == []


def test_dk006_explicit_root_and_arg_substituted_user(tmp_path: Path) -> None:
    assert audit_dockerfile(tmp_path, "FROM busybox\nUSER 1000\nUSER root:root\n") == [("DK006", 3)]
    text = "FROM busybox\nARG USERNAME=dev\nUSER ${USERNAME}\n"
    assert audit_dockerfile(tmp_path, text) == []
    text = "ARG U=0\nFROM busybox\nARG U\nUSER $U\n"
    assert audit_dockerfile(tmp_path, text) == [("DK006", 4)]


def test_dk006_remote_user_and_nonroot_base_images_are_not_root(tmp_path: Path) -> None:
    dev = tmp_path / ".devcontainer"
    dev.mkdir()
    (dev / "devcontainer.json").write_text(
        '{"build": {"dockerfile": "Dockerfile"}, "remoteUser": "vscode"}'
    )
    (dev / "Dockerfile").write_text("FROM mcr.microsoft.com/devcontainers/base:bookworm\n")
    (dev / ".dockerignore").write_text(".git\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / ".dockerignore").write_text(".git\n")
    (app / "Dockerfile").write_text(
        "FROM busybox AS build\nRUN echo hi > /out\n"
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=0 /out /out\n"
    )
    (tmp_path / "Dockerfile").write_text("FROM gcr.io/distroless/static-debian12\n")
    (tmp_path / ".dockerignore").write_text(".git\n")
    found = [(f.rule, f.file) for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings]
    assert found == [("DK006", "Dockerfile")]  # only the image that really runs as root


def test_dk007_credentials_in_an_index_url(tmp_path: Path) -> None:
    text = (
        "FROM busybox\n"
        "ENV PIP_EXTRA_INDEX_URL=https://ci:s3cr3t@pypi.example.com/simple\n"
        "ENV PIP_INDEX_URL=https://pypi.example.com/simple\n"
        "USER 1000\n"
    )
    assert audit_dockerfile(tmp_path, text) == [("DK007", 2)]


def test_dk007_ignores_harmless_names(tmp_path: Path) -> None:
    text = (
        "FROM busybox\nARG TOKEN_FILE=/run/secrets/token\nENV PASSWORD_PATH=/x AUTHOR=me\n"
        "ENV GIT_ASKPASS=/bin/true\nUSER 1000\n"
        "ENV API_KEY_HEADER=X-Api-Key TOKEN_EXPIRY=3600 SECRET_KEY_BASE_DUMMY=1\n"
        "ENV AUTH_PROVIDER=github DISABLE_AUTH=true AUTH_DOMAIN=example.eu.auth0.com\n"
    )
    assert audit_dockerfile(tmp_path, text) == []


def test_dk007_points_at_the_line_of_each_key_in_a_continued_env(tmp_path: Path) -> None:
    text = (
        "FROM busybox\n"
        "ENV APP_MODE=production \\\n"
        "    DB_PASSWORD=hunter2 \\\n"
        "    # devkit-doctor: ignore=DK007\n"
        "    API_TOKEN=dev-only \\\n"
        "    LOG_LEVEL=info\n"
        "USER 1000\n"
    )
    # line 3 is reported; API_TOKEN on line 5 is silenced by the comment line above it
    assert audit_dockerfile(tmp_path, text) == [("DK007", 3)]
