"""Locked packages built from source (devkit/detect/wheels.py)."""

from __future__ import annotations

from devkit.detect.reader import Repo
from devkit.detect.wheels import _usable, from_source

from .detect_helpers import fixture


def names(arch: str, python: tuple[int, ...] | None) -> dict[str, tuple[bool, str]]:
    built = from_source(Repo(fixture("uv-workspace")), "uv.lock", arch=arch, python=python)
    return {b.name: (b.native, b.why) for b in built}


def test_uv_lock_on_x86_64() -> None:
    assert names("x86_64", (3, 12)) == {
        "pure-sdist": (False, "no wheel at all"),
        "watcher": (True, "no wheel for Linux x86_64 and CPython 3.12"),
    }  # winonly is only installed on Windows; fastjson has a manylinux wheel


def test_the_machine_and_python_version_matter() -> None:
    assert "fastjson" not in names("aarch64", (3, 12))
    assert "fastjson" not in names("arm64", (3, 12))  # macOS/BSD spelling of aarch64
    assert names("x86_64", (3, 13))["fastjson"] == (
        True,
        "no wheel for Linux x86_64 and CPython 3.13",
    )
    assert "fastjson" not in names("x86_64", None)


def test_wheel_tags() -> None:
    assert _usable("a-1.0-py3-none-any.whl", "x86_64", (3, 12))
    assert _usable(
        "a-1.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "x86_64", (3, 13)
    )
    assert not _usable("a-1.0-cp314-abi3-manylinux_2_28_x86_64.whl", "x86_64", (3, 13))
    assert not _usable("a-1.0-cp312-cp312-musllinux_1_2_x86_64.whl", "x86_64", (3, 12))
    assert _usable("a-1.0-cp312-cp312-linux_x86_64.whl", "x86_64", (3, 12))
    assert not _usable("a-1.0-cp312-cp312-win_amd64.whl", "x86_64", None)
    assert not _usable("broken.whl", "x86_64", None)
