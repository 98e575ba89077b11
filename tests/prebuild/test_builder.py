"""Builder capabilities: platforms, emulators, the image store; no engine needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.errors import DevkitError, UsageError
from devkit.prebuild import builder
from devkit.prebuild.builder import Builder

INSPECT = """\
Name:          default
Driver:        docker
Last Activity: 2026-11-30 10:00:14 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.0.0+unknown
Platforms:        linux/amd64, linux/amd64/v2, linux/386
Labels:
 org.mobyproject.buildkit.worker.executor:             containerd
"""


def test_parse_inspect() -> None:
    fields = builder.parse_inspect(INSPECT)
    assert fields["name"] == "default" and fields["driver"] == "docker"
    assert fields["endpoint"] == "default" and fields["status"] == "running"
    assert fields["platforms"].startswith("linux/amd64,")


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("linux/amd64", "linux/amd64"),
        ("LINUX/ARM64", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("aarch64", "linux/arm64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/arm/v7", "linux/arm/v7"),
    ],
)
def test_parse_platform(text: str, normal: str) -> None:
    assert builder.parse_platform(text) == normal


@pytest.mark.parametrize("bad", ["linux/amd46", "plan9/amd64", "linux/arm/v9", "a/b/c/d", ""])
def test_unknown_platform_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError, match="unknown platform"):
        builder.parse_platform(bad)


def test_containerd_store_and_capabilities() -> None:
    snap = {"DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}
    classic = {"DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]]}
    assert builder.containerd_store(snap) and not builder.containerd_store(classic)
    assert not builder.containerd_store({})
    old = Builder("default", "docker", "default", ("linux/amd64",), containerd_store=False)
    new = Builder("default", "docker", "default", ("linux/amd64",), containerd_store=True)
    container = Builder("ci", "docker-container", "unix:///var/run/docker.sock", ("linux/amd64",))
    assert not old.registry_cache and not old.multi_platform
    assert new.registry_cache and new.multi_platform
    assert container.registry_cache and container.multi_platform


def test_several_platforms_on_the_classic_store_are_refused() -> None:
    old = Builder("default", "docker", "default", ("linux/amd64", "linux/arm64"), False)
    with pytest.raises(DevkitError, match="cannot build several platforms at once") as err:
        builder.check_platforms(old, ("linux/amd64", "linux/arm64"))
    assert "containerd-snapshotter" in str(err.value)
    builder.check_platforms(old, ("linux/arm64",))  # one at a time is fine


def test_missing_emulator_says_how_to_register_one(tmp_path: Path) -> None:
    local = Builder("default", "docker", "default", ("linux/amd64",), True)
    with pytest.raises(DevkitError, match="no emulator for linux/arm64") as err:
        builder.check_platforms(local, ("linux/amd64", "linux/arm64"), binfmt=tmp_path)
    assert "qemu-user-static" in str(err.value) and "binfmt" in str(err.value)
    # Registered after the builder started: its list is stale, the kernel knows better.
    (tmp_path / "qemu-aarch64").write_text("enabled\ninterpreter /usr/bin/qemu-aarch64-static\n")
    builder.check_platforms(local, ("linux/amd64", "linux/arm64"), binfmt=tmp_path)
    (tmp_path / "qemu-aarch64").write_text("disabled\n")
    with pytest.raises(DevkitError, match="no emulator"):
        builder.check_platforms(local, ("linux/arm64",), binfmt=tmp_path)


def test_remote_builder_without_the_platform(tmp_path: Path) -> None:
    remote = Builder("k8s", "kubernetes", "kubernetes:///x", ("linux/amd64",))
    (tmp_path / "qemu-aarch64").write_text("enabled\n")  # this machine's kernel does not count
    with pytest.raises(DevkitError, match=r"builder k8s .* cannot build linux/arm64"):
        builder.check_platforms(remote, ("linux/arm64",), binfmt=tmp_path)


def test_insecure_registry() -> None:
    info = {
        "RegistryConfig": {
            "InsecureRegistryCIDRs": ["127.0.0.0/8"],
            "IndexConfigs": {"reg.example:5000": {"Secure": False}},
        }
    }
    assert builder.insecure_registry(info, "127.0.0.1:5000")
    assert builder.insecure_registry(info, "reg.example:5000")
    assert not builder.insecure_registry(info, "10.1.2.3:5000")
    assert not builder.insecure_registry({}, "127.0.0.1:5000")
