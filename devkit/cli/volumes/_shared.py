"""What the `devkit volumes` subcommands share: progress bars, label options, the volumes
of a project."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from devkit import volumes as vol
from devkit.cli._common import UI
from devkit.errors import DevkitError, UsageError
from devkit.labels import PROJECT_LABEL, PURPOSE_LABEL


@contextlib.contextmanager
def progress(ui: UI, label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A bytes + MB/s progress bar on a terminal; a no-op callback otherwise."""
    if not ui.err.is_terminal:
        yield lambda n: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=ui.err,
        transient=True,
    )
    with bar:
        task = bar.add_task(escape(label), total=total)
        yield lambda n: bar.advance(task, n)


def project_volume_names(client: Any, project: str) -> list[str]:
    names = [v.name for v in vol.list_volumes(client, project=project, sizes=False)]
    if not names:
        raise DevkitError(f"no volumes of project {project!r} (see `devkit volumes list`)")
    return names


def add_label_options(p: argparse.ArgumentParser, what: str) -> None:
    """--project-name, --purpose and --label (read back by :func:`_labels`)."""
    p.add_argument("--project-name", metavar="NAME", help=f"{PROJECT_LABEL} label for {what}")
    p.add_argument("--purpose", metavar="PURPOSE", help=f"{PURPOSE_LABEL} label for {what}")
    p.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="extra label (repeat)"
    )


def labels_of(args: argparse.Namespace) -> dict[str, str]:
    """The labels given by --label KEY=VALUE, --project-name and --purpose."""
    labels: dict[str, str] = {}
    for item in args.label:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--label {item!r}: expected KEY=VALUE")
        labels[key] = value
    if args.project_name:
        labels[PROJECT_LABEL] = args.project_name
    if args.purpose:
        labels[PURPOSE_LABEL] = args.purpose
    return labels


def checked(verified: Any) -> str:
    """``" (checked: N entries, S s, from its folder)"``: how a restore or copy was verified."""
    if verified is None:
        return ""
    how = "from its folder" if verified.read == "mount" else "read back through the engine"
    return f" (checked: {verified.entries} entries, {verified.seconds:.2f} s, {how})"
