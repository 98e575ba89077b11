"""devkit.labels: the one place where devkit's engine labels are spelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit import labels

DEVKIT = Path(labels.__file__).parent


def test_every_label_is_in_devkits_namespace_and_distinct() -> None:
    keys = [
        labels.MANAGED_LABEL,
        labels.PROJECT_LABEL,
        labels.PURPOSE_LABEL,
        labels.HELPER_LABEL,
        labels.BENCH_LABEL,
        labels.TEST_LABEL,
    ]
    assert all(key.startswith(labels.LABEL_PREFIX + ".") for key in keys)
    assert len(set(keys)) == len(keys)
    # What the rendered compose files and the docs spell out by hand.
    assert labels.PURPOSE_LABEL == "dev.devkit.purpose"
    assert labels.MANAGED_LABEL == "dev.devkit.managed"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("a=1", {"a": "1"}),
        (" a = 1 , b=2", {"a": "1", "b": "2"}),
        ("k=v=w", {"k": "v=w"}),  # only the first '=' splits
        ("novalue,a=", {"a": ""}),  # items without '=' are ignored
    ],
)
def test_extra_labels_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: dict[str, str]
) -> None:
    monkeypatch.setenv(labels.EXTRA_LABELS_ENV, raw)
    assert labels.extra_labels() == expected


def test_extra_labels_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(labels.EXTRA_LABELS_ENV, raising=False)
    assert labels.extra_labels() == {}


def test_labels_are_spelled_only_in_labels_py() -> None:
    """The one door for devkit's label names: no other module writes ``dev.devkit.`` out."""
    spelled = sorted(
        str(path.relative_to(DEVKIT))
        for path in DEVKIT.rglob("*.py")
        if path.name != "labels.py" and f"{labels.LABEL_PREFIX}." in path.read_text("utf-8")
    )
    assert spelled == []
