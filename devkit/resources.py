"""Where devkit's bundled files (the Copier template, JSON schemas, docs) are on disk.

In an installed wheel they live in ``devkit/_data/``; in a source checkout (editable install,
or tests run from the tree) they are the top-level ``copier-template/``, ``schemas/`` and ``docs/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PACKAGE_DIR = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name


def template_dir() -> Path:
    """The Copier template bundled with this devkit."""
    return _bundled("copier-template")


def template_history_dir() -> Path:
    """Archives of every released version of the bundled template (``v<version>.tar.gz``).

    They are ordinary package data inside ``devkit/``, so a devkit installed on a new machine
    still knows the template versions that older devkits shipped.
    """
    return _PACKAGE_DIR / "template_history"


def docs_dir() -> Path:
    """devkit's documentation (``docs/``; the pages ``devkit doctor --explain`` prints ship in
    the wheel as ``devkit/_data/docs/doctor``)."""
    return _bundled("docs")


def schema_path(name: str) -> Path:
    """Path of one of devkit's own JSON schemas, e.g. ``answers.schema.json``."""
    return _bundled("schemas") / name


def data_dir() -> Path:
    """devkit's per-user data folder (backups, versioned template copies).

    ``DEVKIT_DATA_DIR`` overrides platformdirs' location, which tests and CI use to stay
    out of the real user's folder.
    """
    override = os.environ.get("DEVKIT_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("devkit"))
