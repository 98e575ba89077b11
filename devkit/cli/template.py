"""`devkit template`: the bundled template's versions, and exporting it as a git repository."""

from __future__ import annotations

import argparse
from pathlib import Path

from devkit.cli._common import UI, add_command

EXAMPLES = """\
devkit template versions                                  # versions this machine knows
devkit template export ~/src/acme-devcontainer-template   # a git repo, one tag per version
devkit new svc --template ~/src/acme-devcontainer-template --vcs-ref v1.0.0
devkit template release                                   # devkit maintainers: archive VERSION
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``template`` subcommand and its actions."""
    parser = add_command(
        sub,
        "template",
        help="the bundled template's versions; export it as a git repository",
        description=(
            "devkit keeps every bundled template version it has shipped on this machine in a\n"
            "local git mirror (one tag v<VERSION> each), so `devkit update` can 3-way merge\n"
            "offline. `export` copies that history into a repository of your own to fork."
        ),
        examples=EXAMPLES,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    export = add_command(
        actions,
        "export",
        help="write the bundled template, all known versions tagged, as a git repository",
        examples="devkit template export ~/src/acme-devcontainer-template\n"
        "cd ~/src/acme-devcontainer-template && git remote add origin URL && git push -u "
        "origin main --tags",
        handler=_export,
    )
    export.add_argument("dir", metavar="DIR", type=Path, help="new folder (must not exist)")
    export.add_argument("--json", action="store_true", help="print the result as JSON")

    listing = add_command(
        actions,
        "versions",
        help="list the bundled template versions this machine's mirror knows",
        examples="devkit template versions --json",
        handler=_versions,
    )
    listing.add_argument("--json", action="store_true", help="print the result as JSON")

    release = add_command(
        actions,
        "release",
        help="(devkit maintainers) archive copier-template/ at its VERSION into the package",
        description=(
            "Writes devkit/template_history/v<VERSION>.tar.gz from copier-template/. Every later\n"
            "devkit ships these archives, so it can update projects made by older devkits on\n"
            "any machine, offline. Run it once per template version, when releasing; a released\n"
            "version never changes (bump VERSION instead). Idempotent."
        ),
        examples="devkit template release            # in a devkit source checkout",
        handler=_release,
    )
    release.add_argument("--json", action="store_true", help="print the result as JSON")


def _export(args: argparse.Namespace, ui: UI) -> int:
    from devkit.template import export

    tags = export(args.dir)
    target = args.dir.expanduser().resolve()
    if args.json:
        ui.print_json({"path": str(target), "versions": tags, "newest": tags[-1] if tags else None})
        return 0
    ui.out.print(
        f"Exported the bundled template to {target} (versions: {', '.join(tags)}).", markup=False
    )
    if tags:
        ui.out.print(
            f"Render from it: devkit new NAME --template {target} --vcs-ref {tags[-1]}",
            markup=False,
        )
    return 0


def _release(args: argparse.Namespace, ui: UI) -> int:
    from devkit import resources
    from devkit.errors import DevkitError
    from devkit.template import bundled_version, release, released_versions

    version = f"v{bundled_version()}"
    installed = "_data" in resources.template_dir().parts
    if installed and version not in released_versions():
        # Writing would change an installed package, not the source tree that ships releases.
        raise DevkitError(
            f"template {version} is not released, and this devkit is installed from a wheel",
            hint="run `devkit template release` in a devkit source checkout (pip install -e .)",
        )
    archive = release()
    if args.json:
        ui.print_json({"version": version, "archive": str(archive)})
    else:
        ui.out.print(f"Template {version} is released as {archive}.", markup=False)
    return 0


def _versions(args: argparse.Namespace, ui: UI) -> int:
    from devkit.template import bundled_source, versions

    source = bundled_source()
    tags = versions(Path(source.src_path))
    if args.json:
        ui.print_json({"mirror": source.src_path, "current": source.vcs_ref, "versions": tags})
        return 0
    for tag in tags:
        mark = "  (this devkit's)" if tag == source.vcs_ref else ""
        ui.out.print(f"{tag}{mark}", markup=False)
    return 0
