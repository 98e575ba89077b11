"""The dev container's start hook pulls the prebuilt image (``devkit volumes create
--pull-prebuilt``): one line, whatever happens, and never a reason not to start."""

from __future__ import annotations

from pathlib import Path

from devkit.cli._common import UI
from devkit.prebuild.pull import pull


def pull_prebuilt(project: Path, ui: UI) -> None:
    """Pull ``project``'s prebuilt dev image; say in one line what happened (a warning when
    the build will be local, and why). A project without a prebuild registry is quiet."""
    result = pull(project)
    if result is None:
        return
    if result.reused:
        ui.info(f"devkit: {result.message}")
    else:
        ui.warn(result.message)
