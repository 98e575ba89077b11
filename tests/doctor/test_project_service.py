"""One compose service's pieces (devkit.doctor.project.service): remote build contexts,
``volumes:`` entries as mounts, interpolation from the project's .env only."""

from __future__ import annotations

import pytest

from devkit.doctor.project import service


@pytest.mark.parametrize(
    ("context", "remote"),
    [
        ("https://github.com/acme/app.git#main", True),
        ("git@github.com:acme/app.git", True),
        ("github.com/acme/app", True),
        ("http://example.com/ctx.tar.gz", True),
        (".", False),
        ("../app", False),
        ("/srv/app", False),
        ("docker/github.com", False),
    ],
)
def test_remote_build_contexts(context: str, remote: bool) -> None:
    assert service.is_remote(context) is remote


def test_volume_entries_as_mounts() -> None:
    env = {"CACHE": "pip-cache"}
    short = service.compose_mount("${CACHE}:/root/.cache/pip", env)
    assert short is not None
    assert (short.kind, short.source, short.target) == ("volume", "pip-cache", "/root/.cache/pip")
    bind = service.compose_mount("./src:/app/src:ro", env)
    assert bind is not None and (bind.kind, bind.source) == ("bind", "./src")
    anonymous = service.compose_mount("/var/lib/docker", env)
    assert anonymous is not None and (anonymous.kind, anonymous.source) == ("volume", None)
    long = service.compose_mount({"type": "tmpfs", "target": "/tmp"}, env)
    assert long is not None and (long.kind, long.source, long.target) == ("tmpfs", None, "/tmp")
    assert service.compose_mount({"source": "x"}, env) is None  # no target: not a mount


def test_interpolation_reads_the_project_env_not_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMAGE_TAG", "from-the-machine")
    assert service.interp("app:${IMAGE_TAG:-dev}") == "app:dev"
    assert service.interp("app:${IMAGE_TAG}", {"IMAGE_TAG": "1.2"}) == "app:1.2"
