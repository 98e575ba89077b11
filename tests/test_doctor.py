"""`devkit doctor`: one hand-written bad repository per rule, a good one, the CLI and the docs.

Each fixture under tests/fixtures/doctor/ is copied to a temporary folder first (so files a
test adds — a .git folder, node_modules, private keys, which must not be committed — never
touch the checkout) and audited with a fake BuildKit probe unless the test is about DK001.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from devkit import buildcontext, doctor
from devkit.cli import main
from devkit.errors import DevkitError

FIXTURES = Path(__file__).parent / "fixtures" / "doctor"
REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs"


def buildkit_ok() -> doctor.BuildKitStatus:
    return doctor.BuildKitStatus(True, True, "/usr/bin/docker (fake), DOCKER_BUILDKIT=1")


def buildkit_missing() -> doctor.BuildKitStatus:
    return doctor.BuildKitStatus(False, False, "no docker CLI here can build with BuildKit (fake)")


def buildkit_elsewhere() -> doctor.BuildKitStatus:
    return doctor.BuildKitStatus(True, False, "`docker` on PATH cannot build with BuildKit (fake)")


def _git_folder(root: Path) -> None:
    objects = root / ".git" / "objects" / "pack"
    objects.mkdir(parents=True)
    (objects / "pack-1.pack").write_bytes(b"\0" * 200_000)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")


def _node_modules(root: Path) -> None:
    pkg = root / "node_modules" / "left-pad"
    pkg.mkdir(parents=True)
    (pkg / "index.js").write_text("module.exports = (s) => s;\n" * 2000)


def _secret_files(root: Path) -> None:
    (root / ".env").write_text("DATABASE_PASSWORD=hunter2\n")  # excluded by its .dockerignore
    (root / ".env.local").write_text("API_TOKEN=abc\n")  # not excluded
    (root / ".env.example").write_text("API_TOKEN=\n")  # a template, not a secret
    (root / "deploy").mkdir()
    (root / "deploy" / "id_rsa").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    (root / "deploy" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nfake\n")


EXTRAS: dict[str, Callable[[Path], None]] = {
    "dk008-no-dockerignore": _git_folder,
    "dk009-leaky-dockerignore": lambda root: (_git_folder(root), _node_modules(root)),
    "dk010-secret-files": _secret_files,
}

# fixture -> the exact findings (rule, file, line) it must produce, nothing more.
EXPECTED: dict[str, list[tuple[str, str, int | None]]] = {
    "good": [],
    "dk000-broken": [("DK000", ".devcontainer/devcontainer.json", 4)],
    "dk002-no-cache-mount": [("DK002", "Dockerfile", 3)],
    "dk003-docker-clean": [("DK003", "Dockerfile", 2)],
    "dk004-source-first": [("DK004", "Dockerfile", 3)],
    "dk005-toolchain": [("DK005", "Dockerfile", 3)],
    "dk006-root": [("DK006", "Dockerfile", 4)],
    "dk007-secrets": [
        ("DK007", "Dockerfile", 2),
        ("DK007", "Dockerfile", 3),
        ("DK007", "Dockerfile", 5),
    ],
    "dk008-no-dockerignore": [("DK008", ".dockerignore", None)],
    "dk009-leaky-dockerignore": [("DK009", ".dockerignore", None)],
    "dk010-secret-files": [("DK010", ".dockerignore", None)],
    "dk011-cache-no-volume": [("DK011", ".devcontainer/devcontainer.json", 4)],
    "dk012-volume-root-owned": [
        ("DK012", ".devcontainer/compose.yaml", 8),
        ("DK012", ".devcontainer/compose.yaml", 9),
    ],
    "dk013-syntax-directive": [("DK013", "Dockerfile", 1)],
    "dk014-copy-ignored": [("DK014", "Dockerfile", 3), ("DK014", "Dockerfile", 4)],
}


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    if name in EXTRAS:
        EXTRAS[name](dest)
    return dest


def _triples(report: doctor.Report) -> list[tuple[str, str, int | None]]:
    return [(f.rule, f.file, f.line) for f in report.findings]


def test_every_rule_has_a_bad_fixture() -> None:
    covered = {rule for found in EXPECTED.values() for rule, _, _ in found} | {"DK001"}
    assert covered == set(doctor.RULES)
    assert {p.name for p in FIXTURES.iterdir()} == set(EXPECTED) | {"dk001-buildkit"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_finds_exactly_its_rule(name: str, tmp_path: Path) -> None:
    report = doctor.audit(_copy(name, tmp_path), buildkit=buildkit_ok)
    assert _triples(report) == EXPECTED[name], [f.message for f in report.findings]
    for finding in report.findings:
        assert finding.severity == doctor.RULES[finding.rule].severity
        assert finding.message


def test_good_repository_is_clean_even_with_its_git_folder(tmp_path: Path) -> None:
    root = _copy("good", tmp_path)
    _git_folder(root)
    _node_modules(root)
    (root / ".env").write_text("SECRET=1\n")
    report = doctor.audit(root, buildkit=buildkit_ok)
    assert report.findings == []
    assert report.summary().startswith("no problems found in 4 files")
    (ctx,) = report.contexts
    assert ctx.context == "." and ctx.dockerignore == ".dockerignore"
    assert ctx.bytes_total - ctx.bytes_sent > 200_000  # .git and node_modules stay home


def test_dk001_buildkit_missing_is_an_error_when_the_dockerfile_needs_it(tmp_path: Path) -> None:
    root = _copy("dk001-buildkit", tmp_path)
    calls: list[int] = []

    def probe() -> doctor.BuildKitStatus:
        calls.append(1)
        return buildkit_missing()

    report = doctor.audit(root, buildkit=probe)
    assert _triples(report) == [("DK001", "Dockerfile", 2)]  # the heredoc RUN
    assert report.findings[0].severity == "error"
    assert "(fake)" in report.findings[0].message
    assert calls == [1]
    assert doctor.audit(root, buildkit=buildkit_ok).findings == []
    assert doctor.audit(root, buildkit=None).findings == []


def test_dk001_warning_without_buildkit_syntax_or_when_only_another_client_has_it(
    tmp_path: Path,
) -> None:
    root = _copy("dk001-buildkit", tmp_path)
    (root / "Dockerfile").write_text("FROM busybox:latest\nUSER 1000\n")
    report = doctor.audit(root, buildkit=buildkit_missing)
    assert [(f.rule, f.severity, f.line) for f in report.findings] == [("DK001", "warning", None)]
    root2 = _copy("dk001-buildkit", tmp_path / "two")
    report = doctor.audit(root2, buildkit=buildkit_elsewhere)
    assert [(f.rule, f.severity, f.line) for f in report.findings] == [("DK001", "warning", 2)]


def test_dk001_without_an_engine_is_only_info(tmp_path: Path) -> None:
    root = _copy("dk001-buildkit", tmp_path)

    def probe() -> doctor.BuildKitStatus:
        return doctor.BuildKitStatus(False, False, "no engine (fake)", checked=False)

    report = doctor.audit(root, buildkit=probe)
    assert [(f.rule, f.severity, f.line) for f in report.findings] == [("DK001", "info", 2)]
    assert not report.has_errors


def test_buildkit_status_tells_a_missing_engine_from_a_missing_buildkit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from devkit import buildkit

    down = "probe build failed: Cannot connect to the Docker daemon at unix:///x.sock"
    infos = {
        "down": buildkit.BuildKitInfo(
            available=False, attempts=(buildkit.Attempt("/usr/bin/docker", "buildx", False, down),)
        ),
        "old": buildkit.BuildKitInfo(
            available=False,
            attempts=(buildkit.Attempt("/usr/bin/docker", "docker-build", False, "classic"),),
        ),
    }
    for name, info in infos.items():
        monkeypatch.setattr(buildkit, "detect", lambda refresh=False, info=info: info)
        status = doctor.buildkit_status()
        assert not status.available
        assert status.checked is (name == "old")


def test_buildkit_status_gives_the_gist_of_why_the_default_client_cannot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from devkit import buildkit

    failed = "probe build failed:\n" + "x" * 200 + " (the whole output)"
    info = buildkit.BuildKitInfo(
        available=True,
        docker="/usr/bin/docker",
        mode="docker-build",
        attempts=(
            buildkit.Attempt("/opt/old/docker", "buildx", False, "no buildx plugin (unknown)"),
            buildkit.Attempt("/opt/old/docker", "docker-build", False, failed),
            buildkit.Attempt("/usr/bin/docker", "buildx", True, "BuildKit build works"),
        ),
    )
    monkeypatch.setenv("DEVKIT_DOCKER", "/opt/old/docker")
    monkeypatch.setattr(buildkit, "detect", lambda refresh=False: info)
    status = doctor.buildkit_status()
    assert not status.default_client_ok
    gist = "probe build failed: " + "x" * 79 + "…"
    assert f"(no buildx plugin; {gist}); " in status.detail


def test_dk001_probe_is_not_run_without_dockerfiles(tmp_path: Path) -> None:
    def probe() -> doctor.BuildKitStatus:
        raise AssertionError("no Dockerfile, no probe")

    assert doctor.audit(tmp_path, buildkit=probe).findings == []


def test_dk008_reports_sizes_and_what_to_ignore(tmp_path: Path) -> None:
    report = doctor.audit(_copy("dk008-no-dockerignore", tmp_path), buildkit=buildkit_ok)
    (finding,) = report.findings
    assert ".git" in finding.message
    (ctx,) = report.contexts
    assert ctx.dockerignore is None
    assert ctx.bytes_sent == ctx.bytes_total > 200_000


def test_dk009_measures_the_context_with_and_without(tmp_path: Path) -> None:
    report = doctor.audit(_copy("dk009-leaky-dockerignore", tmp_path), buildkit=buildkit_ok)
    (finding,) = report.findings
    assert ".git" in finding.message and "node_modules" in finding.message
    (ctx,) = report.contexts
    assert ctx.bytes_sent > 250_000  # .git (200 kB) and node_modules (54 kB) are sent


def test_dk010_names_the_leaking_files_only(tmp_path: Path) -> None:
    report = doctor.audit(_copy("dk010-secret-files", tmp_path), buildkit=buildkit_ok)
    (finding,) = report.findings
    assert "deploy/id_rsa" in finding.message and ".env.local" in finding.message
    assert ".env.example" not in finding.message and "ca.pem" not in finding.message
    assert ".env," not in finding.message  # excluded by the fixture's .dockerignore


def test_dk010_is_a_warning_when_nothing_copies_the_whole_context(tmp_path: Path) -> None:
    root = _copy("dk010-secret-files", tmp_path)
    (root / "Dockerfile").write_text("FROM busybox:latest\nCOPY src /src\nUSER 1000\n")
    (finding,) = doctor.audit(root, buildkit=buildkit_ok).findings
    assert (finding.rule, finding.severity) == ("DK010", doctor.WARNING)
    assert "no COPY . copies them" in finding.message


def test_the_context_table_is_what_buildcontext_measures(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nCOPY src /src\nUSER 1000\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a = 1\n")
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "blob.bin").write_bytes(b"\0" * 50_000)
    (tmp_path / "notes.log").write_text("x" * 1000)
    # Exclude everything, then re-include src: as with BuildKit, neither the Dockerfile nor
    # the .dockerignore is sent (see devkit/buildcontext.py).
    (tmp_path / ".dockerignore").write_text("# comment\n*\n!src\n")
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    (ctx,) = report.contexts
    measured = buildcontext.Context(tmp_path)
    sent = measured.send(buildcontext.read_ignore(tmp_path / ".dockerignore"))
    assert (ctx.files_total, ctx.bytes_total) == measured.total
    assert (ctx.files_sent, ctx.bytes_sent) == (sent.files, sent.bytes) == (1, 6)


def test_dk014_a_copy_of_the_ignored_dockerfile_fails_too(tmp_path: Path) -> None:
    """BuildKit does not send an ignored Dockerfile (see devkit/buildcontext.py)."""
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nCOPY Dockerfile /x\nUSER 1000\n")
    (tmp_path / ".dockerignore").write_text("Dockerfile\n")
    findings = doctor.audit(tmp_path, buildkit=buildkit_ok).findings
    assert [(f.rule, f.line) for f in findings] == [("DK014", 2)]


def test_per_dockerfile_dockerignore_wins(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nUSER 1000\n")
    (tmp_path / "Dockerfile.dockerignore").write_text(".git\n")
    _git_folder(tmp_path)
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    assert report.findings == []
    assert report.contexts[0].dockerignore == "Dockerfile.dockerignore"


# ---------------------------------------------------------------- single-rule details


def _audit_dockerfile(tmp_path: Path, text: str) -> list[tuple[str, int | None]]:
    (tmp_path / "Dockerfile").write_text(text)
    (tmp_path / ".dockerignore").write_text(".git\n")
    return [(f.rule, f.line) for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings]


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
        _write(tmp_path, f"FROM busybox:latest\nRUN {command}\nUSER 1000\n"),
        buildkit=buildkit_ok,
    )
    assert [(f.rule, f.line) for f in report.findings] == [("DK002", 2)]
    assert report.findings[0].message.startswith(manager + " install")


def _write(tmp_path: Path, dockerfile: str) -> Path:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / ".dockerignore").write_text(".git\n")
    return tmp_path


@pytest.mark.parametrize(
    "run",
    [
        "--mount=type=cache,target=/root/.cache/pip pip install flask",
        "--mount=type=cache,id=pip,target=/home/dev/.cache/pip,uid=1000 pip install flask",
        "--mount=type=cache,target=/cache/pip-downloads pip install flask",
    ],
)
def test_dk002_accepts_cache_mounts(tmp_path: Path, run: str) -> None:
    assert _audit_dockerfile(tmp_path, f"FROM busybox\nRUN {run}\nUSER 1000\n") == []


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
    assert _audit_dockerfile(tmp_path, text) == []  # neither DK002 nor DK004


def test_dk002_follows_cache_dirs_moved_by_env(tmp_path: Path) -> None:
    text = (
        "FROM busybox\nENV UV_CACHE_DIR=/opt/uvc\n"
        "RUN --mount=type=cache,target=/opt/uvc uv sync\nUSER 1000\n"
    )
    assert _audit_dockerfile(tmp_path, text) == []


def test_dk002_sees_installs_in_heredocs_and_exec_form(tmp_path: Path) -> None:
    text = (
        'FROM busybox\nRUN <<EOT\nset -e\nnpm ci\nEOT\nRUN ["pip", "install", "flask"]\nUSER 1000\n'
    )
    assert _audit_dockerfile(tmp_path, text) == [("DK002", 2), ("DK002", 6)]


def test_dk003_is_satisfied_by_removing_the_hook_in_the_same_run(tmp_path: Path) -> None:
    text = (
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt \\\n"
        "    rm -f /etc/apt/apt.conf.d/docker-clean && apt-get update && apt-get install -y curl\n"
        "USER 1000\n"
    )
    assert _audit_dockerfile(tmp_path, text) == []


def test_dk003_only_for_a_mount_on_the_deb_cache(tmp_path: Path) -> None:
    text = (
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/lib/apt/lists \\\n"
        "    apt-get update && apt-get install -y curl\n"
        "USER 1000\n"
    )
    assert _audit_dockerfile(tmp_path, text) == []


def test_dk003_hook_removed_in_a_parent_stage_counts(tmp_path: Path) -> None:
    text = (
        "FROM debian:bookworm-slim AS base\n"
        "RUN rm -f /etc/apt/apt.conf.d/docker-clean\n"
        "FROM base\n"
        "RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y curl\n"
        "USER 1000\n"
    )
    assert _audit_dockerfile(tmp_path, text) == []


def test_dk004_not_when_dependencies_come_first(tmp_path: Path) -> None:
    text = (
        "FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\n"
        "RUN --mount=type=cache,target=/root/.npm npm ci\n"
        "COPY . .\n"
        "RUN --mount=type=cache,target=/root/.npm npm ci\nUSER node\n"
    )
    assert _audit_dockerfile(tmp_path, text) == []


def test_dk005_toolchain_removed_again_is_fine_and_sdk_base_is_not(tmp_path: Path) -> None:
    purged = (
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt rm -f /etc/apt/apt.conf.d/docker-clean"
        " && apt-get install -y gcc && make && apt-get purge -y gcc\nUSER 1000\n"
    )
    assert _audit_dockerfile(tmp_path, purged) == []
    sdk = "FROM golang:1.22\nUSER 1000\n"
    assert _audit_dockerfile(tmp_path, sdk) == [("DK005", 1)]
    multi = "FROM golang:1.22 AS build\nFROM busybox\nUSER 1000\n"
    assert _audit_dockerfile(tmp_path, multi) == []


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
    root = _copy("dk011-cache-no-volume", tmp_path)
    (root / "requirements.txt").unlink()
    (root / ".devcontainer" / "Dockerfile").write_text(
        "FROM golang:1.22\nRUN useradd -m dev\nUSER dev\n"
    )
    assert doctor.audit(root, buildkit=buildkit_ok).findings == []


def test_dk006_explicit_root_and_arg_substituted_user(tmp_path: Path) -> None:
    assert _audit_dockerfile(tmp_path, "FROM busybox\nUSER 1000\nUSER root:root\n") == [
        ("DK006", 3)
    ]
    text = "FROM busybox\nARG USERNAME=dev\nUSER ${USERNAME}\n"
    assert _audit_dockerfile(tmp_path, text) == []
    text = "ARG U=0\nFROM busybox\nARG U\nUSER $U\n"
    assert _audit_dockerfile(tmp_path, text) == [("DK006", 4)]


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
    assert _audit_dockerfile(tmp_path, text) == [("DK007", 2)]


def test_dk007_ignores_harmless_names(tmp_path: Path) -> None:
    text = (
        "FROM busybox\nARG TOKEN_FILE=/run/secrets/token\nENV PASSWORD_PATH=/x AUTHOR=me\n"
        "ENV GIT_ASKPASS=/bin/true\nUSER 1000\n"
        "ENV API_KEY_HEADER=X-Api-Key TOKEN_EXPIRY=3600 SECRET_KEY_BASE_DUMMY=1\n"
        "ENV AUTH_PROVIDER=github DISABLE_AUTH=true AUTH_DOMAIN=example.eu.auth0.com\n"
    )
    assert _audit_dockerfile(tmp_path, text) == []


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
    assert _audit_dockerfile(tmp_path, text) == [("DK007", 3)]


def test_dk011_volume_for_the_cache_dir_satisfies_it(tmp_path: Path) -> None:
    root = _copy("dk011-cache-no-volume", tmp_path)
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
    root = _copy("dk012-volume-root-owned", tmp_path)
    (root / ".devcontainer" / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\n"
        "RUN u=dev; useradd -m -u 1000 $u && install -d -o $u /home/$u/.history\n"
        "USER 1000\n"
        "RUN mkdir -p /home/dev/.cache/{pip,npm}\n"
    )
    assert doctor.audit(root, buildkit=buildkit_ok).findings == []


def test_dk012_braces_expand_only_under_bash(tmp_path: Path) -> None:
    root = _copy("dk012-volume-root-owned", tmp_path)
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
    root = _copy("dk012-volume-root-owned", tmp_path)
    (root / ".devcontainer" / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\nRUN useradd -m dev\nUSER dev\n"
        "COPY .devcontainer /home/dev/.history\nCOPY --chown=dev .devcontainer /home/dev/.cache\n"
    )
    assert [(f.rule, f.line) for f in doctor.audit(root, buildkit=None).findings] == [("DK012", 8)]


def test_other_services_of_the_dev_containers_compose_project_are_audited(tmp_path: Path) -> None:
    root = _copy("good", tmp_path)
    compose = root / ".devcontainer" / "compose.yaml"
    compose.write_text(
        compose.read_text().replace("services:\n", "services:\n  db:\n    build: ../db\n", 1)
    )
    (root / "db").mkdir()
    (root / "db" / "Dockerfile").write_text(
        "FROM busybox\nUSER 1000\nENV POSTGRES_PASSWORD=secret\n"
    )
    (root / "db" / ".dockerignore").write_text(".git\n")
    assert _triples(doctor.audit(root, buildkit=buildkit_ok)) == [("DK007", "db/Dockerfile", 3)]


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


def test_jsonc_keeps_strings_with_comment_markers() -> None:
    text = '{\n  // c\n  "url": "http://x/*y*/", /* z */\n  "list": [1, 2,],\n}\n'
    data = json.loads(doctor.strip_jsonc(text))
    assert data == {"url": "http://x/*y*/", "list": [1, 2]}
    assert doctor.strip_jsonc(text).count("\n") == text.count("\n")


def test_unreadable_dockerfile_and_compose_are_dk000(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("# just a comment\nRUN echo hi\n")
    (tmp_path / "compose.yaml").write_text("services:\n  web: [unclosed\n")
    found = _triples(doctor.audit(tmp_path, buildkit=buildkit_ok))
    assert ("DK000", "Dockerfile", None) in found
    assert ("DK000", "compose.yaml", 3) in found


def test_files_that_are_not_utf8_are_dk000_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_bytes(b'{\n  "name": "caf\xe9"\n}\n')
    (tmp_path / "compose.yaml").write_bytes(b"services:\n  web:\n    image: \xff\n")
    found = _triples(doctor.audit(tmp_path, buildkit=buildkit_ok))
    assert ("DK000", ".devcontainer/devcontainer.json", 2) in found
    assert ("DK000", "compose.yaml", 3) in found


def test_a_missing_dockerfile_is_dk000_not_a_clean_report(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text(
        '{\n  "name": "x",\n  "build": {"dockerfile": "Dockerfile.dev"}\n}\n'
    )
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    build: ./web\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "Dockerfile").symlink_to(tmp_path / "nowhere")
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    assert _triples(report) == [
        ("DK000", ".devcontainer/devcontainer.json", 3),
        ("DK000", "compose.yaml", 2),
        ("DK000", "tools/Dockerfile", None),
    ]
    assert report.has_errors
    assert "Dockerfile.dev does not exist" in report.findings[0].message
    assert "dangling symlink" in report.findings[2].message


def test_an_empty_folder_says_there_was_nothing_to_audit(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    assert report.findings == [] and not report.has_errors
    assert report.summary().startswith("nothing to audit")


def test_audit_rejects_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DevkitError, match="no such directory"):
        doctor.audit(tmp_path / "nope")


# ---------------------------------------------------------------- CLI


def test_cli_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _copy("good", tmp_path)
    assert main(["doctor", str(good), "--json", "--no-buildkit-check"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] == [] and data["summary"]["error"] == 0

    bad = _copy("dk007-secrets", tmp_path)
    assert main(["doctor", str(bad), "--json", "--no-buildkit-check"]) == 1
    data = json.loads(capsys.readouterr().out)
    first = data["findings"][0]
    assert first["rule"] == "DK007" and first["line"] == 2 and first["severity"] == "error"
    assert first["why"] and first["fix"] and first["docs"] == "docs/doctor/DK007.md"
    assert data["summary"]["error"] == 3

    info_only = _copy("dk013-syntax-directive", tmp_path)
    assert main(["doctor", str(info_only), "--no-buildkit-check"]) == 0
    assert "0 errors, 0 warnings, 1 info" in capsys.readouterr().out

    warn_only = _copy("dk002-no-cache-mount", tmp_path)
    assert main(["doctor", str(warn_only), "--no-buildkit-check"]) == 0
    out = capsys.readouterr().out
    assert "DK002" in out and "Dockerfile:3" in out
    assert "0 errors, 1 warning, 0 info" in out
    if "COLUMNS" not in os.environ:  # a log is printed 120 wide: the fix stays on one line
        assert f"fix: {doctor.RULES['DK002'].fix}" in out


def test_cli_table_fits_an_80_column_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    root = _copy("dk012-volume-root-owned", tmp_path)
    assert main(["doctor", str(root), "--no-buildkit-check"]) == 1
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line[:1] in "┏┃┡│└"]
    assert table and max(len(line) for line in table) <= 80
    # the file:line leads the message (a column of its own would cut paths mid-word)
    assert ".devcontainer/compose.yaml:8: Named volume mounted" in out


def test_ignore_rules_and_inline_suppression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy("dk007-secrets", tmp_path)
    assert doctor.audit(root, buildkit=None, ignore=["dk007"]).findings == []
    dockerfile = root / "Dockerfile"
    lines = dockerfile.read_text().splitlines()
    lines.insert(1, "# the token is a build-only dummy  devkit-doctor: ignore=DK002, DK007")
    lines[5] += "  # devkit-doctor: ignore=DK007"  # ENV GH_PAT_VALUE, now line 6
    dockerfile.write_text("\n".join(lines) + "\n")
    assert _triples(doctor.audit(root, buildkit=None)) == [("DK007", "Dockerfile", 4)]
    assert main(["doctor", str(root), "--no-buildkit-check", "--ignore", "DK001,DK007"]) == 0
    capsys.readouterr()
    # A wrong command line exits 2, never 1 ("the audit found errors").
    assert main(["doctor", str(root), "--ignore", "DK999"]) == 2
    assert "unknown rule id DK999" in capsys.readouterr().err


def test_cli_bad_path_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert "no such directory" in err and len(err.strip().splitlines()) == 1


def test_cli_explain_prints_the_rules_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--explain", "dk003"]) == 0
    out = capsys.readouterr().out
    assert out == (DOCS / "doctor" / "DK003.md").read_text()
    assert main(["doctor", "--explain", "DK999"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule id DK999" in err and len(err.strip().splitlines()) == 1


def test_cli_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--help"]) == 0
    assert "devkit doctor ~/src/legacy-repo" in capsys.readouterr().out


def test_cli_as_a_subprocess(tmp_path: Path) -> None:
    good = _copy("good", tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "devkit", "doctor", str(good), "--no-buildkit-check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no problems found" in done.stdout
    bad = _copy("dk012-volume-root-owned", tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "devkit", "doctor", str(bad), "--json", "--no-buildkit-check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert [f["rule"] for f in json.loads(done.stdout)["findings"]] == ["DK012", "DK012"]


# ---------------------------------------------------------------- docs


def test_every_rule_has_a_docs_page() -> None:
    index = (DOCS / "doctor.md").read_text()
    for rule in doctor.iter_rules():
        page = DOCS / "doctor" / f"{rule.id}.md"
        assert page.is_file(), page
        text = page.read_text()
        # The page and the index show the same title and severity as the code (no drift).
        title = text.splitlines()[0].replace("`", "")
        assert title == f"# {rule.id} — {rule.title}", page
        assert f"Severity: **{rule.severity}**" in text, page
        assert "## Why" in text and "## Fix" in text, page
        row = next(line for line in index.splitlines() if f"(doctor/{rule.id}.md)" in line)
        assert rule.severity in row and rule.title in row.replace("`", ""), row
    assert {p.stem for p in (DOCS / "doctor").glob("*.md")} == set(doctor.RULES)


# ---------------------------------------------------------------- the real probe


@pytest.mark.docker
def test_real_buildkit_probe(docker_client: object, monkeypatch: pytest.MonkeyPatch) -> None:
    # Debian's docker 20.10 first on PATH: it builds with DOCKER_BUILDKIT=1.
    if not Path("/usr/bin/docker").exists():
        pytest.skip("no /usr/bin/docker on this machine")
    monkeypatch.delenv("DEVKIT_DOCKER", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    status = doctor.buildkit_status(refresh=True)
    assert status.available and status.default_client_ok, status.detail
    root = FIXTURES / "dk001-buildkit"
    assert doctor.audit(root, buildkit=lambda: status).findings == []
    # The same probe with a PATH whose docker cannot build with BuildKit at all.
    monkeypatch.setenv("DEVKIT_DOCKER", "/bin/false")
    status = doctor.buildkit_status(refresh=True)
    assert not status.default_client_ok
    finding = doctor.audit(root, buildkit=lambda: status).findings[0]
    assert finding.rule == "DK001" and finding.line == 2
