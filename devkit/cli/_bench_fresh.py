"""`devkit bench --scenario fresh --registry REPO`: a fresh machine with and without the
prebuilt image, side by side (the scenario itself: :mod:`devkit.bench.fresh`)."""

from __future__ import annotations

import argparse

from rich.table import Table

from devkit import bench, buildkit
from devkit.bench import fresh
from devkit.cli._common import UI, log_width
from devkit.cli._signals import sigterm_as_interrupt
from devkit.cli.bench import LiveView
from devkit.errors import DevkitError, UsageError
from devkit.fsutil import write_atomic
from devkit.units import human_size


def run_fresh(args: argparse.Namespace, ui: UI) -> int:
    """`devkit bench PATH --scenario fresh --registry REPO` (see devkit.bench.fresh)."""
    for option in ("compare", "baseline", "csv", "source_file", "dep_file", "dep_line"):
        if getattr(args, option) is not None:
            raise UsageError(f"--{option.replace('_', '-')} does not go with --scenario fresh")
    if args.dockerfile is not None:
        raise UsageError("--scenario fresh builds what `devkit prebuild` builds; drop --dockerfile")
    if args.json is not None and str(args.json) != "-" and not args.json.resolve().parent.is_dir():
        raise DevkitError(f"--json {args.json}: folder {args.json.resolve().parent} does not exist")
    # One line for no engine, or for Podman (buildah, not BuildKit), before any probe build.
    bench.check_engine()
    info = buildkit.detect().require()
    ui.info(f"fresh machine, with and without the prebuild in {args.registry}")
    view = LiveView(ui)
    with sigterm_as_interrupt(), view:
        report = fresh.run(
            args.path.resolve(),
            args.registry,
            info,
            view,
            repeat=args.repeat,
            target=args.target,
            note=view.note,
        )
    json_to_stdout = args.json is not None and str(args.json) == "-"
    out = ui.err if json_to_stdout else ui.out
    table = Table(title=f"devkit bench — fresh machine — {report.ref}", title_justify="left")
    table.add_column("the dev image on a fresh machine")
    table.add_column("time", justify="right")
    table.add_row("cold build, no prebuild", f"{report.cold_seconds:.1f}s")
    table.add_row("content tag + pull of the prebuilt image", f"{report.prebuilt_seconds:.1f}s")
    table.add_row("ratio", f"{report.ratio:.2f}×", style="bold")
    with log_width(out):
        out.print(table)
    out.print(
        f"downloaded: {human_size(report.pulled_bytes)} of the image's "
        f"{human_size(report.image_bytes)} for {report.platform} (layers the engine still "
        f"held were not downloaded again); repeats: {len(report.runs)} (times are medians); "
        f"builder: {info.describe()}",
        markup=False,
    )
    if report.held_bytes:
        ui.warn(
            f"the engine already held {human_size(report.held_bytes)} of the prebuilt image's "
            "layers (its build cache keeps them from a build of this project here), so the "
            "pull is a best case; run against an engine that never built it (DOCKER_HOST) "
            "for a fresh machine's time"
        )
    if json_to_stdout:
        ui.print_json(report.to_json())
    elif args.json is not None:
        import json

        write_atomic(args.json, json.dumps(report.to_json(), indent=2) + "\n")
        ui.info(f"wrote {args.json}")
    return 0
