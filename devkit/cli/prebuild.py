"""`devkit prebuild`: build the dev image, tag it by content, push it with a registry cache."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from devkit import prebuild
from devkit.cli._common import UI, add_command, log_width
from devkit.cli._signals import sigterm_as_interrupt
from devkit.errors import UsageError
from devkit.units import plural

EXAMPLES = """\
devkit prebuild . --registry ghcr.io/acme/api-dev --platform linux/amd64,linux/arm64 --push
devkit prebuild . --explain                      # the inputs behind the content tag
devkit prebuild . --explain --against dev-3f1c0a9be2d47710c5e8aa01 --registry ghcr.io/acme/api-dev
devkit prebuild . --explain --json > inputs.json # save them; later: --against inputs.json
devkit prebuild . --registry ghcr.io/acme/api-dev --builder ci-builder --push --json
"""

DESCRIPTION = """\
Build the image a project's dev container runs (the service its compose file names, else a
plain Dockerfile) and tag it by content: a hash of the Dockerfile, target, build args, base
image digests, platforms and the bytes of the context files its COPY/ADD instructions send.
With --push it pushes REGISTRY:<content tag> (one manifest list for several platforms) and a
registry cache REGISTRY:buildcache-<target>; a tag the registry already holds completely is
not built again. Credentials are the engine's own (docker login). See docs/prebuild.md.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub,
        "prebuild",
        help="build the dev image, tag it by content and push it with a registry cache",
        description=DESCRIPTION,
        examples=EXAMPLES,
        handler=_run,
    )
    parser.add_argument(
        "path", nargs="?", default=".", type=Path, help="project folder (default: .)"
    )
    parser.add_argument(
        "--registry", metavar="REPO", help="repository to tag and push to, e.g. ghcr.io/acme/api"
    )
    parser.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="PLATFORMS",
        help="comma-separated, repeatable, e.g. linux/amd64,linux/arm64 (default: the compose "
        "file's build.platforms, else the builder's own)",
    )
    parser.add_argument("--push", action="store_true", help="push the image and the cache")
    parser.add_argument("--builder", metavar="NAME", help="an existing buildx builder to use")
    parser.add_argument("--service", help="compose service to build (default: the dev container's)")
    parser.add_argument(
        "--file", "-f", type=Path, metavar="DOCKERFILE", help="build this Dockerfile, no compose"
    )
    parser.add_argument("--target", help="stage to build (default: the compose file's)")
    parser.add_argument(
        "--build-arg", action="append", default=[], metavar="NAME=VALUE", help="repeatable"
    )
    parser.add_argument(
        "--force", action="store_true", help="build and push even when the registry has the tag"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the inputs behind the tag; build nothing"
    )
    parser.add_argument(
        "--against",
        metavar="TAG|FILE",
        help="with --explain: which inputs changed since an older tag or a saved --json",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def _build_args(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--build-arg {item!r}: write NAME=VALUE")
        out[key] = value
    return out


def _run(args: argparse.Namespace, ui: UI) -> int:
    if args.against and not args.explain:
        raise UsageError("--against goes with --explain")
    if args.push and not args.registry:
        raise UsageError("--push needs --registry (the repository to push to)")
    platforms = tuple(p for value in args.platform for p in value.split(",") if p.strip())
    with sigterm_as_interrupt():
        if ui.interactive:
            with ui.err.status("working out the content tag…"):
                plan = _plan(args, platforms)
        else:
            plan = _plan(args, platforms)
        if args.explain:
            comparison = prebuild.compare(plan, args.against) if args.against else None
            if args.json:
                data = plan.to_dict()
                if comparison is not None:
                    data["comparison"] = comparison.to_dict()
                ui.print_json(data)
            else:
                _print_explain(plan, comparison, ui)
            return 0
        ui.info(
            f"prebuilding {plan.ref} for {', '.join(plan.platforms)} ({plan.builder.describe()})"
        )
        result = prebuild.run(
            plan, prebuild.Options(push=args.push, force=args.force), _Progress(ui)
        )
    if args.json:
        ui.print_json({**result.to_dict(), "inputs": plan.inputs.to_dict()})
        return 0
    where = ", ".join(result.platforms)
    if result.status == "up-to-date":
        ui.out.print(f"up to date: {escape(result.ref)} ({where}) is already in the registry")
    elif result.status == "pushed":
        cache = f"; cache {result.cache_ref} ({result.cache})" if result.cache_ref else ""
        ui.out.print(
            f"pushed {escape(result.ref)} ({where}) in {result.seconds:.1f}s, "
            f"{result.cached_steps}/{plural(result.steps, 'step')} cached{escape(cache)}"
        )
    else:
        ui.out.print(
            f"built {escape(result.ref)} ({where}) in {result.seconds:.1f}s, "
            f"{result.cached_steps}/{plural(result.steps, 'step')} cached"
        )
    return 0


def _plan(args: argparse.Namespace, platforms: tuple[str, ...]) -> prebuild.Plan:
    return prebuild.make_plan(
        args.path,
        registry=args.registry,
        platforms=platforms,
        builder=args.builder,
        service=args.service,
        dockerfile=args.file,
        target=args.target,
        build_args=_build_args(args.build_arg),
    )


class _Progress(prebuild.Observer):
    def __init__(self, ui: UI) -> None:
        self.ui = ui

    def note(self, message: str) -> None:
        self.ui.warn(message)

    def step(self, name: str, cached: bool) -> None:
        mark = "[dim]cached[/]" if cached else "[green]done[/]  "
        self.ui.err.print(f"  {mark} {escape(name[:110])}")


def _print_explain(plan: prebuild.Plan, comparison: prebuild.Comparison | None, ui: UI) -> None:
    inputs = plan.inputs
    ui.out.print(f"content tag: [bold]{escape(plan.tag)}[/]  ({escape(plan.ref)})")
    ui.out.print(f"built from: {escape(plan.build.source)}; {escape(plan.builder.describe())}")
    table = Table(title="inputs", title_justify="left")
    table.add_column("input")
    table.add_column("name", overflow="fold")
    table.add_column("digest", overflow="fold")
    table.add_row("dockerfile", escape(inputs.dockerfile), inputs.dockerfile_digest)
    table.add_row("target", escape(inputs.target or "(final stage)"), "")
    table.add_row("platforms", escape(", ".join(inputs.platforms)), "")
    for name, digest in inputs.args.items():
        table.add_row("build arg", escape(name), digest)
    for ref, digest in inputs.bases.items():
        table.add_row("base image", escape(ref), digest)
    for rel, digest in inputs.files.items():
        table.add_row("file", escape(rel), digest)
    for url in inputs.remote:
        table.add_row("remote (not hashed)", escape(url), "")
    with log_width(ui.out, 160):
        ui.out.print(table)
    if comparison is None:
        return
    if not comparison.changes:
        ui.out.print(f"no input changed since {escape(comparison.against)} (same tag)")
        return
    ui.out.print(
        f"changed since {escape(comparison.against)} ({escape(comparison.old_tag)}): "
        + plural(len(comparison.changes), "input")
    )
    for change in comparison.changes:
        ui.out.print(f"  {escape(change.describe())}")
