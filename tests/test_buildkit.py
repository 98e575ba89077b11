"""Which docker CLI builds with BuildKit (devkit.buildkit), with fake docker CLIs; a real
client is checked in tests/bench/test_docker.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devkit import buildkit
from devkit.errors import DevkitError

_FAKE_CLASSIC = """#!/bin/sh
echo "$@" >> "${0%/*}/calls.log"
case "$1" in
  buildx) echo "docker: 'buildx' is not a docker command." >&2; exit 1 ;;
  build) echo "Step 1/2 : FROM scratch"; echo "Successfully built 0123456789ab"; exit 0 ;;
  rmi) exit 0 ;;
esac
exit 0
"""

_FAKE_BUILDX = """#!/bin/sh
case "$1" in
  buildx)
    if [ "$2" = version ]; then echo "github.com/docker/buildx v0.12.0"; exit 0; fi
    echo "#1 [internal] load build definition from Dockerfile" >&2; exit 0 ;;
  version) echo "25.0.0"; exit 0 ;;
esac
exit 1
"""

_FAKE_BROKEN = """#!/bin/sh
echo "ERROR: BuildKit is enabled but the buildx component is missing or broken." >&2
exit 1
"""


def _fake(folder: Path, script: str) -> Path:
    folder.mkdir(parents=True)
    path = folder / "docker"
    path.write_text(script)
    path.chmod(0o755)
    return path


@pytest.fixture
def only_fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buildkit, "COMMON_LOCATIONS", ())
    monkeypatch.delenv(buildkit.DOCKER_ENV, raising=False)


@pytest.mark.usefixtures("only_fakes")
def test_classic_builder_is_never_taken_for_buildkit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _fake(tmp_path / "a", _FAKE_BROKEN)
    classic = _fake(tmp_path / "b", _FAKE_CLASSIC)
    monkeypatch.setenv("PATH", f"{broken.parent}{os.pathsep}{classic.parent}")
    info = buildkit.detect(refresh=True)
    assert not info.available
    message = info.explain()
    assert str(broken) in message and str(classic) in message
    assert "classic builder" in message and "buildx component is missing" in message
    with pytest.raises(DevkitError):
        info.require()
    # The image the classic builder made for the probe is removed again.
    assert "rmi 0123456789ab" in (classic.parent / "calls.log").read_text()


@pytest.mark.usefixtures("only_fakes")
def test_buildx_is_preferred_and_env_override_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    classic = _fake(tmp_path / "b", _FAKE_CLASSIC)
    buildx = _fake(tmp_path / "x", _FAKE_BUILDX)
    monkeypatch.setenv("PATH", str(classic.parent))
    monkeypatch.setenv(buildkit.DOCKER_ENV, str(buildx))
    info = buildkit.detect(refresh=True)
    assert info.available and info.docker == str(buildx) and info.mode == buildkit.MODE_BUILDX
    assert info.build_command() == [str(buildx), "buildx", "build", "--load"]
    assert "DOCKER_BUILDKIT" not in info.build_env({})
    assert info.client_version == "25.0.0"


@pytest.mark.usefixtures("only_fakes")
def test_no_docker_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    info = buildkit.detect(refresh=True)
    assert not info.available and "no docker CLI found" in info.explain()


@pytest.fixture(autouse=True)
def _forget_detection() -> object:
    """Detection is cached per process: do not leak a fake result into other tests."""
    yield
    buildkit._detect_cached.cache_clear()
