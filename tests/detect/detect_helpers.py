"""Shared helpers for the detection tests: the fixture repositories and a quick detect()."""

from __future__ import annotations

import shutil
from pathlib import Path

from devkit.detect import Detection, detect

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "detect"


def fixture(name: str) -> Path:
    path = FIXTURES / name
    assert path.is_dir(), path
    return path


def copy_fixture(name: str, dest: Path) -> Path:
    """A writable copy of a fixture repository (for commands that write into it)."""
    target = dest / name
    shutil.copytree(fixture(name), target)
    return target


def detected(name_or_path: str | Path, arch: str = "x86_64") -> Detection:
    path = name_or_path if isinstance(name_or_path, Path) else fixture(name_or_path)
    return detect(path, arch=arch)


def write(root: Path, files: dict[str, str]) -> Path:
    """Write a small repository: {relative path: text}."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
