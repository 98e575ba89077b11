"""Named volumes an update renames or drops (read from the compose file), and moving their data.

The data itself is moved by the caller: :func:`migrate_volumes` takes a ``copy`` callback (the
CLI passes one built on :mod:`devkit.volumes`), so updating needs no Docker engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from devkit import compose, git
from devkit.errors import DevkitError
from devkit.labels import PURPOSE_LABEL
from devkit.update.result import CONFLICT_START, CONFLICTS, UPDATED, RepoResult, VolumeChange


def _compose_volumes(text: str | None) -> dict[str, dict[str, Any]]:
    """Top-level named volumes of a compose file: key -> {name, purpose}; {} if unreadable."""
    if not text:
        return {}
    try:
        volumes = compose.named_volumes(compose.parse(text, "compose file"), "compose file")
    except DevkitError:
        return {}  # not a compose file we can read: no volume changes to report
    return {
        v.key: {
            "name": v.name or v.key,
            "purpose": v.labels.get(PURPOSE_LABEL) or v.key,
            "labels": v.labels,
        }
        for v in volumes
    }


def volume_changes(before: str | None, after: str | None) -> list[VolumeChange]:
    """Volumes of the old compose file that the new one renames or drops.

    A volume is *renamed* when a new volume has the same purpose label (or the same compose
    key) under another name; otherwise it is *dropped*. New volumes need no migration.
    """
    old = _compose_volumes(before)
    if not old or (after and CONFLICT_START.search(after.encode())):
        # With conflict markers the new file cannot be read; the conflict is reported instead.
        return []
    new = _compose_volumes(after)
    old_names = {v["name"] for v in old.values()}
    new_names = {v["name"] for v in new.values()}
    changes: list[VolumeChange] = []
    for key, spec in old.items():
        if spec["name"] in new_names:
            continue
        successor = next((v for v in new.values() if v["purpose"] == spec["purpose"]), new.get(key))
        if successor is not None and successor["name"] not in old_names:
            changes.append(
                VolumeChange(
                    "renamed",
                    spec["name"],
                    successor["name"],
                    spec["purpose"],
                    labels=successor["labels"],
                )
            )
        else:
            changes.append(VolumeChange("dropped", spec["name"], None, spec["purpose"]))
    return changes


def read_compose(root: Path, rev: str | None) -> tuple[str | None, str | None]:
    """(path, text) of the project's compose file at ``rev`` (None = the work tree)."""
    for rel in compose.PATHS:
        if rev is None:
            path = root / rel
            if path.is_file():
                return rel, path.read_text(encoding="utf-8", errors="replace")
        else:
            shown = git.run(root, "show", f"{rev}:./{rel}", check=False)
            if shown.returncode == 0:
                return rel, shown.stdout
    return None, None


def migrate_volumes(
    results: Iterable[RepoResult],
    copy: Callable[[str, str, dict[str, str]], str],
) -> None:
    """Copy each renamed volume's data into its new name with ``copy(old, new, labels)``.

    ``labels`` are the new volume's labels from the new compose file.

    ``copy`` returns a short outcome ("copied", "nothing to copy", ...) and raises
    :class:`DevkitError` on failure; the outcome (or error) is recorded on the change. Nothing
    is ever deleted; dropped volumes are left as they are.
    """
    for res in results:
        if res.status not in (UPDATED, CONFLICTS):
            continue
        for change in res.volumes:
            if change.kind != "renamed" or change.new is None:
                continue
            try:
                change.migrated = copy(change.old, change.new, change.labels)
            except DevkitError as exc:
                change.migrated = f"failed: {exc}"
