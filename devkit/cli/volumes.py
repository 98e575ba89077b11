"""`devkit volumes`: create, list, back up, restore, verify and remove named volumes."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
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
from rich.table import Table

from devkit import volumes as vol
from devkit.cli._common import UI, add_command, at_least
from devkit.cli._signals import sigterm_as_interrupt
from devkit.engine import connect
from devkit.errors import DevkitError, UsageError
from devkit.labels import PROJECT_LABEL, PURPOSE_LABEL
from devkit.units import human_size
from devkit.volumes import archive

EXAMPLES = """\
devkit volumes create --project .              # the volumes .devcontainer/compose.yaml declares
devkit volumes list --json
devkit volumes backup my-service-pip-cache
devkit volumes restore my-service-pip-cache--20250101T120000Z.tar.zst --to pip-cache-copy
devkit volumes prune-backups --keep 5
devkit volumes copy my-service-pip-cache my-service-pip-cache-v2
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub,
        "volumes",
        help="create, list, back up, restore, verify and remove named volumes",
        description=(
            "Look after the named volumes that keep package caches, shell history and editor "
            "extensions. Everything goes through the Docker Engine API (no docker CLI, no "
            "image pulled), so it also works against a remote engine (DOCKER_HOST)."
        ),
        examples=EXAMPLES,
    )
    vsub = parser.add_subparsers(dest="volumes_command", metavar="SUBCOMMAND")
    vsub.required = True

    p = add_command(
        vsub,
        "create",
        help="create volumes (by name, or all of a project's) with devkit's labels; idempotent",
        description=(
            "Create named volumes with devkit's labels. With --project DIR, create every volume "
            "DIR/.devcontainer/compose.yaml declares. Volumes that exist are left alone; nothing "
            "is printed on success unless on a terminal, so it is safe in lifecycle hooks."
        ),
        examples="""\
devkit volumes create --project .
devkit volumes create --project . --restore-latest   # seed new/empty volumes from backups
devkit volumes create scratch-cache --label team=web""",
        handler=_create,
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="volume names to create")
    p.add_argument(
        "--project", metavar="DIR", type=Path, help="project folder (with .devcontainer/)"
    )
    _add_label_options(p, "NAMEs")
    p.add_argument(
        "--restore-latest",
        action="store_true",
        help="seed each new or empty volume from its newest backup",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="say what was done")

    p = add_command(
        vsub,
        "list",
        help="list volumes with project, purpose, size and the containers using them",
        examples="""\
devkit volumes list
devkit volumes list --project my-service
devkit volumes list --all --json | jq '.[] | select(.size > 1e9) | .name'""",
        handler=_list,
    )
    p.add_argument("--project", metavar="NAME", help="only this project's volumes")
    p.add_argument("--purpose", metavar="PURPOSE", help="only volumes with this purpose")
    p.add_argument("--all", action="store_true", help="include volumes devkit did not create")
    p.add_argument("--no-size", action="store_true", help="skip measuring sizes (faster)")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = add_command(
        vsub,
        "backup",
        help="back up volumes into compressed files (zstd by default) with a manifest",
        description=(
            "Stream a volume's contents from the engine into a compressed tar with a manifest. "
            "Default location: <devkit data dir>/backups/<project>/<volume>--<UTC time>.tar.zst."
        ),
        examples="""\
devkit volumes backup my-service-pip-cache
devkit volumes backup --project my-service              # all of a project's volumes
devkit volumes backup my-service-pip-cache -o cache.tar.gz --compression gzip
devkit volumes backup my-service-pip-cache -o - | ssh host 'cat > b.tar.zst'""",
        handler=_backup,
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="volumes to back up")
    p.add_argument("--project", metavar="NAME", help="back up every volume of this project")
    p.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="file, existing directory, or '-' for stdout (one volume only)",
    )
    p.add_argument("--compression", choices=archive.COMPRESSIONS, default="zstd")
    p.add_argument(
        "--level",
        type=int,
        metavar="N",
        help="compression level (zstd 1-22, default 1; gzip 0-9, default 6)",
    )
    p.add_argument("--json", action="store_true", help="print the manifests as JSON")

    p = add_command(
        vsub,
        "restore",
        help="restore a backup into its volume (or --to a new one), checked before writing",
        description=(
            "Check the backup (manifest, SHA-256, every member) before touching any volume, then "
            "restore it. Refuses volumes used by any container, and non-empty volumes unless "
            "--force (which first takes a safety backup and says where)."
        ),
        examples="""\
devkit volumes restore backups/my-service-pip-cache--20250101T120000Z.tar.zst
devkit volumes restore b.tar.zst --to my-service-pip-cache-copy
devkit volumes restore b.tar.zst --force      # replace contents (safety backup first)
ssh host 'cat b.tar.zst' | devkit volumes restore - --to my-service-pip-cache""",
        handler=_restore,
    )
    p.add_argument(
        "backup",
        metavar="BACKUP",
        type=Path,
        help="backup file, or '-' to read it from stdin (kept in a private temp file)",
    )
    p.add_argument("--to", metavar="NEW_NAME", help="restore into this volume instead")
    p.add_argument(
        "--force", action="store_true", help="replace a non-empty volume (safety backup first)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add_command(
        vsub,
        "verify",
        help="check backups: manifest, checksum, archive readable to the end, members safe",
        examples="""\
devkit volumes verify my-service-pip-cache--20250101T120000Z.tar.zst
devkit volumes verify ~/.local/share/devkit/backups/*/*.tar.zst --json""",
        handler=_verify,
    )
    p.add_argument("backups", nargs="+", metavar="BACKUP", type=Path)
    p.add_argument("--json", action="store_true", help="print the manifests as JSON")

    p = add_command(
        vsub,
        "rm",
        help="remove volumes (asks first unless --yes; refuses volumes in use)",
        examples="""\
devkit volumes rm my-service-pip-cache
devkit volumes rm --project my-service --yes""",
        handler=_rm,
    )
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--project", metavar="NAME", help="every volume of this project")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = add_command(
        vsub,
        "copy",
        help="copy one volume's data into a new (or empty) volume, engine to engine",
        description=(
            "Copy SOURCE's files into TARGET with ownership, modes, links and mtimes. TARGET is\n"
            "created with SOURCE's driver and labels (adjusted by --purpose/--project-name/\n"
            "--label), or must already exist and be empty. SOURCE is never changed; a running\n"
            "container on it is refused. Use it after `devkit update` renamed a cache volume."
        ),
        examples="""\
devkit volumes copy my-service-pip-cache my-service-pip-cache-v2
devkit volumes copy old-history new-history --purpose shell-history --json""",
        handler=_copy,
    )
    p.add_argument("source", metavar="SOURCE", help="volume to copy from")
    p.add_argument("target", metavar="TARGET", help="new or empty volume to copy into")
    _add_label_options(p, "TARGET")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add_command(
        vsub,
        "prune-backups",
        help="delete old backups, keeping the newest N per volume",
        description=(
            "Keep the newest N backups of each volume and delete the rest. Only files whose "
            "trailer holds a valid devkit manifest are ever deleted."
        ),
        examples="""\
devkit volumes prune-backups --keep 5
devkit volumes prune-backups --keep 1 --volume my-service-pip-cache --dry-run""",
        handler=_prune,
    )
    p.add_argument(
        "--keep", type=at_least(0), required=True, metavar="N", help="backups to keep per volume"
    )
    p.add_argument("--volume", metavar="NAME", help="only this volume's backups")
    p.add_argument("--dir", type=Path, metavar="DIR", help="backups folder (default: devkit's)")
    p.add_argument("--dry-run", action="store_true", help="only show what would be deleted")
    p.add_argument("--json", action="store_true", help="print the deleted paths as JSON")


# --------------------------------------------------------------------------- output helpers


@contextlib.contextmanager
def _progress(ui: UI, label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
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


def _project_volume_names(client: Any, project: str) -> list[str]:
    names = [v.name for v in vol.list_volumes(client, project=project, sizes=False)]
    if not names:
        raise DevkitError(f"no volumes of project {project!r} (see `devkit volumes list`)")
    return names


# --------------------------------------------------------------------------- handlers


def _create(args: argparse.Namespace, ui: UI) -> int:
    if bool(args.names) == bool(args.project):
        raise UsageError("give either volume NAMEs or --project DIR")
    if args.project and (args.project_name or args.purpose or args.label):
        raise UsageError("--project-name/--purpose/--label only apply to NAMEs")
    labels = _labels(args)  # a wrong command line is exit 2 before the engine is asked
    chatty = args.verbose or ui.err.is_terminal
    client = connect()
    if args.project:
        results = vol.create_project_volumes(
            client, args.project, restore_latest=args.restore_latest
        )
        for r in results:
            if r.warning:
                ui.warn(r.warning)
            if chatty and r.created:
                ui.info(f"created volume {r.name}")
            if chatty and r.restored_from:
                ui.info(f"seeded {r.name} from {r.restored_from}")
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


def _list(args: argparse.Namespace, ui: UI) -> int:
    client = connect()
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


def _backup(args: argparse.Namespace, ui: UI) -> int:
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
    client = connect()
    names = list(args.names) or _project_volume_names(client, args.project)
    for name in names:
        vol.check_name(name)
    if args.output == "-":
        if len(names) != 1:
            raise UsageError("-o - (stdout) takes exactly one volume")
        if sys.stdout.isatty():
            raise DevkitError("refusing to write a backup to a terminal; redirect stdout")
        with _progress(ui, names[0]) as advance:
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
        with _progress(ui, name) as advance:
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


def _restore(args: argparse.Namespace, ui: UI) -> int:
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
    client = connect()

    def said(where: Path) -> None:
        ui.warn(f"safety backup of the current contents written to {where}")

    total = 2 * manifest["uncompressed_bytes"]  # checked first, then written
    with sigterm_as_interrupt(), _progress(ui, f"check + restore {path.name}", total) as advance:
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
        ui.info(f"restored {result.manifest['file_count']} files into volume {result.volume}")
    return 0


def _verify(args: argparse.Namespace, ui: UI) -> int:
    failed = 0
    reports: list[dict[str, Any]] = []
    for path in args.backups:
        path = path.expanduser()
        try:
            manifest = archive.read_manifest(path)
            with _progress(ui, f"verify {path.name}", manifest["uncompressed_bytes"]) as adv:
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


def _add_label_options(p: argparse.ArgumentParser, what: str) -> None:
    """--project-name, --purpose and --label (read back by :func:`_labels`)."""
    p.add_argument("--project-name", metavar="NAME", help=f"{PROJECT_LABEL} label for {what}")
    p.add_argument("--purpose", metavar="PURPOSE", help=f"{PURPOSE_LABEL} label for {what}")
    p.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="extra label (repeat)"
    )


def _labels(args: argparse.Namespace) -> dict[str, str]:
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


def _copy(args: argparse.Namespace, ui: UI) -> int:
    labels = _labels(args)
    if args.source == args.target:
        raise UsageError("SOURCE and TARGET are the same volume")
    client = connect()
    if labels and vol.volume_exists(client, args.target):
        # The Engine API cannot relabel a volume; saying so beats silently ignoring them.
        raise DevkitError(
            f"volume {args.target} exists, and a volume's labels cannot change after it is "
            "created; drop --purpose/--project-name/--label or copy into a new name"
        )
    with sigterm_as_interrupt(), _progress(ui, f"{args.source} → {args.target}") as advance:
        result = vol.copy_volume(client, args.source, args.target, labels=labels, progress=advance)
    if args.json:
        ui.print_json(result.to_dict())
    elif ui.err.is_terminal:
        made = " (created)" if result.created else ""
        ui.info(
            f"copied {result.source} into {result.target}{made}: "
            f"{human_size(result.tar_bytes)} of tar stream"
        )
    return 0


def _rm(args: argparse.Namespace, ui: UI) -> int:
    if bool(args.names) == bool(args.project):
        raise UsageError("give either volume NAMEs or --project NAME")
    client = connect()
    names = list(args.names) or _project_volume_names(client, args.project)
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


def _prune(args: argparse.Namespace, ui: UI) -> int:
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
