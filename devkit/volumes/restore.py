"""Restore a backup into a volume: everything is checked before the volume is touched, the
volume is checked against the backup after it was written, and a restore that did not
complete leaves the volume as it says (removed again, emptied again, or put back from the
safety backup)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit import engine
from devkit.errors import DevkitError
from devkit.volumes import check, helper, probe, transport
from devkit.volumes.archive import Member, ProgressFn, policy, reader
from devkit.volumes.archive.digest import Entry, Survey, TreeDigest
from devkit.volumes.backup import backup


@dataclass
class RestoreResult:
    """A backup restored: into which volume, whether it was created, the safety backup
    taken, and the check of the volume against the backup."""

    volume: str
    manifest: dict[str, Any]
    created: bool
    safety_backup: Path | None = None
    verified: check.Verified | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: ``volume``, ``created``, ``safety_backup``, ``verified``,
        ``manifest``."""
        return {
            "volume": self.volume,
            "created": self.created,
            "safety_backup": str(self.safety_backup) if self.safety_backup else None,
            "verified": self.verified.to_dict() if self.verified else None,
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
    symlink, no device nodes), what the engine can write exactly (its probe,
    :mod:`devkit.volumes.probe`), then the target: not used by any container, and empty
    unless ``force`` — with ``force`` a safety backup of the current contents is taken first
    and the volume is recreated empty (same driver, options and labels) before the restore.
    A new target volume gets the labels recorded in the backup. ``progress`` is called with
    byte counts for both passes (check, then write): ``2 * uncompressed_bytes`` in all.

    After writing, the volume is read back and compared with the backup's tree (every
    entry's path, type, owner, mode, size, mtime, link target). If that fails — or the
    write does — the volume is left as the error says: a volume this restore created is
    removed, one that was empty is emptied again, one that held data gets it back from the
    safety backup.
    """
    if target is not None:
        helper.check_name(target)  # before reading the whole backup
    survey = Survey()
    manifest = reader.verify(path, progress=progress, on_member=survey.add)
    name = helper.check_name(target or manifest["volume"]["name"])
    caps = probe.capabilities(client)
    attrs = helper.inspect_volume(client, name)
    how = caps.require_writer(
        name, attrs, "restore into", driver=manifest["volume"]["driver"] or "local"
    )
    caps.require_links(name, survey.hardlinked_symlink, "restore into")
    caps.require_root_owner(name, survey.root_owner, "restore into")
    created = False
    safety: Path | None = None
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
        verified = write_backup_into(client, name, path, manifest, caps, how, progress=progress)
    except Exception as exc:
        raise DevkitError(
            f"{exc}; {_roll_back(client, name, attrs, created, safety, caps)}"
        ) from exc
    except BaseException:  # Ctrl-C: no time for more than removing what this created
        if created:  # do not leave a half-filled new volume that looks restored
            with contextlib.suppress(*engine.DOCKER_ERRORS):
                client.api.remove_volume(name)
        raise
    return RestoreResult(name, manifest, created, safety, verified)


def write_backup_into(
    client: Any,
    name: str,
    path: Path,
    manifest: dict[str, Any],
    caps: probe.Capabilities,
    how: str,
    *,
    progress: ProgressFn | None = None,
) -> check.Verified:
    """Stream the (already verified) backup into the empty volume ``name``, uploading the
    way ``how`` says, then check the volume against the backup's tree."""
    folder, _ = transport.put_layout(how)
    rules = policy.MemberPolicy()
    expected = TreeDigest()

    def on_member(member: Member) -> None:
        # The member rules are applied again on this second pass, so a file swapped
        # between check and write cannot slip an unsafe member through.
        rules.check(member)
        expected.add(member)

    with helper.container(client, name) as container:
        stream = reader.iter_tar(
            path, manifest, progress=progress, on_member=on_member, rebase=folder
        )
        transport.put(client, container, transport.prefetch(stream), name, how)
    attrs = helper.get_volume(client, name)
    checker = caps.checker(attrs)
    if checker is None:  # refused up front for existing volumes; a new one may surprise
        raise DevkitError(f"volume {name} cannot be checked: {caps.why_not_read(name, attrs)}")
    return check.verify_volume(
        client,
        name,
        expected,
        checker,
        what="restored",
        source="the backup",
        expected_entries=lambda: _backup_entries(path, manifest),
    )


def _backup_entries(path: Path, manifest: dict[str, Any]) -> list[Entry]:
    found: list[Entry] = []
    for _ in reader.iter_tar(path, manifest, on_member=lambda m: found.append(Entry.of(m))):
        pass
    return found


def _roll_back(
    client: Any,
    name: str,
    attrs: dict[str, Any] | None,
    created: bool,
    safety: Path | None,
    caps: probe.Capabilities,
) -> str:
    """Leave volume ``name`` as it was before a restore that failed; says what was done."""
    failures: tuple[type[BaseException], ...] = (DevkitError, *engine.DOCKER_ERRORS)
    try:
        if created:
            client.api.remove_volume(name)
            return f"volume {name} was removed again (this restore created it)"
        assert attrs is not None
        helper.recreate(client, attrs)
        if safety is None:
            return f"volume {name} was emptied again, as it was before"
        manifest = reader.verify(safety)
        how = caps.require_writer(name, attrs, "put back the safety backup into")
        write_backup_into(client, name, safety, manifest, caps, how)
        return f"volume {name} holds its previous contents again (from the safety backup {safety})"
    except failures as exc:
        kept = f"; its previous contents are in {safety}" if safety else ""
        return f"putting volume {name} back as it was failed too ({engine.describe(exc)}){kept}"
