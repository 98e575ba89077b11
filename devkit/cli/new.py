"""`devkit new`: ask (or take) the answers, validate them, render the dev container."""

from __future__ import annotations

import argparse
import contextlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devkit.cli._common import UI, add_command
from devkit.errors import DevkitError

if TYPE_CHECKING:
    from devkit.detect import Adoption, Detection
    from devkit.render import RenderResult

EXAMPLES = """\
devkit new my-service                                   # interactive wizard
devkit new my-service --defaults                        # no questions, the defaults
devkit new . --defaults                                 # adopt this repository: what it uses
devkit new . --defaults --data node_version=22          # ... with one detected answer changed
devkit new . --defaults --force                         # replace its .devcontainer/ (backed up)
devkit new my-service --defaults --data stacks=python,node --data node_package_manager=pnpm
devkit new . --answers-file answers.yml                 # add a dev container to this repo
devkit new api --data uid=1001 --data gid=1001 --data dockerfile_syntax=false
devkit new api --defaults --data ca_certificates=/etc/ssl/corp-proxy.pem
devkit new api --defaults --json                        # machine-readable list of files
devkit new api --template https://git.example.com/org/devcontainer-template.git --vcs-ref v2.1.0
"""

DESCRIPTION = """\
Create a .devcontainer/ (devcontainer.json, compose.yaml, a BuildKit-optimised Dockerfile) and a
.dockerignore in PATH from devkit's Copier template. PATH may be new or an existing repository.

In an existing repository devkit first detects what it uses (stacks, package managers,
toolchain versions, manifests: see `devkit detect PATH`) and offers that as the defaults. It never
writes a starter manifest for a stack the repository already has manifests of. An existing dev
container is shown with a plan (what is replaced, carried over, cannot be expressed) and is
replaced only with --force, which moves the old files to .devcontainer.devkit-backup-<time>/.

Answers come from, later ones winning: the schema's defaults < what was detected <
--answers-file < --data < the wizard. The wizard runs when stdin is a terminal and --defaults is
not given; it asks only what --data and --answers-file left open. Every answer set is validated
before anything is written, and a failed or interrupted run leaves PATH as it was.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``devkit new`` to the command line."""
    parser = add_command(
        sub,
        "new",
        help="create a fast dev container for a project (wizard or non-interactive)",
        description=DESCRIPTION,
        examples=EXAMPLES,
        handler=_run,
    )
    parser.add_argument("path", metavar="PATH", help="project folder (created if missing)")
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="ask nothing: use what was detected, else the defaults, for every answer not given "
        "by --data/--answers-file",
    )
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set one answer (repeatable); lists are comma-separated, e.g. stacks=python,node. "
        f"KEY is one of: {_answer_keys()}",
    )
    parser.add_argument(
        "--answers-file",
        type=Path,
        metavar="FILE",
        help="a YAML or JSON file of answers (a project's .copier-answers.yml works too)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace files that already exist in PATH (e.g. an existing .devcontainer/); the "
        "old ones move to .devcontainer.devkit-backup-<time>/",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a report as JSON on stdout: what was detected and from which file, the plan "
        "for an existing dev container, the answers, and what was written",
    )
    parser.add_argument(
        "--template",
        metavar="SRC",
        help="render another Copier template (git URL or path) instead of the bundled one",
    )
    parser.add_argument(
        "--vcs-ref",
        metavar="REF",
        help="git tag or commit of --template to render (e.g. v2.1.0); without --template, "
        "one of the bundled template versions",
    )


def _answer_keys() -> str:
    """The answer names, for --help (the schema's JSON only: no jsonschema import at --help)."""
    try:
        from devkit.answers import properties

        return ", ".join(properties())
    except (OSError, ValueError, KeyError):  # a broken install should still show --help
        return "see docs/user-guide.md"


def _run(args: argparse.Namespace, ui: UI) -> int:
    from devkit import answers as ans

    target = Path(args.path).expanduser()
    detection, adoption = _detect(target)
    # Parse and check what was given before anything slow happens (template mirror, wizard).
    layers = ans.layers(
        target,
        args.answers_file,
        args.data,
        detected=adoption.answers if adoption else None,
        detected_from=adoption.sources if adoption else None,
    )
    if detection is not None and adoption is not None and not args.json and _has_files(target):
        from devkit.cli._detected import print_detection

        print_detection(ui, detection, adoption, details=False)
    plan = adoption.plan if adoption else None
    if plan is not None:
        from devkit.cli._detected import print_plan

        # Before anything changes (and before any question): also when it is refused below.
        if not args.json or not args.force:
            print_plan(ui, plan, force=args.force)

    from devkit.template import TemplateSource, resolve_source

    source: TemplateSource | None = None
    asked: dict[str, Any] = {}
    if not args.defaults:
        if ui.interactive:
            from devkit.cli import wizard
            from devkit.render import check_target

            # A typo in --data, the answers file or --template/--vcs-ref, or a folder that
            # would be refused: say so before asking.
            check_target(target, force=args.force)
            layers.check_given()
            source = resolve_source(args.template, args.vcs_ref)
            asked = wizard.ask(layers.answers, skip=set(layers.given), detected=layers.detected)
        elif not layers.given:
            raise DevkitError(
                "no terminal to ask questions on",
                hint="pass --defaults, --data KEY=VALUE or --answers-file FILE",
            )
    answers = layers.complete(asked)
    preload = _preload_copier()
    try:
        from devkit.render import render

        if source is None:
            source = resolve_source(args.template, args.vcs_ref)
        result = render(
            answers,
            target,
            source=source,
            force=args.force,
            trusted=args.template is None,
            keep=plan.keep if plan else (),
        )
    finally:
        # Never leave the interpreter mid-import in a daemon thread (an early error exits fast).
        preload.join()
    if args.json:
        ui.print_json(
            {
                "target": str(result.target),
                "template_version": result.version,
                "files": result.files,
                "overwritten": result.overwritten,
                "kept": result.kept,
                "skipped": result.skipped,
                "backup": result.backup,
                "moved": result.moved,
                "carried": result.carried,
                "answers": answers,
                "detected": detection.to_dict() if detection else None,
                "detected_answers": adoption.to_dict()["answers"] if adoption else {},
                "not_used": adoption.unused if adoption else {},
                "plan": plan.to_dict() if plan else None,
            }
        )
    else:
        _report(ui, result, args.path)
    return 0


def _has_files(folder: Path) -> bool:
    return any(True for _ in folder.iterdir())


def _detect(target: Path) -> tuple[Detection | None, Adoption | None]:
    """What an existing folder is made of (nothing for a new one)."""
    if not target.is_dir():
        return None, None
    from devkit.detect import adopt, detect

    detection = detect(target)
    return detection, adopt(detection)


def _preload_copier() -> threading.Thread:
    """Import Copier (~0.5 s) in the background while the template source is prepared.

    Preparing the bundled template mostly waits on git subprocesses, so the import overlaps
    with that wait; Python's import lock makes the later ``import copier`` simply wait for it.
    """
    thread = threading.Thread(target=_quiet_import, name="preload-copier", daemon=True)
    thread.start()
    return thread


def _quiet_import() -> None:
    # A broken Copier install is reported by the real import in devkit.render, in the main thread.
    with contextlib.suppress(Exception):
        import copier  # noqa: F401


def _report(ui: UI, result: RenderResult, shown: str) -> None:
    label = f" (template {result.version})" if result.version else ""
    ui.out.print(f"Created the dev container in {result.target}{label}:", markup=False)
    for name in result.files:
        mark = "  (overwritten)" if name in result.overwritten else ""
        ui.out.print(f"  {name}{mark}", markup=False)
    for name in result.kept:
        ui.out.print(f"  {name}  (exists: kept yours)", markup=False)
    for name in result.carried:
        ui.out.print(f"  {name}  (your script, copied from the backup)", markup=False)
    if result.skipped:
        ui.out.print(
            f"Not written: {', '.join(result.skipped)} (starter manifests; the repository has "
            "its own)",
            markup=False,
        )
    if result.backup:
        ui.out.print(
            f"The old files ({', '.join(result.moved)}) are in {result.backup}/ "
            "(delete it once you no longer need them).",
            markup=False,
        )
    step = "devcontainer up --workspace-folder ."
    if result.target != Path.cwd().absolute():
        step = f"cd {_quote(shown)} && {step}"
    ui.out.print("Next step:", markup=False)
    ui.out.print(f"  {step}", markup=False)


def _quote(path: str) -> str:
    import shlex

    return shlex.quote(path)
