"""`devkit.volumes.oci`'s reading of the engine's push answer, without an engine."""

from __future__ import annotations

from typing import Any

import pytest

from devkit.errors import DevkitError
from devkit.volumes import oci

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


class _API:
    """The two docker-py calls ``_push`` makes, answering as an engine would."""

    def __init__(self, lines: list[dict[str, Any]], held: str) -> None:
        self.lines, self.held = lines, held

    def push(self, repository: str, tag: str, stream: bool, decode: bool) -> Any:
        return iter(self.lines)

    def inspect_distribution(self, ref: str) -> dict[str, Any]:
        return {"Descriptor": {"digest": self.held}}


class _Client:
    def __init__(self, lines: list[dict[str, Any]], held: str = DIGEST) -> None:
        self.api = _API(lines, held)


CLASSIC = [
    {"status": "The push refers to repository [127.0.0.1:5000/a/b]"},
    {"status": "Pushed", "id": "86239a5eeda0"},
    {"status": f"pip: digest: {DIGEST} size: 527"},
    {"progressDetail": {}, "aux": {"Tag": "pip", "Digest": DIGEST, "Size": 527}},
]
# The containerd image store: no aux record, only the status line.
CONTAINERD = CLASSIC[:3]


@pytest.mark.parametrize("lines", [CLASSIC, CONTAINERD], ids=["classic", "containerd"])
def test_the_pushed_digest_is_read_from_either_store(lines: list[dict[str, Any]]) -> None:
    assert (
        oci._push(_Client(lines), "127.0.0.1:5000/a/b", "pip", "127.0.0.1:5000/a/b:pip") == DIGEST
    )


def test_a_push_that_names_no_digest_is_not_a_success() -> None:
    with pytest.raises(DevkitError, match="without the registry's digest"):
        oci._push(_Client(CONTAINERD[:2]), "127.0.0.1:5000/a/b", "pip", "127.0.0.1:5000/a/b:pip")


def test_another_tags_digest_line_is_not_taken() -> None:
    lines = [{"status": f"other: digest: {DIGEST} size: 527"}]
    with pytest.raises(DevkitError, match="without the registry's digest"):
        oci._push(_Client(lines), "127.0.0.1:5000/a/b", "pip", "127.0.0.1:5000/a/b:pip")


def test_the_registry_must_hold_what_was_pushed() -> None:
    with pytest.raises(DevkitError, match="registry holds"):
        oci._push(_Client(CONTAINERD, held=OTHER), "127.0.0.1:5000/a/b", "pip", "x/a/b:pip")


@pytest.mark.parametrize(
    "said",
    [
        "manifest for 127.0.0.1:5000/a/b:pip not found: manifest unknown: manifest unknown",
        'failed to resolve reference "127.0.0.1:5000/a/b:pip": 127.0.0.1:5000/a/b:pip: not found',
    ],
    ids=["classic", "containerd"],
)
def test_an_absent_tag_is_said_as_such_by_either_store(said: str) -> None:
    assert str(oci._pull_error(said, "127.0.0.1:5000/a/b:pip")) == (
        "the registry has no 127.0.0.1:5000/a/b:pip"
    )
