"""DK002-DK004, DK007 and DK013 (rules/dockerfile.py), one detail at a time on small
Dockerfiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit import doctor

from .doctor_helpers import (
    audit_dockerfile,
    buildkit_ok,
    write_dockerfile,
)


@pytest.mark.parametrize(
    ("command", "what"),
    [
        ("apt-get update && apt-get install -y curl", "apt install"),
        ("apk add curl", "apk install"),
        ("python3 -m pip install -r requirements.txt", "pip install"),
        ("/opt/venv/bin/pip install flask", "pip install"),
        ("uv sync --frozen", "uv install"),
        ("poetry install --no-root", "poetry install"),
        ("micromamba install -y -n base python=3.12", "micromamba install"),
        ("conda env create -f environment.yml", "conda env create"),
        ("mamba install -y numpy", "mamba install"),
        ("npm ci", "npm install"),
        ("pnpm install --frozen-lockfile", "pnpm install"),
        ("if [ -f pnpm-lock.yaml ]; then pnpm install --frozen-lockfile; fi", "pnpm install"),
        ("yarn install --frozen-lockfile", "yarn install"),
        ("yarn", "yarn install"),
        ("bun install --frozen-lockfile", "bun install"),
        ("go mod download", "go mod download"),
        ("go install golang.org/x/tools/gopls@latest", "go install"),
        ("cargo fetch", "cargo install"),
        ("dotnet restore", "dotnet install"),
        ("mvn -B dependency:go-offline", "maven install"),
        ("./gradlew dependencies", "gradle install"),
        ("bundle install --jobs 4", "bundle install"),
        ("gem install rails", "gem install"),
    ],
)
def test_dk002_knows_each_package_manager(tmp_path: Path, command: str, what: str) -> None:
    report = doctor.audit(
        write_dockerfile(tmp_path, f"FROM busybox:latest\nRUN {command}\nUSER 1000\n"),
        buildkit=buildkit_ok,
    )
    assert [(f.rule, f.line) for f in report.findings] == [("DK002", 2)]
    assert report.findings[0].message.startswith(what + " in the image without a cache mount")


def test_dk002_go_build_needs_the_build_cache(tmp_path: Path) -> None:
    text = (
        "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\n"
        "RUN --mount=type=cache,target=/go/pkg/mod go mod download\nCOPY . .\n"
        "RUN --mount=type=cache,target=/go/pkg/mod go build -o /out/app .\n"
        "FROM scratch\nCOPY --from=build /out/app /app\nUSER 65532\n"
    )
    write_dockerfile(tmp_path, text)
    (finding,) = doctor.audit(tmp_path, buildkit=buildkit_ok).findings
    assert (finding.rule, finding.line) == ("DK002", 6)
    assert finding.message == (
        "go build in stage build without a cache mount for its build cache "
        "(e.g. --mount=type=cache,target=/root/.cache/go-build)"
    )
    # golang images set GOPATH=/go: the module cache is /go/pkg/mod, not /root/go/pkg/mod
    write_dockerfile(tmp_path, "FROM golang:1.22 AS deps\nRUN go mod download\nFROM scratch\n")
    (finding,) = doctor.audit(tmp_path, buildkit=buildkit_ok).findings
    assert finding.message.endswith("(e.g. --mount=type=cache,target=/go/pkg/mod)")


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
        "yarn --version",  # a check after unpacking yarn, not an install
        "bundle --version",
        "gem install --local --force pups-1.4.0.gem",  # a .gem fetched before
        "dotnet publish --no-restore -o /app",  # restored in an earlier step
        "go version",
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


def test_dk004_names_the_project_install_not_a_global_tool(tmp_path: Path) -> None:
    text = (
        "FROM node:20-slim\nWORKDIR /app\nCOPY . .\n"
        "RUN --mount=type=cache,target=/root/.cache/yarn yarn global add @vue/cli\n"
        "RUN --mount=type=cache,target=/root/.cache/yarn yarn install\nUSER node\n"
    )
    write_dockerfile(tmp_path, text)
    (finding,) = doctor.audit(tmp_path, buildkit=None).findings
    assert (finding.rule, finding.line) == ("DK004", 3)
    assert "`yarn` installs dependencies (line 5)" in finding.message


def test_dk004_not_when_dependencies_come_first(tmp_path: Path) -> None:
    text = (
        "FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\n"
        "RUN --mount=type=cache,target=/root/.npm npm ci\n"
        "COPY . .\n"
        "RUN --mount=type=cache,target=/root/.npm npm ci\nUSER node\n"
    )
    assert audit_dockerfile(tmp_path, text) == []


def test_dk007_credentials_in_an_index_url(tmp_path: Path) -> None:
    text = (
        "FROM busybox\n"
        "ENV PIP_EXTRA_INDEX_URL=https://ci:s3cr3t@pypi.example.com/simple\n"
        "ENV PIP_INDEX_URL=https://pypi.example.com/simple\n"
        "USER 1000\n"
    )
    assert audit_dockerfile(tmp_path, text) == [("DK007", 2)]


def test_dk007_placeholders_and_builder_stages(tmp_path: Path) -> None:
    text = (
        "FROM busybox AS build\n"
        "ENV DATABASE_URL=postgresql://user:pass@localhost:5432/dummy\n"  # placeholders
        "ENV SENTRY_AUTH_TOKEN=sntrys_eyJpYXQiOjE3MDAwMDAwMDB9\n"
        "ARG NPM_TOKEN=changeme\n"
        "FROM busybox\nCOPY --from=build /out /out\nUSER 1000\n"
        "ENV API_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyz\n"
    )
    write_dockerfile(tmp_path, text)
    found = [
        (f.line, f.severity, f.message) for f in doctor.audit(tmp_path, buildkit=None).findings
    ]
    assert found == [
        (
            3,
            doctor.WARNING,  # a builder's: not in the image that ships
            "ENV SENTRY_AUTH_TOKEN looks like a secret: not in the final image, but kept in "
            "this stage's build cache and history (and in any cache exported with mode=max)",
        ),
        (
            8,
            doctor.ERROR,
            "ENV API_TOKEN looks like a secret: stored in the image config with its value",
        ),
    ]


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
