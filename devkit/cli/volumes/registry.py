"""`devkit volumes push|pull`: a verified backup through an OCI registry."""

from __future__ import annotations

import argparse
from pathlib import Path

from devkit import engine
from devkit.cli._common import UI
from devkit.cli._signals import sigterm_as_interrupt
from devkit.cli.volumes._shared import progress
from devkit.units import human_size
from devkit.volumes import archive, helper, oci


def run_push(args: argparse.Namespace, ui: UI) -> int:
    """Back up NAME, verify it, push it as REF."""
    archive.check_level(args.compression, args.level)
    oci.parse_ref(args.ref)  # a wrong reference is exit 2 before the engine is asked
    helper.check_name(args.name)
    client = engine.connect()
    chatty = ui.err.is_terminal and not args.json
    with sigterm_as_interrupt(), progress(ui, f"back up {args.name}") as advance:
        result = oci.push(
            client,
            args.name,
            args.ref,
            compression=args.compression,
            level=args.level,
            progress=advance,
            on_stage=ui.info if chatty else None,
        )
    if args.json:
        ui.print_json(result.to_dict())
    else:
        ui.info(
            f"pushed {result.volume} ({result.manifest['file_count']} files, "
            f"{human_size(result.size)}) as {result.ref}@{result.digest}"
        )
    return 0


def run_pull(args: argparse.Namespace, ui: UI) -> int:
    """Pull REF, check it, restore it into NAME (or the volume it came from)."""
    oci.parse_ref(args.ref, pull=True)
    if args.name:
        helper.check_name(args.name)
    client = engine.connect()
    chatty = ui.err.is_terminal and not args.json

    def said(where: Path) -> None:
        ui.warn(f"safety backup of the current contents written to {where}")

    with sigterm_as_interrupt(), progress(ui, f"check + restore {args.ref}") as advance:
        result = oci.pull(
            client,
            args.ref,
            target=args.name,
            force=args.force,
            progress=advance,
            on_stage=ui.info if chatty else None,
            on_safety_backup=said,
        )
    if args.json:
        ui.print_json(result.to_dict())
    else:
        r = result.restored
        ui.info(
            f"restored {r.manifest['file_count']} files from {result.ref} into volume {r.volume}"
            + (" (created)" if r.created else "")
        )
    return 0
