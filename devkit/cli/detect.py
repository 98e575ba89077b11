"""`devkit detect`: what `devkit new` would take from a repository, and from which files."""

from __future__ import annotations

import argparse
from pathlib import Path

from devkit.cli._common import UI, add_command
from devkit.errors import DevkitError

EXAMPLES = """\
devkit detect .                      # what devkit new would use here, and why
devkit detect ~/src/api --json       # every detected fact with its file and line
devkit detect . --json | jq '.detected.python.version'
"""

DESCRIPTION = """\
Read a repository's files (nothing is run, nothing is written) and show what `devkit new` would
take from them: stacks, package managers and their versions, toolchain versions with every
constraint found (version files, manifests, lock files, CI), the manifests an install reads,
extras, dependency groups, workspaces, packages that need a compiler, conflicts between files,
and the plan for an existing dev container. `devkit new PATH` offers the same as its defaults;
--data KEY=VALUE overrides any of them there.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``devkit detect`` to the command line."""
    parser = add_command(
        sub,
        "detect",
        help="show what devkit new would detect in a repository (nothing is written)",
        description=DESCRIPTION,
        examples=EXAMPLES,
        handler=_run,
    )
    parser.add_argument("path", metavar="PATH", help="the repository's folder")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print everything as JSON on stdout: detected (every fact and its file), answers "
        "(each with its file), not_used, plan",
    )


def _run(args: argparse.Namespace, ui: UI) -> int:
    from devkit.detect import adopt, detect

    target = Path(args.path).expanduser()
    if not target.is_dir():
        raise DevkitError(f"{target} is not a folder")
    detection = detect(target)
    adoption = adopt(detection)
    if args.json:
        ui.print_json({"detected": detection.to_dict(), **adoption.to_dict()})
        return 0
    from devkit.cli._detected import print_detection, print_plan

    print_detection(ui, detection, adoption, details=True)
    if adoption.plan is not None:
        print_plan(ui, adoption.plan, force=False)
    return 0
