"""`devkit volumes`: create, list, back up, restore, verify and remove named volumes.

This module builds the parsers; the handlers live in :mod:`.manage` (volumes themselves),
:mod:`.data` (backup files) and :mod:`.registry` (backups through an OCI registry)."""

from __future__ import annotations

import argparse
from pathlib import Path

from devkit.cli._common import add_command, at_least
from devkit.cli.volumes._shared import add_label_options
from devkit.cli.volumes.data import run_backup, run_prune, run_restore, run_verify
from devkit.cli.volumes.manage import run_copy, run_create, run_engine, run_list, run_rm
from devkit.cli.volumes.registry import run_pull, run_push
from devkit.volumes import archive

EXAMPLES = """\
devkit volumes create --project .              # the volumes .devcontainer/compose.yaml declares
devkit volumes list --json
devkit volumes backup my-service-pip-cache
devkit volumes restore my-service-pip-cache--20250101T120000Z.tar.zst --to pip-cache-copy
devkit volumes prune-backups --keep 5
devkit volumes copy my-service-pip-cache my-service-pip-cache-v2
devkit volumes engine                          # Docker or Podman, and what devkit relies on
devkit volumes push my-service-pip-cache ghcr.io/acme/api-caches:pip
devkit volumes pull ghcr.io/acme/api-caches:pip my-service-pip-cache
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub,
        "volumes",
        help="create, list, back up, restore, verify and remove named volumes",
        description=(
            "Look after the named volumes that keep package caches, shell history and editor "
            "extensions. Everything goes through the Docker Engine API (no docker CLI, no "
            "image pulled), so it also works against a remote engine (DOCKER_HOST), and "
            "against Podman's Docker-compatible API (see `devkit volumes engine`)."
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
devkit volumes create scratch-cache --label team=web
devkit volumes create --project . --seed-from ghcr.io/acme/api-caches:pip""",
        handler=run_create,
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="volume names to create")
    p.add_argument(
        "--project", metavar="DIR", type=Path, help="project folder (with .devcontainer/)"
    )
    add_label_options(p, "NAMEs")
    p.add_argument(
        "--restore-latest",
        action="store_true",
        help="seed each new or empty volume from its newest backup",
    )
    p.add_argument(
        "--seed-from",
        metavar="REF",
        help="seed an empty cache volume from a backup pushed as REF (`devkit volumes push`); "
        "one warning and on when the registry or tag is unavailable (with --project)",
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
        handler=run_list,
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
        handler=run_backup,
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
        handler=run_restore,
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
        handler=run_verify,
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
        handler=run_rm,
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
        handler=run_copy,
    )
    p.add_argument("source", metavar="SOURCE", help="volume to copy from")
    p.add_argument("target", metavar="TARGET", help="new or empty volume to copy into")
    add_label_options(p, "TARGET")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add_command(
        vsub,
        "push",
        help="back up a volume and push the verified backup to an OCI registry as REF",
        description=(
            "Back up NAME, verify the backup, and push it as a one-file image REF\n"
            "(REGISTRY/PATH[:TAG], default tag latest) through the engine, with the engine's\n"
            "own login and credential helpers (`docker login REGISTRY`). Success is reported\n"
            "only once the registry holds the pushed manifest; the local image is removed."
        ),
        examples="""\
devkit volumes push my-service-pip-cache ghcr.io/acme/api-caches:pip
devkit volumes push my-service-npm-cache 127.0.0.1:5000/caches:npm --json""",
        handler=run_push,
    )
    p.add_argument("name", metavar="NAME", help="volume to back up and push")
    p.add_argument("ref", metavar="REF", help="image reference to push to")
    p.add_argument("--compression", choices=archive.COMPRESSIONS, default="zstd")
    p.add_argument("--level", type=int, metavar="N", help="compression level (see backup)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add_command(
        vsub,
        "pull",
        help="pull a backup pushed with `volumes push` and restore it, checked first",
        description=(
            "Pull REF, check the backup against its image label and like a restore\n"
            "(manifest, SHA-256, every member) before touching any volume, then restore it\n"
            "into NAME (default: the volume it was pushed from). A non-empty volume is\n"
            "refused unless --force (which takes a safety backup first)."
        ),
        examples="""\
devkit volumes pull ghcr.io/acme/api-caches:pip my-service-pip-cache
devkit volumes pull 127.0.0.1:5000/caches:npm --force --json""",
        handler=run_pull,
    )
    p.add_argument("ref", metavar="REF", help="image reference (a tag or @sha256: digest)")
    p.add_argument("name", metavar="NAME", nargs="?", help="volume to restore into")
    p.add_argument(
        "--force", action="store_true", help="replace a non-empty volume (safety backup first)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add_command(
        vsub,
        "engine",
        help="which engine answers, and how devkit reads and writes its volumes (its probe)",
        description=(
            "Say which engine DOCKER_HOST (or the docker context) reaches, Docker or Podman,\n"
            "and what devkit found out by trying it: which archive upload lands exactly, and\n"
            "whether volumes read exactly through the API or from their folders here. devkit\n"
            "probes each engine once (about a second, on scratch volumes it removes) and keeps\n"
            "the answer in <data dir>/engine-caps.json; --reprobe tries again."
        ),
        examples="""\
devkit volumes engine
DOCKER_HOST=unix:///run/podman/podman.sock devkit volumes engine --json
devkit volumes engine --reprobe""",
        handler=run_engine,
    )
    p.add_argument("--reprobe", action="store_true", help="probe again, ignoring the cache")
    p.add_argument("--json", action="store_true", help="print the capabilities as JSON")

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
        handler=run_prune,
    )
    p.add_argument(
        "--keep", type=at_least(0), required=True, metavar="N", help="backups to keep per volume"
    )
    p.add_argument("--volume", metavar="NAME", help="only this volume's backups")
    p.add_argument("--dir", type=Path, metavar="DIR", help="backups folder (default: devkit's)")
    p.add_argument("--dry-run", action="store_true", help="only show what would be deleted")
    p.add_argument("--json", action="store_true", help="print the deleted paths as JSON")
