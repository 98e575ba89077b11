"""`devkit volumes backup|restore|verify|prune-backups`: backup files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.markup import escape

from devkit import engine
from devkit import volumes as vol
from devkit.cli._common import UI
from devkit.cli._signals import sigterm_as_interrupt
from devkit.cli.volumes._shared import checked, progress, project_volume_names
from devkit.errors import DevkitError, UsageError
from devkit.units import human_size
from devkit.volumes import archive


def run_backup(args: argparse.Namespace, ui: UI) -> int:
    with sigterm_as_interrupt():
        return _do_backup(args, ui)


def _do_backup(args: argparse.Namespace, ui: UI) -> int:
    if bool(args.names) == bool(args.project):
        raise UsageError("give either volume NAMEs or --project NAME")
    archive.check_level(args.compression, args.level)
    # Usage errors first: exit 2 whether or not the engine is reachable.
    if args.output == "-" and args.json:
        raise UsageError("--json cannot be combined with -o -")
    if args.output == "-" and len(args.names) > 1:
        raise UsageError("-o - (stdout) takes exactly one volume")
    client = engine.connect()
    names = list(args.names) or project_volume_names(client, args.project)
    for name in names:
        vol.check_name(name)
    if args.output == "-":
        if len(names) != 1:
            raise UsageError("-o - (stdout) takes exactly one volume")
        if sys.stdout.isatty():
            raise DevkitError("refusing to write a backup to a terminal; redirect stdout")
        with progress(ui, names[0]) as advance:
            vol.backup(
                client,
                names[0],
                output=sys.stdout.buffer,
                compression=args.compression,
                level=args.level,
                progress=advance,
            )
        sys.stdout.buffer.flush()
        return 0
    output = Path(args.output).expanduser() if args.output else None
    if output is not None and len(names) > 1 and not output.is_dir():
        raise DevkitError("with several volumes, -o must be an existing directory")
    results = []
    for name in names:
        with progress(ui, name) as advance:
            result = vol.backup(
                client,
                name,
                output=output,
                compression=args.compression,
                level=args.level,
                progress=advance,
            )
        results.append(result)
        if ui.err.is_terminal and not args.json:
            m = result.manifest
            ui.info(
                f"{name}: {m['file_count']} files, {human_size(m['uncompressed_bytes'])} -> "
                f"{human_size(m['compressed_bytes'])} in {result.path}"
            )
    if args.json:
        ui.print_json([r.to_dict() for r in results])
    return 0


def run_restore(args: argparse.Namespace, ui: UI) -> int:
    if str(args.backup) != "-":
        return _do_restore(args.backup.expanduser(), args, ui)
    if sys.stdin.isatty():
        raise DevkitError("BACKUP is '-' but stdin is a terminal; pipe a backup in")
    # The manifest is at the end and restore reads the file twice (check, then write),
    # so a piped backup is first copied, still compressed, into a private temp file.
    import shutil
    import tempfile

    spool_dir = vol.backups_dir() / ".incoming"
    try:
        spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=spool_dir, suffix=".partial", delete=False) as fh:
            spool = Path(fh.name)
            try:
                shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
            except BaseException:
                spool.unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise DevkitError(f"cannot store the piped backup in {spool_dir}: {exc.strerror}") from exc
    try:
        return _do_restore(spool, args, ui)
    finally:
        spool.unlink(missing_ok=True)


def _do_restore(path: Path, args: argparse.Namespace, ui: UI) -> int:
    manifest = archive.read_manifest(path)  # fail fast, before connecting
    client = engine.connect()

    def said(where: Path) -> None:
        ui.warn(f"safety backup of the current contents written to {where}")

    total = 2 * manifest["uncompressed_bytes"]  # checked first, then written
    with sigterm_as_interrupt(), progress(ui, f"check + restore {path.name}", total) as advance:
        result = vol.restore(
            client,
            path,
            target=args.to,
            force=args.force,
            progress=advance,
            on_safety_backup=said,
        )
    if args.json:
        ui.print_json(result.to_dict())
    elif ui.err.is_terminal:
        ui.info(
            f"restored {result.manifest['file_count']} files into volume {result.volume}"
            + checked(result.verified)
        )
    return 0


def run_verify(args: argparse.Namespace, ui: UI) -> int:
    failed = 0
    reports: list[dict[str, Any]] = []
    for path in args.backups:
        path = path.expanduser()
        try:
            manifest = archive.read_manifest(path)
            with progress(ui, f"verify {path.name}", manifest["uncompressed_bytes"]) as adv:
                manifest = archive.verify(path, progress=adv)
        except DevkitError as exc:
            failed += 1
            reports.append({"path": str(path), "ok": False, "error": str(exc)})
            if not args.json:
                ui.error(str(exc))
            continue
        reports.append({"path": str(path), "ok": True, "manifest": manifest})
        if not args.json:
            ui.out.print(
                escape(
                    f"{path}: ok (volume {manifest['volume']['name']}, "
                    f"{manifest['file_count']} files, "
                    f"{human_size(manifest['uncompressed_bytes'])}, "
                    f"{manifest['compression']}, created {manifest['created']})"
                )
            )
    if args.json:
        ui.print_json(reports)
    return 1 if failed else 0


def run_prune(args: argparse.Namespace, ui: UI) -> int:
    root = args.dir.expanduser() if args.dir else None
    if root is not None and not root.is_dir():
        raise DevkitError(f"no such directory: {root}")
    doomed = vol.prune_backups(args.keep, root=root, volume=args.volume, dry_run=args.dry_run)
    if args.json:
        ui.print_json({"dry_run": args.dry_run, "deleted": [str(b.path) for b in doomed]})
        return 0
    if args.dry_run or ui.err.is_terminal:
        verb = "would delete" if args.dry_run else "deleted"
        for b in doomed:
            ui.info(f"{verb} {b.path}")
    return 0
