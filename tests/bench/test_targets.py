"""Which Dockerfiles a run benches (devkit.bench.targets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.bench.targets import make_targets
from devkit.errors import DevkitError

from .bench_helpers import small_project


def test_default_dockerfile_and_dev_stage(tmp_path: Path) -> None:
    target = small_project(tmp_path)
    targets = make_targets(tmp_path)
    assert targets[0].dockerfile == target.dockerfile.resolve()
    assert targets[0].stage == "dev"
    assert targets[0].name == ".devcontainer/Dockerfile"
    with pytest.raises(DevkitError, match="same Dockerfile"):
        make_targets(tmp_path, compare=Path(".devcontainer/Dockerfile"))
    with pytest.raises(DevkitError, match="does not exist"):
        make_targets(tmp_path, compare=Path("nope"))
