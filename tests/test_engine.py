"""devkit.engine: one tuple of Docker SDK errors and one way to say them in a line."""

from __future__ import annotations

import subprocess
import sys

import docker.errors
import pytest
import requests

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


def test_describe_is_one_line() -> None:
    chained = docker.errors.DockerException("Error while fetching server API version\n  nested\n")
    assert engine.describe(chained) == "Error while fetching server API version"
    assert engine.describe(requests.exceptions.ReadTimeout()) == "ReadTimeout"
    cut = engine.describe(docker.errors.DockerException("x" * 1000))
    assert len(cut) == 300 and cut.endswith("…")
