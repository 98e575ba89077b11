"""`devkit doctor`: audit a repository's dev container setup and report what to fix."""

from __future__ import annotations

import argparse

from rich.markup import escape

from devkit import doctor
from devkit.cli._common import UI, add_command, log_width
from devkit.errors import DevkitError
from devkit.units import human_size, plural

EXAMPLES = """\
devkit doctor                          # audit the current directory
devkit doctor ~/src/legacy-repo        # audit another repository
devkit doctor . --json | jq '.findings[] | select(.severity == "error")'
devkit doctor . --no-buildkit-check    # pure file analysis, no probe build
devkit doctor . --ignore DK006         # leave a rule out (or comment the line:
                                       #   # devkit-doctor: ignore=DK006)
devkit doctor --explain DK002          # why a rule matters and how to fix it
"""

_STYLE = {doctor.ERROR: "bold red", doctor.WARNING: "yellow", doctor.INFO: "cyan"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub,
        "doctor",
        help="audit a repository's dev container setup for slow or unsafe builds",
        description=(
            "Audit a repository's Dockerfiles, .dockerignore files, compose files and\n"
            "devcontainer.json. Each finding has a rule id (docs/doctor/<ID>.md explains it),\n"
            "a severity, a file:line, why it costs build time or safety, and the fix.\n"
            "Exit status: 0 when no finding is an error, 1 otherwise."
        ),
        examples=EXAMPLES,
        handler=_run,
    )
    parser.add_argument("path", nargs="?", default=".", help="repository folder (default: .)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument(
        "--ignore",
        metavar="RULES",
        action="append",
        default=[],
        help="rule ids to leave out, comma-separated (repeatable), e.g. --ignore DK005,DK006",
    )
    parser.add_argument(
        "--explain",
        metavar="RULE",
        help="print the page on one rule (why it matters, how to fix it) and exit",
    )
    parser.add_argument(
        "--no-buildkit-check",
        action="store_true",
        help="skip rule DK001 (it runs a tiny probe build through the docker CLI)",
    )


def _run(args: argparse.Namespace, ui: UI) -> int:
    if args.explain:
        page = doctor.rule_page(args.explain)
        if ui.out.is_terminal:
            # Imported here: rich's Markdown (with its markdown-it parser) costs more to load
            # than a small audit takes, and only a rule page on a terminal draws it.
            from rich.markdown import Markdown

            ui.out.print(Markdown(page), soft_wrap=False)
        else:
            ui.out.print(page, markup=False, end="")
        return 0
    ignore = [rule for value in args.ignore for rule in value.split(",")]

    def buildkit_status() -> doctor.BuildKitStatus:
        return doctor.buildkit_status(podman=_podman_version())

    def audit(probe: doctor.BuildKitProbe) -> doctor.Report:
        return doctor.audit(
            args.path, buildkit=None if args.no_buildkit_check else probe, ignore=ignore
        )

    if ui.interactive:
        # Walking a large build context (node_modules & co.) and the BuildKit probe build
        # take seconds: say what is going on when someone is watching.
        with ui.err.status(f"auditing {escape(str(args.path))}…") as status:

            def probe() -> doctor.BuildKitStatus:
                status.update("checking BuildKit with a tiny probe build…")
                try:
                    return buildkit_status()
                finally:
                    status.update(f"auditing {escape(str(args.path))}…")

            report = audit(probe)
    else:
        report = audit(buildkit_status)
    if args.json:
        ui.print_json(report.to_dict())
    else:
        _print(report, ui)
    return 1 if report.has_errors else 0


def _podman_version() -> str | None:
    """Podman's version when Podman is the engine behind the docker client (DOCKER_HOST or
    the docker context; ``devkit.engine`` is the one door for which engine that is), else
    None: Docker, or no engine answered (DK001's probe build then says so)."""
    from devkit import engine  # docker-py: only when DK001 runs (there is a Dockerfile)

    try:
        client = engine.connect(timeout=20)
    except DevkitError:
        return None
    try:
        info = engine.identify(client)
    except DevkitError:
        return None
    finally:
        client.close()
    return info.version if info.kind == engine.PODMAN else None


def _print(report: doctor.Report, ui: UI) -> None:
    with log_width(ui.out):
        _print_tables(report, ui)


def _print_tables(report: doctor.Report, ui: UI) -> None:
    from rich.table import Table  # only the text report draws tables (not --json)

    if report.findings:
        table = Table(title=f"devkit doctor: {escape(str(report.root))}", title_justify="left")
        # Severity under the rule id rather than a column of its own, and on a narrow
        # terminal the file:line above the message instead of beside it: every column taken
        # from "problem and fix" costs a line per sentence (and paths would be cut mid-word).
        narrow = ui.out.width < 100
        table.add_column("rule", no_wrap=True)
        if not narrow:
            table.add_column("where", overflow="fold")
        table.add_column("where: problem and fix" if narrow else "problem and fix", ratio=1)
        rank = {sev: i for i, sev in enumerate(doctor.SEVERITIES)}
        # Worst first on screen (the JSON keeps file/line order).
        for finding in sorted(report.findings, key=lambda f: rank[f.severity]):
            rule = doctor.RULES[finding.rule]
            style = _STYLE[finding.severity]
            text = (
                f"[bold]{escape(rule.title)}[/]\n{escape(finding.message)}\n"
                f"[dim]fix: {escape(rule.fix)}[/]"
            )
            where = escape(finding.location)
            cells = [f"{where}: {text}"] if narrow else [where, text]
            table.add_row(f"{finding.rule}\n[{style}]{finding.severity}[/]", *cells)
        ui.out.print(table)
    if report.contexts:
        sizes = Table(title="build contexts", title_justify="left")
        sizes.add_column("context")
        sizes.add_column(".dockerignore")
        sizes.add_column("sent", justify="right")
        sizes.add_column("without .dockerignore", justify="right")
        for ctx in report.contexts:
            sizes.add_row(
                escape(ctx.context),
                escape(ctx.dockerignore or "(none)"),
                f"{human_size(ctx.bytes_sent)} / {plural(ctx.files_sent, 'file')}",
                f"{human_size(ctx.bytes_total)} / {plural(ctx.files_total, 'file')}",
            )
        ui.out.print(sizes)
    counts = report.counts()
    style = "bold red" if counts[doctor.ERROR] else "yellow" if counts[doctor.WARNING] else "green"
    ui.out.print(f"[{style}]{escape(report.summary())}[/]")
    if report.findings:
        ui.out.print("Why a rule matters and how to fix it: devkit doctor --explain <rule>")
