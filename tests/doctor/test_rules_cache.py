"""DK015 (rules/cache.py): cache sources that can only hold the final stage, and the
configurations that look alike but are fine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit import doctor

from .doctor_helpers import buildkit_ok

TWO_STAGE = """\
FROM busybox:latest AS build
RUN echo built > /built.txt
FROM busybox:latest AS dev
COPY --from=build /built.txt /built.txt
USER 1000
"""
CHAIN = """\
FROM busybox:latest AS base
RUN echo base > /base.txt
FROM base AS dev
USER 1000
"""
MOUNT_FROM = """\
FROM busybox:latest AS tools
RUN echo tool > /tool
FROM busybox:latest AS dev
RUN --mount=type=bind,from=tools,source=/tool,target=/t cat /t
USER 1000
"""


def _compose(tmp_path: Path, build: str, dockerfile: str = TWO_STAGE) -> list[tuple[str, int]]:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / ".dockerignore").write_text(".git\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  dev:\n    image: ghcr.io/acme/app:latest\n    build:\n"
        "      context: .\n      target: dev\n" + build
    )
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    return [(f.rule, f.line or 0) for f in report.findings if f.rule == "DK015"]


@pytest.mark.parametrize(
    "build",
    [
        "      cache_from: [ghcr.io/acme/app:latest]\n",
        "      cache_from: [ghcr.io/acme/app]\n",  # :latest implied
        '      cache_from: ["type=registry,ref=ghcr.io/acme/app:latest"]\n',
        '      cache_from: [ghcr.io/acme/app:latest]\n      cache_to: ["type=inline"]\n',
        '      cache_from: ["type=registry,ref=ghcr.io/acme/app:cache"]\n'
        '      cache_to: ["type=registry,ref=ghcr.io/acme/app:cache"]\n',  # mode=min
        '      cache_from: ["type=local,src=/tmp/c"]\n      cache_to: ["type=local,dest=/tmp/c"]\n',
        '      cache_from: ["type=gha"]\n      cache_to: ["type=gha,mode=min"]\n',
    ],
    ids=["image", "image-latest", "typed", "inline", "registry-min", "local-min", "gha-min"],
)
def test_final_stage_only_sources_are_reported(tmp_path: Path, build: str) -> None:
    assert _compose(tmp_path, build) == [("DK015", 7)]


def test_the_message_names_the_stages_lost(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(MOUNT_FROM)
    (tmp_path / "compose.yaml").write_text(
        "services:\n  dev:\n    image: ghcr.io/acme/app:latest\n    build:\n"
        "      context: .\n      cache_from:\n        - ghcr.io/acme/app:latest\n"
    )
    (finding,) = [f for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings]
    assert finding.rule == "DK015" and finding.severity == doctor.WARNING
    assert "stage(s) tools" in finding.message and "dev image's own layers" in finding.message


@pytest.mark.parametrize(
    ("build", "dockerfile"),
    [
        # mode=max: every stage is in the cache
        (
            '      cache_from: ["type=registry,ref=ghcr.io/acme/app:cache"]\n'
            '      cache_to: ["type=registry,ref=ghcr.io/acme/app:cache,mode=max"]\n',
            TWO_STAGE,
        ),
        # one mode=max source is enough, whatever else is read
        (
            "      cache_from: [ghcr.io/acme/app:latest, ghcr.io/acme/app:cache]\n"
            '      cache_to: ["type=registry,ref=ghcr.io/acme/app:cache,mode=max"]\n',
            TWO_STAGE,
        ),
        # written elsewhere (a CI job, devkit prebuild --push): not judged
        ("      cache_from: [ghcr.io/acme/app:buildcache-dev]\n", TWO_STAGE),
        ('      cache_from: ["type=gha"]\n', TWO_STAGE),
        # the image is built on its stages: its own layers hold them
        ("      cache_from: [ghcr.io/acme/app:latest]\n", CHAIN),
        # no cache source at all
        ("      args: {BUILDKIT_INLINE_CACHE: '1'}\n", TWO_STAGE),
    ],
    ids=["registry-max", "one-max", "elsewhere", "gha-elsewhere", "from-chain", "none"],
)
def test_caches_that_hold_every_stage_are_not_reported(
    tmp_path: Path, build: str, dockerfile: str
) -> None:
    assert _compose(tmp_path, build, dockerfile) == []


def _devcontainer(tmp_path: Path, build: dict[str, object]) -> list[tuple[str, int]]:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "Dockerfile").write_text(TWO_STAGE)
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text(
        json.dumps({"build": {"dockerfile": "Dockerfile", **build}}, indent=2)
    )
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    return [(f.rule, f.line or 0) for f in report.findings if f.rule == "DK015"]


def test_devcontainer_cache_from_with_inline_cache_is_reported(tmp_path: Path) -> None:
    found = _devcontainer(
        tmp_path,
        {"args": {"BUILDKIT_INLINE_CACHE": "1"}, "cacheFrom": "ghcr.io/acme/dev:latest"},
    )
    assert found == [("DK015", 7)]


def test_devcontainer_cache_from_of_unknown_origin_is_not(tmp_path: Path) -> None:
    assert _devcontainer(tmp_path, {"cacheFrom": ["ghcr.io/acme/dev:latest"]}) == []


def test_a_later_compose_file_adds_cache_sources(tmp_path: Path) -> None:
    """Compose merges cache_from: a mode=max source in the override clears the finding."""
    assert _compose(tmp_path, "      cache_from: [ghcr.io/acme/app:latest]\n") == [("DK015", 7)]
    (tmp_path / "compose.override.yaml").write_text(
        "services:\n  dev:\n    build:\n"
        '      cache_from: ["type=registry,ref=ghcr.io/acme/app:cache"]\n'
        '      cache_to: ["type=registry,ref=ghcr.io/acme/app:cache,mode=max"]\n'
    )
    assert [f.rule for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings] == []
