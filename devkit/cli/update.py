"""`devkit update`: bring repositories to the newest template version (Copier 3-way merge)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from devkit import update as core
from devkit.cli._common import UI, add_command, at_least
from devkit.errors import DevkitError, UsageError

EXAMPLES = """\
devkit update .                                   # this repository
devkit update ~/src/*/ --jobs 4                   # a fleet, four at a time
devkit update --from-file repos.txt --pretend     # what would change, touching nothing
devkit update ~/src/*/ --branch devkit-update     # one branch + one commit per repository
devkit update . --data extensions=ms-python.python --json
devkit update ~/src/*/ --migrate-volumes          # copy renamed cache volumes' data over
"""

_STYLES = {
    core.UPDATED: "green",
    core.WOULD_UPDATE: "cyan",
    core.UP_TO_DATE: "dim",
    core.CONFLICTS: "yellow",
    core.REFUSED: "magenta",
    core.FAILED: "red",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``update`` subcommand."""
    parser = add_command(
        sub,
        "update",
        help="bring repositories to the newest template version (3-way merge)",
        description=(
            "Run Copier's update in every repository: the newest version of the template each\n"
            "one was made from is merged with its local edits (conflicts get inline markers).\n"
            "Repositories with uncommitted changes, not under git, not made from a template, or\n"
            "already up to date are reported and left exactly as they were. Exit status 0 only\n"
            "when every repository ended updated or up to date. See docs/fleet-updates.md."
        ),
        examples=EXAMPLES,
        handler=_run,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="repositories to update")
    parser.add_argument(
        "--from-file",
        metavar="FILE",
        type=Path,
        help="read repository paths from FILE, one per line ('-' = stdin; # comments)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=at_least(1),
        default=min(4, os.cpu_count() or 1),
        metavar="N",
        help="update N repositories at once (default: %(default)s)",
    )
    parser.add_argument(
        "--pretend",
        action="store_true",
        help="show what would change (in a throw-away clone); touch nothing",
    )
    parser.add_argument(
        "--branch",
        metavar="B",
        help="put each update on a new branch B with one commit, then switch back "
        "(implies --commit)",
    )
    parser.add_argument(
        "--commit", action="store_true", help="commit each update (on the current branch)"
    )
    parser.add_argument(
        "--data",
        "-d",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer for a (new) template question; others keep their recorded answers "
        "and new ones take their defaults",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--migrate-volumes",
        action="store_true",
        help="copy each renamed cache volume's data into its new name (never deletes)",
    )


def _bundled_mirror(ui: UI) -> tuple[str | None, str | None]:
    """This machine's bundled-template mirror, extended with this devkit's template version,
    and that version's tag (None when only an existing mirror is usable)."""
    from devkit.template import bundled_source, mirror_dir

    try:
        source = bundled_source()
        return source.src_path, source.vcs_ref
    except DevkitError as exc:
        if (mirror_dir() / ".git").is_dir():
            ui.warn(f"bundled template unavailable ({exc}); using the existing mirror")
            return str(mirror_dir()), None
        return None, None


def _volume_copier() -> Callable[[str, str, dict[str, str]], str]:
    """``copy(old, new, labels)`` through :func:`devkit.volumes.migrate`, which decides the
    outcome; the engine is connected on first use (no engine needed without renames)."""
    from devkit import volumes

    client: list[Any] = []

    def copy(old: str, new: str, labels: dict[str, str]) -> str:
        if not client:
            from devkit.engine import connect

            client.append(connect())
        return volumes.migrate(client[0], old, new, labels)

    return copy


def _details(res: core.RepoResult) -> str:
    parts: list[str] = []
    if res.reason:
        parts.append(res.reason)
    if res.conflicts:
        parts.append("conflicts: " + ", ".join(f"{c.file} ({c.markers})" for c in res.conflicts))
    if res.status in (core.UPDATED, core.WOULD_UPDATE) and res.changes:
        parts.append(f"{len(res.changes)} file(s) changed")
    for vol in res.volumes:
        if vol.kind == "renamed":
            note = f"volume {vol.old} -> {vol.new}"
            note += f" ({vol.migrated})" if vol.migrated else " (data not moved)"
        else:
            note = f"volume {vol.old} no longer used (data kept)"
        parts.append(note)
    if res.branch:
        parts.append(f"on branch {res.branch}")
    elif res.commit:
        parts.append(f"committed {res.commit[:10]}")
    return "; ".join(parts)


def _versions(res: core.RepoResult) -> str:
    if res.status in (core.UPDATED, core.WOULD_UPDATE, core.CONFLICTS):
        return f"{res.old_version} → {res.new_version}"
    return res.old_version or ""


def _table(results: list[core.RepoResult], pretend: bool) -> Table:
    table = Table(title="devkit update" + (" (pretend: nothing written)" if pretend else ""))
    table.add_column("repository", overflow="fold")
    table.add_column("status")
    table.add_column("version")
    table.add_column("details", overflow="fold")
    for res in results:
        style = _STYLES.get(res.status, "")
        table.add_row(
            escape(res.path),
            f"[{style}]{res.status}[/]",
            escape(_versions(res)),
            escape(_details(res)),
        )
    return table


def _collect_paths(args: argparse.Namespace) -> list[str]:
    paths = list(args.paths)
    if args.from_file is not None:
        paths.extend(core.read_repo_list(args.from_file, stdin=sys.stdin))
    if not paths:
        raise UsageError("no repositories given: pass PATH... or --from-file FILE")
    unique: list[str] = []
    seen: set[str] = set()
    for path in paths:
        # The same repository twice would be updated twice at once; keep the first mention.
        key = os.path.realpath(os.path.expanduser(path))
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _run(args: argparse.Namespace, ui: UI) -> int:
    if args.pretend and (args.commit or args.branch or args.migrate_volumes):
        raise UsageError(
            "--pretend touches nothing, so it cannot be combined with "
            "--commit, --branch or --migrate-volumes"
        )
    # A bad --branch is reported once, rather than once per repository.
    if args.branch is not None and not core.valid_branch_name(args.branch):
        raise UsageError(f"--branch {args.branch!r} is not a valid git branch name")
    paths = _collect_paths(args)
    from devkit import answers

    data = answers.parse_data(args.data, other_keys_as_text=True)
    copier_fn = _volume_copier() if args.migrate_volumes else None
    mirror, tag = _bundled_mirror(ui)
    options = core.UpdateOptions(
        data=data,
        pretend=args.pretend,
        branch=args.branch,
        commit=args.commit or bool(args.branch),
        bundled_mirror=mirror,
        bundled_tag=tag,
    )
    try:
        results = _update_with_progress(paths, options, args.jobs, ui, live=not args.json)
    except KeyboardInterrupt:
        ui.warn(
            "interrupted: repositories in progress were finished or rolled back, the rest not "
            "started; none is half-updated. Run the same command again to finish."
        )
        raise
    if copier_fn is not None:
        core.migrate_volumes(results, copier_fn)

    migration_failed = any(
        (v.migrated or "").startswith("failed") for r in results for v in r.volumes
    )
    ok = all(r.ok for r in results) and not migration_failed
    if args.json:
        ui.print_json(
            {
                "ok": ok,
                "pretend": args.pretend,
                "summary": core.summary(results),
                "repositories": [r.to_dict() for r in results],
            }
        )
        return 0 if ok else 1
    counts = core.summary(results)
    if set(counts) == {core.UP_TO_DATE}:
        # Nothing to do (e.g. a postCreateCommand hook on every rebuild): one line, no table.
        versions = sorted({r.old_version or "?" for r in results})
        what = "repository is" if len(results) == 1 else f"{len(results)} repositories are"
        ui.out.print(f"up to date: the {what} at {', '.join(versions)}", markup=False)
        return 0
    ui.out.print(_table(results, args.pretend))
    ui.out.print(", ".join(f"{n} {status}" for status, n in counts.items()))
    _volume_hints(results, ui, migrated=args.migrate_volumes, pretend=args.pretend)
    return 0 if ok else 1


def _volume_hints(results: list[core.RepoResult], ui: UI, *, migrated: bool, pretend: bool) -> None:
    renamed = [v for r in results for v in r.volumes if v.kind == "renamed"]
    dropped = [v for r in results for v in r.volumes if v.kind == "dropped"]
    if renamed and not migrated:
        if pretend:
            ui.warn(
                f"{len(renamed)} cache volume(s) get a new name in the new template version; "
                "add --migrate-volumes to the real run to copy their data over (old ones kept)"
            )
        else:
            ui.warn(
                f"{len(renamed)} cache volume(s) got a new name; their data was not moved. "
                "Copy it with:"
            )
            for vol in renamed:
                ui.info(f"  devkit volumes copy {vol.old} {vol.new}")
    if dropped:
        ui.warn(
            f"{len(dropped)} volume(s) are no longer used by the new template version: "
            + ", ".join(v.old for v in dropped)
            + "; their data is kept until you remove them with `devkit volumes rm NAME`"
        )


def _update_with_progress(
    paths: list[str], options: core.UpdateOptions, jobs: int, ui: UI, *, live: bool
) -> list[core.RepoResult]:
    if not live:
        return core.update_many(paths, options, jobs=jobs)
    if not ui.err.is_terminal:
        if len(paths) == 1:  # e.g. a postCreateCommand hook: just the final table
            return core.update_many(paths, options, jobs=jobs)

        # A log (CI, a pipe): one plain line per finished repository, as it finishes.
        def logged(res: core.RepoResult) -> None:
            detail = _details(res)
            ui.info(f"{res.status}: {res.path}" + (f" ({detail})" if detail else ""))

        return core.update_many(paths, options, jobs=jobs, on_done=logged)
    progress = Progress(
        TextColumn("[bold]updating[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=ui.err,
        transient=True,
    )
    running: list[str] = []
    with progress:
        task = progress.add_task("", total=len(paths))

        def started(path: str) -> None:
            running.append(path)
            progress.update(task, description=escape(", ".join(running[-3:])))

        def done(res: core.RepoResult) -> None:
            if res.path in running:
                running.remove(res.path)
            style = _STYLES.get(res.status, "")
            detail = _details(res)
            progress.console.print(
                f"[{style}]{res.status:>12}[/] {escape(res.path)}"
                + (f"  [dim]{escape(detail)}[/]" if detail else "")
            )
            progress.update(task, advance=1, description=escape(", ".join(running[-3:])))

        return core.update_many(paths, options, jobs=jobs, on_start=started, on_done=done)
