"""Repository names and what registry errors mean; no registry needed."""

from __future__ import annotations

import pytest

from devkit.errors import UsageError
from devkit.prebuild import registry


@pytest.mark.parametrize(
    "good", ["ghcr.io/acme/api-dev", "127.0.0.1:5000/a/b", "localhost:5000/x", "docker.io/acme/x"]
)
def test_good_repositories(good: str) -> None:
    assert registry.parse_repository(good) == good


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("ghcr.io/Acme/api", "not a repository name"),
        ("ghcr.io/acme/api:latest", "without a tag"),
        ("ghcr.io/acme/api@sha256:" + "0" * 64, "without a digest"),
        ("acme/api", "name the registry host"),
        ("api", "not a repository name"),
        ("ghcr.io/acme/-api", "not a repository name"),
        ("ghcr.io/" + "a" * 250, "at most 255 characters"),
    ],
)
def test_bad_repositories(bad: str, why: str) -> None:
    with pytest.raises(UsageError, match=why):
        registry.parse_repository(bad)


@pytest.mark.parametrize(
    ("said", "meaning"),
    [
        (
            'ERROR: failed to do request: Head "http://127.0.0.1:5001/v2/a/manifests/t": '
            "dial tcp 127.0.0.1:5001: connect: connection refused",
            "cannot reach the registry 127.0.0.1:5001",
        ),
        (
            "ERROR: failed to push 127.0.0.1:5001/a:t: failed to authorize: failed to fetch "
            "oauth token: unexpected status: 401 Unauthorized",
            "did not accept the credentials",
        ),
        ("Get https://127.0.0.1:5001/v2/: no basic auth credentials", "did not accept"),
        (
            "ERROR: failed to push: denied: requested access to the resource is denied",
            "refused pushing",
        ),
        (
            "ERROR: failed to push: name invalid: repository name not known to registry",
            "refuses the repository name",
        ),
        (
            "tls: failed to verify certificate: x509: certificate signed by unknown authority",
            "over TLS",
        ),
    ],
)
def test_explain(said: str, meaning: str) -> None:
    error = registry.explain(said, "127.0.0.1:5001/a:t", "pushing")
    assert meaning in str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("ghcr.io/acme/caches", ("ghcr.io/acme/caches", None, None)),
        ("127.0.0.1:5000/c:pip", ("127.0.0.1:5000/c", "pip", None)),
        ("busybox", ("busybox", None, None)),
        ("r.io/c:t@sha256:" + "a" * 64, ("r.io/c", "t", "sha256:" + "a" * 64)),
    ],
)
def test_split_reference(text: str, parts: tuple[str, str | None, str | None]) -> None:
    assert registry.split_reference(text) == parts


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("R.io/Caches", "is not an image reference"),
        ("r.io/c:bad:tag", "is not a valid tag"),
        ("r.io/c@sha256:abc", "64 lower-case hex"),
        ("r.io/" + "c" * 260 + ":t", "at most 255 characters"),
    ],
)
def test_split_reference_refuses(bad: str, why: str) -> None:
    with pytest.raises(UsageError, match=why):
        registry.split_reference(bad)
