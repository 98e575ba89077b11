"""Restore a backup into a volume: everything is checked before the volume is touched,
and a new volume that does not fill completely is removed again."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit import engine
from devkit.errors import DevkitError
from devkit.volumes import helper, transport
from devkit.volumes.archive import ProgressFn, policy, reader
from devkit.volumes.backup import backup


@dataclass
class RestoreResult:
    """A backup restored: into which volume, whether it was created, the safety backup taken."""

    volume: str
    manifest: dict[str, Any]
    created: bool
    safety_backup: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: ``volume``, ``created``, ``safety_backup``, ``manifest``."""
        return {
            "volume": self.volume,
            "created": self.created,
            "safety_backup": str(self.safety_backup) if self.safety_backup else None,
            "manifest": self.manifest,
        }


def restore(
    client: Any,
    path: Path,
    *,
    target: str | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    on_safety_backup: Callable[[Path], None] | None = None,
) -> RestoreResult:
    """Restore the backup at ``path`` into ``target`` (default: the volume it came from).

    Order of checks, all before any volume is touched: the manifest and the SHA-256 of the
    whole payload, every tar member (no absolute or ``..`` paths, nothing written through a
    symlink, no device nodes), then the target: not used by any container, and empty unless
    ``force`` — with ``force`` a safety backup of the current contents is taken first and the
    volume is recreated empty (same driver, options and labels) before the restore.
    A new target volume gets the labels recorded in the backup. ``progress`` is called with
    byte counts for both passes (check, then write): ``2 * uncompressed_bytes`` in all.
    """
    if target is not None:
        helper.check_name(target)  # before reading the whole backup
    manifest = reader.verify(path, progress=progress)
    name = helper.check_name(target or manifest["volume"]["name"])
    created = False
    safety: Path | None = None
    attrs = helper.inspect_volume(client, name)
    if attrs is not None:
        helper.refuse_in_use(client, name, "restore into")
        if not helper.is_empty(client, name):
            if not force:
                raise DevkitError(
                    f"volume {name} is not empty; use --force to replace its contents "
                    "(a safety backup is taken first) or --to NEW_NAME"
                )
            result = backup(client, name, kind="safety", compression="zstd")
            safety = result.path
            if on_safety_backup is not None and safety is not None:
                on_safety_backup(safety)
            helper.recreate(client, attrs)
            if not helper.is_empty(client, name):
                # e.g. a local volume bound to a host folder (o=bind,device=…): removing
                # the volume does not remove the folder's files.
                raise DevkitError(
                    f"volume {name} still holds data after being recreated (its driver keeps "
                    f"it elsewhere, options {attrs.get('Options') or {}}); empty it by hand. "
                    f"Nothing was restored; its contents are also in {safety}"
                )
    else:
        helper.create(client, name, manifest["volume"]["driver"], manifest["volume"]["labels"])
        created = True
    try:
        with helper.container(client, name) as container:
            # The member rules are applied again on the second pass, so a file swapped
            # between check and write cannot slip an unsafe member through.
            stream = reader.iter_tar(
                path,
                manifest,
                progress=progress,
                on_member=policy.MemberPolicy().check,
                rebase=transport.REBASE,
            )
            transport.put(client, container, transport.prefetch(stream), name)
    except BaseException:
        if created:  # do not leave a half-filled new volume that looks restored
            with contextlib.suppress(*engine.DOCKER_ERRORS):
                client.api.remove_volume(name)
        raise
    return RestoreResult(name, manifest, created, safety)
