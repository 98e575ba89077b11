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


APP = 'COPY app /srv/app\nCMD ["/srv/app/run"]\n'  # an image that ships and runs an app


def test_dk005_toolchain_removed_again_is_fine_and_sdk_base_is_not(tmp_path: Path) -> None:
    purged = (
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt rm -f /etc/apt/apt.conf.d/docker-clean"
        f" && apt-get install -y gcc && make && apt-get purge -y gcc\nUSER 1000\n{APP}"
    )
    assert audit_dockerfile(tmp_path, purged) == []
    sdk = f"FROM golang:1.22\nUSER 1000\n{APP}"
    assert audit_dockerfile(tmp_path, sdk) == [("DK005", 1)]
    multi = f"FROM golang:1.22 AS build\nFROM busybox\nUSER 1000\n{APP}"
    assert audit_dockerfile(tmp_path, multi) == []


def test_dk005_apt_mark_auto_and_autoremove_purge_what_the_run_installed(tmp_path: Path) -> None:
    """The official images' way: mark everything auto, re-mark what was manual before, then
    `apt-get purge --auto-remove` takes the build dependencies away in the same RUN."""
    run = (
        "RUN --mount=type=cache,target=/var/cache/apt rm -f /etc/apt/apt.conf.d/docker-clean"
        ' && saved="$(apt-mark showmanual)" && apt-get install -y gcc libffi-dev make'
        " && make install && apt-mark auto '.*' > /dev/null && apt-mark manual $saved"
        " && apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false\n"
    )
    assert audit_dockerfile(tmp_path, f"FROM debian\n{run}USER 1000\n{APP}") == []
    kept = run.replace("apt-mark auto '.*' > /dev/null && ", "")
    assert audit_dockerfile(tmp_path, f"FROM debian\n{kept}USER 1000\n{APP}") == [("DK005", 2)]


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("Dockerfile", True),
        ("Dockerfile.prod", True),
        ("Dockerfile.dev", False),
        ("test.Dockerfile", False),
        ("Dockerfile.ci", False),
        ("Dockerfile.build", False),
        ("Dockerfile.base", False),  # only built to be used FROM elsewhere
        ("Dockerfile.developer", True),  # a word of its own only
        ("packaging/Dockerfile", False),  # builds a package
    ],
)
def test_dk005_not_for_dockerfiles_named_for_dev_test_or_build(
    tmp_path: Path, name: str, flagged: bool
) -> None:
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_text(
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt apt-get install -y build-essential\n"
        f"USER 1000\n{APP}"
    )
    (tmp_path / name).with_name(".dockerignore").write_text(".git\n")
    rules = {f.rule for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings}
    assert ("DK005" in rules) is flagged, rules


def test_dk005_not_for_base_and_tool_images_nobody_builds(tmp_path: Path) -> None:
    """python:3.12 (FROM buildpack-deps) ships gcc on purpose: it runs a REPL, nothing of its
    own; built by a compose service it would be an app's image, and reported."""
    text = 'FROM buildpack-deps:bookworm\nRUN echo runtime built here\nCMD ["python3"]\n'
    assert audit_dockerfile(tmp_path, text) == []
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    build: .\n")
    assert ("DK005", 1) in audit_dockerfile(tmp_path, text)


def test_dk005_not_for_a_dev_containers_own_image(tmp_path: Path) -> None:
    root = copy_fixture("dk011-cache-no-volume", tmp_path)
    (root / "requirements.txt").unlink()
    (root / ".devcontainer" / "Dockerfile").write_text(
        "FROM golang:1.22\nRUN useradd -m dev\nUSER dev\n"
    )
    assert doctor.audit(root, buildkit=buildkit_ok).findings == []


def test_dk006_explicit_root_and_arg_substituted_user(tmp_path: Path) -> None:
    run = 'CMD ["/srv/app"]\n'  # an image that runs something of its own
    text = f"FROM busybox\nUSER 1000\nUSER root:root\n{run}"
    assert audit_dockerfile(tmp_path, text) == [("DK006", 3)]
    text = f"FROM busybox\nARG USERNAME=dev\nUSER ${{USERNAME}}\n{run}"
    assert audit_dockerfile(tmp_path, text) == []
    text = f"ARG U=0\nFROM busybox\nARG U\nUSER $U\n{run}"
    assert audit_dockerfile(tmp_path, text) == [("DK006", 4)]
    # a variable only the build (or the base image's ENV) knows: no claim either way
    text = f"FROM example.org/notebook\nUSER ${{NB_UID}}\n{run}"
    assert audit_dockerfile(tmp_path, text) == []
    # an unknown base image (FROM $BASE, no default), but USER root said out loud
    text = f"ARG BASE\nFROM $BASE\nUSER 1000\nRUN make\nUSER root\n{run}"
    assert audit_dockerfile(tmp_path, text) == [("DK006", 5)]


def test_dk006_remote_user_and_nonroot_base_images_are_not_root(tmp_path: Path) -> None:
    dev = tmp_path / ".devcontainer"
    dev.mkdir()
    (dev / "devcontainer.json").write_text(
        '{"build": {"dockerfile": "Dockerfile"}, "remoteUser": "vscode"}'
    )
    (dev / "Dockerfile").write_text("FROM debian:bookworm-slim\n")
    (dev / ".dockerignore").write_text(".git\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / ".dockerignore").write_text(".git\n")
    (app / "Dockerfile").write_text(
        "FROM busybox AS build\nRUN echo hi > /out\n"
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=0 /out /out\n"
        'CMD ["/out"]\n'
    )
    (tmp_path / "Dockerfile").write_text(
        'FROM gcr.io/distroless/static-debian12\nCOPY app /app\nCMD ["/app"]\n'
    )
    (tmp_path / ".dockerignore").write_text(".git\n")
    found = [(f.rule, f.file) for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings]
    assert found == [("DK006", "Dockerfile")]  # only the image that really runs as root


@pytest.mark.parametrize(
    ("dockerfile", "flagged"),
    [
        ('FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]\n', True),
        ('FROM python:3.12-slim\nCMD ["python3"]\n', False),  # a REPL: a base image
        ("FROM golang:1.22\nRUN go install example.org/tool@latest\n", False),  # no command
        ('FROM php:8.3-fpm\nCOPY conf /usr/local/etc/php/\nCMD ["php-fpm"]\n', False),
        ('FROM php:8.3-fpm\nCOPY src /var/www/html\nCMD ["php-fpm"]\n', True),  # an app
        ('FROM debian\nENTRYPOINT ["tini", "--"]\nCMD ["bash"]\n', False),
        ('FROM debian\nENTRYPOINT ["tini", "--"]\nCMD ["/srv/app"]\n', True),
        # an entrypoint script hands over to CMD: here a shell
        ('FROM debian\nENTRYPOINT ["manylinux-entrypoint"]\nCMD ["/bin/bash"]\n', False),
        # a command that only prints information about the runtime
        ('FROM debian\nENTRYPOINT ["/usr/bin/dotnet"]\nCMD ["--info"]\n', False),
        # FROM a micromamba image built here: its user is mambauser
        ('FROM micromamba:local\nCOPY app /app\nCMD ["python", "/app/run.py"]\n', False),
    ],
)
def test_dk006_a_lone_base_or_tool_image_is_not_reported(
    tmp_path: Path, dockerfile: str, flagged: bool
) -> None:
    """A Dockerfile no compose file or dev container builds, whose image runs nothing of its
    own, is built FROM by others: a USER there would break their `apt-get install`."""
    found = audit_dockerfile(tmp_path, dockerfile)
    assert (("DK006", 1) in found) is flagged, found


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
