"""The buildx command line for each kind of builder, and what counts as a complete tag.

No engine: the plan is put together by hand (the real-engine path is test_build_docker.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.errors import DevkitError
from devkit.labels import PREBUILD_INPUTS_LABEL
from devkit.prebuild import build, registry
from devkit.prebuild.builder import Builder
from devkit.prebuild.inputs import Inputs
from devkit.prebuild.plan import Plan
from devkit.prebuild.target import BuildTarget

CLASSIC = Builder("default", "docker", "default", ("linux/amd64",), containerd_store=False)
CONTAINERD = Builder("default", "docker", "default", ("linux/amd64",), containerd_store=True)


def _plan(tmp_path: Path, kind: Builder, platforms: tuple[str, ...] = ("linux/amd64",)) -> Plan:
    target = BuildTarget(
        tmp_path, tmp_path, tmp_path / "Dockerfile", "dev", {"PY": "3.12"}, image="svc:latest"
    )
    inputs = Inputs("Dockerfile", "sha256:" + "0" * 64, "dev", platforms)
    reg = registry.Registry("docker", "127.0.0.1:5000/acme/svc", insecure=True)
    return Plan(target, "docker", kind, platforms, inputs, reg)


def _flags(argv: list[str], name: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == name]


def test_registry_cache_on_an_engine_that_exports_it(tmp_path: Path) -> None:
    plan = _plan(tmp_path, CONTAINERD, ("linux/amd64", "linux/arm64"))
    argv = build.command(plan, build.Options(push=True))
    assert build.cache_mode(plan, build.Options(push=True)) == build.CACHE_REGISTRY
    assert _flags(argv, "--cache-to") == [
        "type=registry,ref=127.0.0.1:5000/acme/svc:buildcache-dev,mode=max,"
        "image-manifest=true,oci-mediatypes=true"
    ]
    assert _flags(argv, "--cache-from") == [
        "type=registry,ref=127.0.0.1:5000/acme/svc:buildcache-dev"
    ]
    assert _flags(argv, "--tag") == [f"127.0.0.1:5000/acme/svc:{plan.tag}"]
    assert _flags(argv, "--platform") == ["linux/amd64,linux/arm64"]
    assert "--push" in argv and "--load" not in argv
    assert _flags(argv, "--build-arg") == ["PY=3.12"] and _flags(argv, "--target") == ["dev"]
    labels = _flags(argv, "--label")
    assert f"{PREBUILD_INPUTS_LABEL}={plan.inputs.label()}" in labels


def test_inline_cache_on_the_classic_store(tmp_path: Path) -> None:
    plan = _plan(tmp_path, CLASSIC)
    argv = build.command(plan, build.Options(push=True))
    assert build.cache_mode(plan, build.Options(push=True)) == build.CACHE_INLINE
    assert _flags(argv, "--cache-to") == ["type=inline"]
    # The image doubles as the cache ref, so --cache-from is the same on every engine.
    assert _flags(argv, "--tag") == [plan.ref, "127.0.0.1:5000/acme/svc:buildcache-dev"]


def test_without_push_the_image_is_loaded_and_nothing_exported(tmp_path: Path) -> None:
    plan = _plan(tmp_path, CLASSIC)
    argv = build.command(plan, build.Options())
    assert "--load" in argv and "--push" not in argv and "--cache-to" not in argv
    assert build.cache_mode(plan, build.Options()) == build.CACHE_NONE


def test_push_needs_a_registry(tmp_path: Path) -> None:
    plan = _plan(tmp_path, CONTAINERD)
    plan.registry = None
    with pytest.raises(DevkitError, match="--push needs --registry"):
        build.command(plan, build.Options(push=True))
    assert plan.ref == "svc:" + plan.tag  # the compose image's repository


@pytest.mark.parametrize(
    ("found", "complete"),
    [
        (None, False),
        (registry.Published("r", "application/vnd.oci.image.index.v1+json",
                            {"linux/amd64": "sha256:a", "linux/arm64": "sha256:b"}), True),
        (registry.Published("r", "application/vnd.oci.image.index.v1+json",
                            {"linux/amd64": "sha256:a"}), False),
        (registry.Published("r", "application/vnd.oci.image.index.v1+json",
                            {"linux/amd64": "sha256:a"}, missing=("linux/arm64",)), False),
    ],
)  # fmt: skip
def test_complete_means_every_platform_is_there(
    tmp_path: Path, found: registry.Published | None, complete: bool
) -> None:
    plan = _plan(tmp_path, CONTAINERD, ("linux/amd64", "linux/arm64"))
    assert (build._complete(plan, found) is not None) == complete
