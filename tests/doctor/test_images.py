"""images.py: what doctor knows of published images without pulling them."""

from __future__ import annotations

import pytest

from devkit.doctor.images import known_image, root_user


@pytest.mark.parametrize(
    ("ref", "user", "metadata"),
    [
        ("mcr.microsoft.com/devcontainers/python:3.12", "vscode", True),
        ("mcr.microsoft.com/vscode/devcontainers/typescript-node:20", "node", True),
        ("mcr.microsoft.com/devcontainers/universal:2", "codespace", True),
        ("quay.io/jupyter/scipy-notebook:latest", "jovyan", False),
        ("mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled", "1654", False),
        ("gcr.io/distroless/static:nonroot", "nonroot", False),
        ("docker.io/grafana/k6:2.2.0-with-browser@sha256:0123", "k6", False),
        ("python:3.12-slim", None, False),
        ("postgres:16", None, False),
    ],
)
def test_the_user_an_image_runs_as(ref: str, user: str | None, metadata: bool) -> None:
    image = known_image(ref)
    assert (image.user, image.metadata) == (user, metadata)


def test_what_else_is_known_of_an_image() -> None:
    assert dict(known_image("golang:1.22").env) == {"GOPATH": "/go"}
    assert known_image("docker.io/library/postgres:16").steps_down
    assert known_image("mcr.microsoft.com/windows/servercore:ltsc2022").windows
    assert known_image("jupyter/datascience-notebook").interactive
    assert known_image("registry.example/golang-tools:1") == known_image("unknown")


@pytest.mark.parametrize(
    ("user", "root"), [("", True), ("root", True), ("0:0", True), ("root:staff", True),
                       ("vscode", False), ("1000:1000", False)]
)  # fmt: skip
def test_root_user(user: str, root: bool) -> None:
    assert root_user(user) is root


def test_a_third_partys_dev_container_image_runs_as_someone_unknown() -> None:
    # built FROM the mcr images (their devcontainer.metadata inherited): not root, not named
    image = known_image("ghcr.io/example/devcontainers/php:8.4")
    assert (image.user, image.user_unknown, image.metadata) == (None, True, True)
    assert not known_image("mcr.microsoft.com/vscode/devcontainers/base:ubuntu").user_unknown
    assert not known_image("ghcr.io/example/app:1").user_unknown
