"""Helpers for the `devkit update` tests: small versioned templates and repositories made from them.

The templates are built here (not taken from ``copier-template/``) so the tests control exactly
what changes between versions: v2 adds a cache volume and changes the Dockerfile; v3 renames one
cache volume and drops another.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}

COPIER_YML = """\
_subdirectory: project
_answers_file: .copier-answers.yml
project_name:
  type: str
  default: demo
username:
  type: str
  default: dev
"""

ANSWERS_JINJA = "# Changes here will be overwritten by Copier\n{{ _copier_answers|to_nice_yaml }}"

DOCKERFILE_V1 = """\
FROM debian:bookworm-slim AS base
ARG USERNAME={{ username }}
RUN useradd -m "$USERNAME"

FROM base AS deps
COPY requirements.txt /tmp/
RUN pip install -r /tmp/requirements.txt

FROM deps AS dev
USER {{ username }}
WORKDIR /workspace
"""

# v2 changes one line: the pip install gets a BuildKit cache mount.
DOCKERFILE_V2 = DOCKERFILE_V1.replace(
    "RUN pip install",
    "RUN --mount=type=cache,target=/home/{{ username }}/.cache/pip,uid=1000 pip install",
)

COMPOSE_V1 = """\
services:
  dev:
    build:
      context: ..
      dockerfile: .devcontainer/Dockerfile
      target: dev
    command: sleep infinity
    volumes:
      - pip-cache:/home/{{ username }}/.cache/pip
      - build-cache:/workspace/.build
    environment:
      HISTFILE: /commandhistory/.bash_history

volumes:
  pip-cache:
    name: {{ project_name }}-pip-cache
    labels:
      dev.devkit.purpose: pip-cache
  build-cache:
    name: {{ project_name }}-build-cache
    labels:
      dev.devkit.purpose: build-cache
"""

# v2 adds a cache volume (a mount and its declaration).
COMPOSE_V2 = COMPOSE_V1.replace(
    "      - build-cache:/workspace/.build\n",
    "      - build-cache:/workspace/.build\n      - npm-cache:/home/{{ username }}/.npm\n",
) + (
    "  npm-cache:\n"
    "    name: {{ project_name }}-npm-cache\n"
    "    labels:\n"
    "      dev.devkit.purpose: npm-cache\n"
)

# v3 renames the pip cache volume and drops the build cache.
COMPOSE_V3 = (
    COMPOSE_V2.replace("{{ project_name }}-pip-cache", "{{ project_name }}-pip-cache-v3")
    .replace("      - build-cache:/workspace/.build\n", "")
    .replace(
        "  build-cache:\n    name: {{ project_name }}-build-cache\n"
        "    labels:\n      dev.devkit.purpose: build-cache\n",
        "",
    )
)

VERSIONS = {
    "1.0.0": {"Dockerfile": DOCKERFILE_V1, "compose.yaml": COMPOSE_V1},
    "2.0.0": {"Dockerfile": DOCKERFILE_V2, "compose.yaml": COMPOSE_V2},
    "3.0.0": {"Dockerfile": DOCKERFILE_V2, "compose.yaml": COMPOSE_V3},
}


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity; returns stdout (raises on failure)."""
    return subprocess.run(
        ["git", "-C", str(cwd), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_IDENTITY},
    ).stdout.strip()


def write_template_files(folder: Path, version: str) -> None:
    """Write one template version's files (copier.yml, VERSION, project/...) into ``folder``."""
    files = VERSIONS[version]
    dc = folder / "project" / ".devcontainer"
    dc.mkdir(parents=True, exist_ok=True)
    (folder / "copier.yml").write_text(COPIER_YML)
    (folder / "VERSION").write_text(version + "\n")
    (folder / "project" / "{{ _copier_conf.answers_file }}.jinja").write_text(ANSWERS_JINJA)
    (dc / "Dockerfile.jinja").write_text(files["Dockerfile"])
    (dc / "compose.yaml.jinja").write_text(files["compose.yaml"])
    (folder / "project" / "requirements.txt").write_text("requests\n")


def make_template(root: Path, versions: tuple[str, ...] = ("1.0.0", "2.0.0")) -> Path:
    """A template git repository with one commit and tag ``v<version>`` per version."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for version in versions:
        add_template_version(root, version)
    return root


def add_template_version(root: Path, version: str) -> None:
    """Release one more version of a template made by :func:`make_template`."""
    write_template_files(root, version)
    commit_all(root, f"template {version}")
    git(root, "tag", f"v{version}")


def render_project(
    template: str, dest: Path, ref: str = "v1.0.0", data: dict[str, Any] | None = None
) -> Path:
    """A project rendered from ``template`` at ``ref`` and committed as a git repository."""
    import copier

    copier.run_copy(
        template,
        dest,
        data={"project_name": dest.name, **(data or {})},
        vcs_ref=ref,
        defaults=True,
        quiet=True,
        unsafe=False,
    )
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "initial")
    return dest


def clone_project(original: Path, dest: Path) -> Path:
    """A byte-for-byte copy of a project, git history included."""
    shutil.copytree(original, dest, symlinks=True)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) with ``new`` in a text file."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def commit_all(repo: Path, message: str = "local edit") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def tree_digest(root: Path) -> str:
    """A hash of every file under ``root`` (``.git`` included): path, mode, mtime and bytes.

    Modification times count too: "touches nothing" also means not re-timing a file (git
    "freshens" objects it is asked to write again, even in another repository's object store).
    """
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            digest.update(f"L {rel} {os.readlink(path)}\n".encode())
            continue
        stat = path.stat()
        if path.is_file():
            digest.update(f"F {rel} {stat.st_mode:o} {stat.st_mtime_ns}\n".encode())
            digest.update(path.read_bytes())
        elif path.is_dir():
            digest.update(f"D {rel} {stat.st_mode:o} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@pytest.fixture
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits work anywhere, whatever the machine's git config."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)


#: A local, non-overlapping edit appended to a rendered Dockerfile.
LOCAL_LINE = "RUN echo local-tools >/etc/local-tools\n"
