"""Helpers for the doctor tests: fake BuildKit probes, fixture copies and small repositories.

Each fixture under tests/fixtures/doctor/ is copied to a temporary folder first (so files a
test adds — a .git folder, node_modules, private keys, which must not be committed — never
touch the checkout) and audited with a fake BuildKit probe unless the test is about DK001.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from devkit import doctor

TESTS = Path(__file__).resolve().parent.parent
FIXTURES = TESTS / "fixtures" / "doctor"
REPO_ROOT = TESTS.parent
DOCS = REPO_ROOT / "docs"


def buildkit_ok() -> doctor.BuildKitStatus:
    return doctor.BuildKitStatus(True, True, "/usr/bin/docker (fake), DOCKER_BUILDKIT=1")


def buildkit_missing() -> doctor.BuildKitStatus:
    return doctor.BuildKitStatus(False, False, "no docker CLI here can build with BuildKit (fake)")


def buildkit_elsewhere() -> doctor.BuildKitStatus:
    return doctor.BuildKitStatus(True, False, "`docker` on PATH cannot build with BuildKit (fake)")


def git_folder(root: Path) -> None:
    objects = root / ".git" / "objects" / "pack"
    objects.mkdir(parents=True)
    (objects / "pack-1.pack").write_bytes(b"\0" * 200_000)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")


def node_modules(root: Path) -> None:
    pkg = root / "node_modules" / "left-pad"
    pkg.mkdir(parents=True)
    (pkg / "index.js").write_text("module.exports = (s) => s;\n" * 2000)


def secret_files(root: Path) -> None:
    (root / ".env").write_text("DATABASE_PASSWORD=hunter2\n")  # excluded by its .dockerignore
    (root / ".env.local").write_text("API_TOKEN=abc\n")  # not excluded
    (root / ".env.example").write_text("API_TOKEN=\n")  # a template, not a secret
    (root / "deploy").mkdir()
    (root / "deploy" / "id_rsa").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    (root / "deploy" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nfake\n")


EXTRAS: dict[str, Callable[[Path], None]] = {
    "dk008-no-dockerignore": git_folder,
    "dk009-leaky-dockerignore": lambda root: (git_folder(root), node_modules(root)),
    "dk010-secret-files": secret_files,
}


def copy_fixture(
    name: str,
    tmp_path: Path,
    folder: Path = FIXTURES,
    extras: dict[str, Callable[[Path], None]] | None = None,
) -> Path:
    """A copy of fixture ``name`` of ``folder`` in ``tmp_path``, with the files its entry in
    ``extras`` (default :data:`EXTRAS`) adds."""
    dest = tmp_path / name
    shutil.copytree(folder / name, dest)
    extra = (EXTRAS if extras is None else extras).get(name)
    if extra is not None:
        extra(dest)
    return dest


def triples(report: doctor.Report) -> list[tuple[str, str, int | None]]:
    return [(f.rule, f.file, f.line) for f in report.findings]


def audit_dockerfile(tmp_path: Path, text: str) -> list[tuple[str, int | None]]:
    (tmp_path / "Dockerfile").write_text(text)
    (tmp_path / ".dockerignore").write_text(".git\n")
    return [(f.rule, f.line) for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings]


def write_dockerfile(tmp_path: Path, dockerfile: str) -> Path:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / ".dockerignore").write_text(".git\n")
    return tmp_path
