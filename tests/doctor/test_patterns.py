"""Patterns seen on real repositories (issue 11): each a small fixture written here that
reproduces a false positive or a miss doctor had (tests/fixtures/doctor/patterns/<name>/),
and exactly what doctor says about it now. The repositories themselves never enter this one.

The pattern names are those of the judging notes: ``dk008-no-saving`` is a DK008 finding
that saved nothing, ``template-files`` files named like Dockerfiles that are templates…
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from devkit import doctor

from .doctor_helpers import FIXTURES, buildkit_ok, copy_fixture, triples

PATTERNS_DIR = FIXTURES / "patterns"

PATTERNS: dict[str, list[tuple[str, str, int | None]]] = {
    # Dockerfile.tt (ERB), Dockerfile.template and jq/Go templates named like Dockerfiles
    "template-files": [],
    # build/Dockerfile is a source folder; target/ next to Cargo.toml, vendor/ next to
    # go.mod and a git-ignored dist/ are output
    "discovery-output-folders": [("DK002", "build/Dockerfile", 2)],
    # a context of two small files and no .dockerignore: one would change nothing
    "dk008-no-saving": [],
    # Compose's !reset and !override tags (and the default override file read with
    # compose.yaml) are valid Compose, not DK000
    "compose-reset-override": [],
    # git and URL build contexts are fetched by BuildKit: nothing local to audit, no DK000
    "compose-git-context": [],
    # dockerfile_inline is audited, its lines numbered as the compose file's
    "compose-inline": [("DK002", "compose.yaml", 7)],
    # a build declared through extends: {file:} and through include: has its real context
    "compose-extends-file": [("DK014", "docker/Dockerfile", 2)],
    "compose-include": [("DK014", "docker/Dockerfile", 2)],
    # `dockerfile: ${API_DOCKERFILE}` set in the project's .env (itself using an earlier
    # variable): Compose interpolates from .env, so the Dockerfile exists and is audited
    "compose-dotenv-dockerfile": [("DK006", "services/api/Dockerfile", 1)],
    # DK006: who runs the image. FROM mcr.microsoft.com/devcontainers/*: its
    # devcontainer.metadata label makes the Dev Containers CLI run it as vscode
    "dk006-mcr-metadata": [],
    # USER ${NB_UID}: an ENV of the base image only the build knows; no claim
    "dk006-user-var": [],
    # the entrypoint hands the server to another user (setpriv, gosu, su-exec, su -c)
    "dk006-entrypoint-stepdown": [],
    # ... also when the ENTRYPOINT names the script on PATH (start-container), or runs it
    # through tini after a COPY --from another stage that took it from the context (the
    # repository's root: a Dockerfile in docker/ nobody references is often built from there)
    "dk006-entrypoint-on-path": [],
    "dk006-entrypoint-from-stage": [],
    # Dockerfile.ci.debian-base is built only to be used FROM (its sibling Dockerfile.ci is
    # checked)
    "dk006-base-named": [("DK006", "docker/Dockerfile.ci", 1)],
    # a Dockerfile nobody builds whose image runs a REPL: a base for others' FROM
    "dk006-base-image": [("DK002", "Dockerfile", 3)],
    # a runtime's image (deno's): its entrypoint script execs the runtime with the command,
    # or an init runs it directly, and the command is an `eval` greeting; nothing of its own
    # is copied in (libraries into /lib/ are none). With an application copied in: checked
    "dk006-runtime-image": [("DK006", "app.Dockerfile", 2)],
    # Windows images have no root user
    "dk006-windows": [],
    # FROM quay.io/jupyter/*: the base image's config says USER jovyan
    "dk006-base-sets-user": [],
    # base.Dockerfile beside a devcontainer.json with remoteUser: that image's user
    "dk006-devcontainer-sibling": [],
    # FROM ${BASE} with no default: who the base runs as is unknown
    "dk006-unknown-base": [],
    # .NET's chiseled and distroless images set USER $APP_UID themselves
    "dk006-chiseled-dotnet": [("DK004", "Dockerfile", 3)],  # (a true one)
    # DK002: `yarn --version` after unpacking yarn is not an install
    "dk002-version-check": [],
    # DK007: `ENV SECRET_KEY_BASE=""` stores nothing; an ARG's value and an ENV set from
    # it do (--build-arg fills them)
    "dk007-empty-env": [("DK007", "Dockerfile", 4), ("DK007", "Dockerfile", 5)],
    # `go build` after `go mod download`: its build cache, not "go install"
    "dk002-go-build": [("DK002", "Dockerfile", 6)],
    # `dotnet publish --no-restore` downloads nothing
    "dk002-no-restore": [],
    # bundler, micromamba and bun are package managers too
    "dk002-bundler-conda-bun": [
        ("DK002", "Dockerfile", 3),
        ("DK002", "Dockerfile", 4),
        ("DK002", "Dockerfile", 5),
    ],
    # no cache mounts for Windows images
    "dk002-windows": [],
    # DK011: the manifests of the dev container's own workspace (samples/rust), not the
    # audited root's yarn.lock
    "dk011-subfolder-root-manifest": [],
    # the mcr python image runs as vscode: its cache is /home/vscode/.cache/pip
    "dk011-nonroot-user-home": [("DK011", ".devcontainer/devcontainer.json", 2)],
    # ghcr.io/<owner>/devcontainers/*: not root, but whom only the image's metadata says
    # (the message names ~/…; see test_rules_devcontainer.py)
    "dk011-third-party-devcontainer-image": [("DK011", ".devcontainer/devcontainer.json", 3)],
    # pnpm's store follows the bind-mounted workspace's disk
    "dk011-pnpm-store": [],
    # an npm install -g while the image is built is no runtime cache
    "dk011-build-only-manager": [],
    # frontend/yarn.lock: a sub-project of the workspace uses yarn
    "dk011-subproject-lock": [("DK011", ".devcontainer/devcontainer.json", 2)],
    # DK012: docker-in-docker's /var/lib/docker belongs to its root dockerd
    "dk012-dind": [],
    # `chown --from root:root -R app:app`: the owner is app, not --from's value
    "dk012-chown-from": [],
    # a chown -R of the parent does not cover a folder made later, as root
    "dk012-parent-chown-then-mkdir": [("DK012", ".devcontainer/devcontainer.json", 4)],
    # onCreate/postCreate `sudo chown` of the mount point gives it to the user
    "dk012-lifecycle-chown": [],
    # DK005: apt-mark auto + apt-get purge --auto-remove in the same RUN removes the tools
    "dk005-purged": [("DK002", "Dockerfile", 2)],
    # DK004: cargo-chef cooks the dependencies from recipe.json (the manifests' digest)
    # before the source is copied
    "dk004-cargo-chef": [
        ("DK002", "Dockerfile", 2),
        ("DK002", "Dockerfile", 10),
        ("DK002", "Dockerfile", 12),
    ],
    # an SDK image nobody builds, running a REPL: a toolchain on purpose (python's full image)
    "dk005-sdk-by-design": [],
    # `ENTRYPOINT ["go", "run", "main.go"]` needs the toolchain it ships; a tool image that
    # only runs what `go install` built does not
    "dk005-runs-toolchain": [
        ("DK005", "Dockerfile", 1),
        ("DK002", "Dockerfile", 2),
        ("DK006", "Dockerfile.compose", 2),
    ],
    # Dockerfile.base is only built to be used FROM
    "dk005-base-dockerfile": [("DK002", "Dockerfile.base", 2)],
    # a development runtime the project is mounted into: it runs a file of its WORKDIR that
    # nothing copies in (a path in an ENV its supervisor reads, `python app.py`); the
    # same image with the project copied in (shipped/) ships its build-essential
    "dk005-mounted-runtime": [
        ("DK006", "runtime/Dockerfile", 1),
        ("DK002", "runtime/Dockerfile", 4),
        ("DK006", "script/Dockerfile", 1),
        ("DK002", "script/Dockerfile", 3),
        ("DK006", "shipped/Dockerfile", 1),
        ("DK002", "shipped/Dockerfile", 3),
        ("DK005", "shipped/Dockerfile", 3),
    ],
    # a one-shot image whose command only copies what its build generated into a volume
    # (certs/); a tool image running the binary `go install` built still ships its SDK (tool/)
    "dk005-copy-out": [
        ("DK006", "certs/Dockerfile", 1),
        ("DK002", "certs/Dockerfile", 2),
        ("DK005", "tool/Dockerfile", 1),
        ("DK006", "tool/Dockerfile", 1),
        ("DK002", "tool/Dockerfile", 2),
    ],
    # DK004: `pip install --upgrade pip` with no manifest copied yet installs none of the
    # dependencies: the `pip install -r` after `COPY . .` reinstalls them on every edit
    "dk004-switched-off": [("DK004", "Dockerfile", 4)],
    # apt-get install git in a later stage is no dependency of the source
    "dk004-system-pkgs-later-stage": [],
    # manifests bind-mounted into the first `uv sync` count as copied for it
    "dk004-bind-mounted-manifests": [],
    # DK007: a placeholder DATABASE_URL for `prisma generate` in a builder stage
    "dk007-dummy-builder": [],
    # DK009: `!.git` re-includes .git on purpose (a build reading the git revision)
    "dk009-deliberate-reinclude": [("DK004", "Dockerfile", 2)],  # (a true one)
    # DK010: a dev .env of service defaults and placeholders holds no secret
    "dk010-placeholder-env": [],
    # a PGP public key named *.key is no secret
    "dk010-public-key": [],
    # keys and certificates under tests/ are fixtures
    "dk010-test-key": [],
    # a committed key a CI workflow decrypts its test credentials with
    "dk010-ci-key": [],
    # demo defaults: `changeit`, a value naming itself (monitoring_password) followed by a
    # comment, an empty API_KEY
    "dk010-demo-env": [],
}


def _gitignore_dist(root: Path) -> None:
    # written here: a .gitignore in the fixture would hide dist/ from this repository's git
    (root / ".gitignore").write_text("/dist\n")


#: Files a fixture cannot hold in git (a .gitignore that git would obey, a .git folder).
def _git_folder(root: Path) -> None:
    (root / ".git").mkdir()  # git cannot hold a .git folder in a fixture
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")


EXTRAS: dict[str, Callable[[Path], None]] = {
    "discovery-output-folders": _gitignore_dist,
    "dk009-deliberate-reinclude": _git_folder,
}


def copy_pattern(name: str, tmp_path: Path) -> Path:
    """A copy of pattern fixture ``name`` (with its extras) to audit."""
    return copy_fixture(name, tmp_path, PATTERNS_DIR, EXTRAS)


def test_every_pattern_fixture_has_its_expectation() -> None:
    assert {p.name for p in PATTERNS_DIR.iterdir()} == set(PATTERNS)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern(name: str, tmp_path: Path) -> None:
    report = doctor.audit(copy_pattern(name, tmp_path), buildkit=buildkit_ok)
    assert triples(report) == PATTERNS[name], [f.message for f in report.findings]


def test_templates_are_not_read_at_all(tmp_path: Path) -> None:
    report = doctor.audit(copy_pattern("template-files", tmp_path), buildkit=buildkit_ok)
    assert report.files == [".dockerignore", "Dockerfile"]


def test_output_folders_are_not_searched(tmp_path: Path) -> None:
    report = doctor.audit(copy_pattern("discovery-output-folders", tmp_path), buildkit=buildkit_ok)
    assert report.files == ["build/.dockerignore", "build/Dockerfile"]


def test_dk011_names_the_cache_of_the_user_the_image_runs_as(tmp_path: Path) -> None:
    report = doctor.audit(copy_pattern("dk011-nonroot-user-home", tmp_path), buildkit=buildkit_ok)
    (finding,) = report.findings
    assert finding.message == (
        "pip is used in this dev container but its cache (/home/vscode/.cache/pip) has no "
        "persistent volume"
    )
    report = doctor.audit(copy_pattern("dk011-subproject-lock", tmp_path), buildkit=buildkit_ok)
    (finding,) = report.findings
    assert "(/home/node/.cache/yarn, /home/node/.yarn/berry/cache)" in finding.message
