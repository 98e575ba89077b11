"""`devkit volumes`: placeholder registration; the real command is built in its own issue."""

from __future__ import annotations

import argparse

from devkit.cli._common import UI, add_command
from devkit.errors import DevkitError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_command(sub, "volumes", help="(not built yet)", examples="devkit volumes --help", handler=_run)


def _run(args: argparse.Namespace, ui: UI) -> int:
    raise DevkitError("'devkit volumes' is not built yet")
