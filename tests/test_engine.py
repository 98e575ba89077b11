"""devkit.engine: one tuple of Docker SDK errors and one way to say them in a line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import requests
from fake_engine import docker_version, fake_engine, podman_version

from devkit import engine
from devkit.errors import DevkitError


def test_docker_errors_cover_the_sdk_and_requests_beneath_it() -> None:
    for exc in (
        docker.errors.NotFound("gone"),
        docker.errors.APIError("500 Server Error"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectionError("refused"),
    ):
        assert isinstance(exc, engine.DOCKER_ERRORS)
    assert not isinstance(ValueError("x"), engine.DOCKER_ERRORS)
    with pytest.raises(AttributeError):
        _ = engine.NO_SUCH_NAME  # type: ignore[attr-defined]


def test_docker_errors_do_not_import_docker_until_read() -> None:
    """`devkit --help` and doctor must not pay for importing docker-py."""
    code = (
        "import sys, devkit.engine, devkit.volumes, devkit.bench; "
        "assert 'docker' not in sys.modules, 'imported early'; "
        "devkit.engine.DOCKER_ERRORS; assert 'docker' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_docker_error_prefers_the_engines_explanation() -> None:
    response = requests.Response()
    response.status_code = 409
    exc = docker.errors.APIError(
        "409 Client Error for http+docker://localhost/v1.45/volumes/v", response, "volume is in use"
    )
    error = engine.docker_error("removing volume v", exc)
    assert isinstance(error, DevkitError)
    assert str(error) == "removing volume v failed: volume is in use"


@pytest.mark.parametrize(
    "said",
    [
        # Docker 26.1 with the containerd image store, its snapshots on overlayfs.
        "failed to mount /tmp/containerd-mount2252856661: invalid argument",
        # Newer engines add the whole mount (shortened here) before the kernel's answer.
        'failed to mount /tmp/containerd-mount2157925519: mount source: "overlay", target: '
        '"/tmp/containerd-mount2157925519", fstype: overlay, flags: 0, data: "workdir='
        + "/var/lib/docker/containerd/daemon/snapshots/12/work,lowerdir=x" * 8
        + '", err: invalid argument',
    ],
)
def test_a_refused_snapshot_mount_says_what_to_do(said: str) -> None:
    response = requests.Response()
    response.status_code = 500
    exc = docker.errors.APIError("500 Server Error", response, said)
    message = str(engine.docker_error("creating a helper container for volume v", exc))
    assert message.startswith("creating a helper container for volume v failed: failed to mount ")
    assert "containerd-mount" in message and ": invalid argument (" in message
    assert engine.SNAPSHOT_MOUNT_HINT in message and "\n" not in message
    assert "lowerdir" not in message and len(message) < 400


def test_other_mount_failures_are_left_as_the_engine_said() -> None:
    response = requests.Response()
    response.status_code = 500
    said = "failed to mount /tmp/containerd-mount1: permission denied"
    exc = docker.errors.APIError("500 Server Error", response, said)
    assert engine.describe(exc) == said


def test_describe_is_one_line() -> None:
    chained = docker.errors.DockerException("Error while fetching server API version\n  nested\n")
    assert engine.describe(chained) == "Error while fetching server API version"
    assert engine.describe(requests.exceptions.ReadTimeout()) == "ReadTimeout"
    cut = engine.describe(docker.errors.DockerException("x" * 1000))
    assert len(cut) == 300 and cut.endswith("…")


# --------------------------------------------------------------------------- which engine, floor


def _connect_to(monkeypatch: pytest.MonkeyPatch, host: str) -> Any:
    monkeypatch.setenv("DOCKER_HOST", host)
    return engine.connect(timeout=10)


@pytest.mark.parametrize(
    ("answer", "kind", "version"),
    [
        (docker_version("26.1.5+dfsg1", "1.45"), engine.DOCKER, "26.1.5+dfsg1"),
        (docker_version("20.10.24+dfsg1", "1.41"), engine.DOCKER, "20.10.24+dfsg1"),
        (podman_version("4.3.1"), engine.PODMAN, "4.3.1"),
        (podman_version("5.4.2"), engine.PODMAN, "5.4.2"),
    ],
)
def test_identify_tells_docker_from_podman(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any], kind: str, version: str
) -> None:
    with fake_engine(tmp_path / "engine.sock", answer) as host:
        client = _connect_to(monkeypatch, host)
        info = engine.identify(client)
    assert (info.kind, info.version, info.host) == (kind, version, host)
    assert info.api_version == answer["ApiVersion"]
    assert info.name == f"{'Podman' if kind == engine.PODMAN else 'Docker'} {version}"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (docker_version("19.03.15", "1.40"), "(Docker 19.03.15) speaks Engine API 1.40; "),
        (docker_version("1.11.2", "1.23"), "speaks an Engine API older than 1.24"),
        (podman_version("4.2.1"), "is Podman 4.2.1; "),
        (podman_version("3.4.4", "1.40"), "(Podman 3.4.4) speaks Engine API 1.40; "),
    ],
)
def test_an_engine_older_than_the_floor_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any], expected: str
) -> None:
    sock = tmp_path / "engine.sock"
    with fake_engine(sock, answer) as host, pytest.raises(DevkitError) as caught:
        _connect_to(monkeypatch, host)
    message = str(caught.value)
    assert "\n" not in message and host in message and expected in message
    assert message.endswith(
        "devkit needs Engine API 1.41 or newer: Docker Engine 20.10+ or Podman 4.3+"
    )


def test_the_floor_engines_themselves_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for answer in (docker_version("20.10.24", "1.41"), podman_version("4.3.0")):
        with fake_engine(tmp_path / "engine.sock", answer) as host:
            _connect_to(monkeypatch, host).close()


def test_a_podman_socket_with_no_service_says_how_to_start_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "podman" / "podman.sock"  # left behind by a stopped service
    stale.parent.mkdir()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(stale))
    for path, reason in ((stale, "Connection refused"), (stale.with_name("x.sock"), "No such")):
        with pytest.raises(DevkitError) as caught:
            _connect_to(monkeypatch, f"unix://{path}")
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith(f"cannot reach Podman's API service at unix://{path}: {reason}")
        assert f"`podman system service --time=0 unix://{path} &`" in message


def test_a_missing_podman_service_from_the_command_line(tmp_path: Path) -> None:
    host = f"unix://{tmp_path}/podman.sock"
    done = subprocess.run(
        ["devkit", "volumes", "list"],
        env={**os.environ, "DOCKER_HOST": host},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert host in lines[0] and "podman system service" in lines[0]


def test_an_old_engine_from_the_command_line(tmp_path: Path) -> None:
    with fake_engine(tmp_path / "e.sock", docker_version("19.03.15", "1.40")) as host:
        done = subprocess.run(
            ["devkit", "volumes", "list"],
            env={**os.environ, "DOCKER_HOST": host},
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "speaks Engine API 1.40" in done.stderr and "Docker Engine 20.10+" in done.stderr
