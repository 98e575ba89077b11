"""`devkit volumes create|list|copy|rm`: volumes themselves."""

from __future__ import annotations

import argparse
import sys

from rich.markup import escape
from rich.table import Table

from devkit import engine
from devkit import volumes as vol
from devkit.cli._common import UI
from devkit.cli._signals import sigterm_as_interrupt
from devkit.cli.volumes._shared import checked, labels_of, progress, project_volume_names
from devkit.errors import DevkitError, UsageError
from devkit.units import human_size
from devkit.volumes import oci


def run_create(args: argparse.Namespace, ui: UI) -> int:
    if bool(args.names) == bool(args.project):
        raise UsageError("give either volume NAMEs or --project DIR")
    if args.project and (args.project_name or args.purpose or args.label):
        raise UsageError("--project-name/--purpose/--label only apply to NAMEs")
    if args.seed_from and not args.project:
        raise UsageError("--seed-from needs --project (for one volume: devkit volumes pull)")
    if args.seed_from:
        oci.parse_ref(args.seed_from, pull=True)
    labels = labels_of(args)  # a wrong command line is exit 2 before the engine is asked
    chatty = args.verbose or ui.err.is_terminal
    client = engine.connect()
    if args.project:
        results = vol.create_project_volumes(
            client, args.project, restore_latest=args.restore_latest, seed_from=args.seed_from
        )
        for r in results:
            if r.warning:
                ui.warn(r.warning)
            if chatty and r.created:
                ui.info(f"created volume {r.name}")
            if chatty and r.restored_from:
                ui.info(f"seeded {r.name} from {r.restored_from}")
            if r.seeded_from:  # a download the user should know about, even in a hook
                ui.info(f"seeded {r.name} from {r.seeded_from}")
        return 0
    backups = vol.find_backups() if args.restore_latest else []
    for name in args.names:
        created = vol.create_volume(client, name, labels=labels)
        if created and chatty:
            ui.info(f"created volume {name}")
        if args.restore_latest:
            try:
                seeded = vol.seed_from_latest(client, name, created, backups)
            except DevkitError as exc:  # as with --project: cold caches rather than no start
                ui.warn(f"could not seed {name}: {exc}")
                continue
            if seeded and chatty:
                ui.info(f"seeded {name} from {seeded}")
    return 0


def run_list(args: argparse.Namespace, ui: UI) -> int:
    client = engine.connect()
    infos = vol.list_volumes(
        client,
        project=args.project,
        purpose=args.purpose,
        include_all=args.all,
        sizes=not args.no_size,
    )
    if args.json:
        ui.print_json([i.to_dict() for i in infos])
        return 0
    if not infos:
        ui.info("no volumes" + ("" if args.all else " created by devkit (try --all)"))
        return 0
    header = ("NAME", "PROJECT", "PURPOSE", "SIZE", "USED BY", "CREATED")
    rows = [
        (
            i.name,
            i.project or "-",
            i.purpose or "-",
            human_size(i.size),
            ", ".join(i.containers) or "-",
            (i.created or "-")[:19].replace("T", " "),
        )
        for i in infos
    ]
    if not ui.out.is_terminal:
        # Piped: plain aligned columns, never truncated or wrapped (for grep/awk).
        widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
        for row in [header, *rows]:
            line = "  ".join(
                cell.rjust(w) if c == 3 else cell.ljust(w)
                for c, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
            sys.stdout.write(line.rstrip() + "\n")
        return 0
    table = Table(box=None, pad_edge=False)
    for col in header:
        table.add_column(col, justify="right" if col == "SIZE" else "left", no_wrap=col == "NAME")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    ui.out.print(table)
    return 0


def run_copy(args: argparse.Namespace, ui: UI) -> int:
    labels = labels_of(args)
    if args.source == args.target:
        raise UsageError("SOURCE and TARGET are the same volume")
    client = engine.connect()
    if labels and vol.volume_exists(client, args.target):
        # The Engine API cannot relabel a volume; saying so beats silently ignoring them.
        raise DevkitError(
            f"volume {args.target} exists, and a volume's labels cannot change after it is "
            "created; drop --purpose/--project-name/--label or copy into a new name"
        )
    with sigterm_as_interrupt(), progress(ui, f"{args.source} → {args.target}") as advance:
        result = vol.copy_volume(client, args.source, args.target, labels=labels, progress=advance)
    if args.json:
        ui.print_json(result.to_dict())
    elif ui.err.is_terminal:
        made = " (created)" if result.created else ""
        ui.info(
            f"copied {result.source} into {result.target}{made}: "
            f"{human_size(result.tar_bytes)} of tar stream" + checked(result.verified)
        )
    return 0


def run_engine(args: argparse.Namespace, ui: UI) -> int:
    """`devkit volumes engine`: which engine answers and what its probe found."""
    from devkit.volumes import probe

    client = engine.connect()
    caps = probe.capabilities(client, reprobe=args.reprobe)
    if args.json:
        ui.print_json({**caps.to_dict(), "cache": str(probe.cache_path())})
        return 0
    for line in probe.describe(caps):
        ui.out.print(escape(line), soft_wrap=True)
    return 0


def run_rm(args: argparse.Namespace, ui: UI) -> int:
    if bool(args.names) == bool(args.project):
        raise UsageError("give either volume NAMEs or --project NAME")
    client = engine.connect()
    names = list(args.names) or project_volume_names(client, args.project)
    for name in names:  # check everything before removing anything
        vol.get_volume(client, name)
        vol.refuse_in_use(client, name, "remove")
    if not args.yes:
        if not ui.interactive:
            raise DevkitError("not on a terminal: add --yes to remove volumes without asking")
        ui.err.print(f"remove {len(names)} volume(s) and their data: {escape(', '.join(names))}")
        answer = ui.err.input(escape("continue? [y/N] ")).strip().lower()  # not rich markup
        if answer not in ("y", "yes"):
            ui.info("nothing removed")
            return 1
    for name in names:
        vol.remove_volume(client, name)
        if ui.err.is_terminal:
            ui.info(f"removed volume {name}")
    return 0
