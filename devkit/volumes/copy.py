"""Copy one volume's data into another, and the ``devkit update --migrate-volumes`` policy
built on it (:func:`migrate`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from devkit import engine
from devkit.errors import DevkitError
from devkit.volumes import archive, helper, transport
from devkit.volumes.archive import ProgressFn


@dataclass
class CopyResult:
    """A volume copied: from where, to where, whether ``target`` was created, and the size of
    the tar stream that carried the data."""

    source: str
    target: str
    created: bool
    tar_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: every field."""
        return asdict(self)


def copy_volume(
    client: Any,
    source: str,
    target: str,
    *,
    labels: dict[str, str] | None = None,
    progress: ProgressFn | None = None,
) -> CopyResult:
    """Copy the data of volume ``source`` into volume ``target``.

    ``target`` is created when missing — with ``source``'s driver and labels (except Docker
    Compose's ``com.docker.compose.*``), updated with ``labels`` (e.g. a new
    purpose label) — or must exist and be empty. Ownership,
    modes, symlinks, hard links and mtimes are kept (the tar stream goes straight from one
    helper container to the other, nothing touches the local disk). ``source`` may be used
    by stopped containers but not by a running one; ``target`` by no container at all.
    Returns what was done (:class:`CopyResult`).
    Raises :class:`DevkitError` (unknown source, target not empty, volume in use, engine errors).
    """
    src = helper.get_volume(client, source)
    helper.check_name(target)
    _refuse_running(client, source)
    exists = helper.volume_exists(client, target)
    if exists:
        helper.refuse_in_use(client, target, "copy into")
        if not helper.is_empty(client, target):
            raise DevkitError(f"cannot copy into volume {target}: it is not empty")
    sent = _transfer(
        client, source, src, target, create=not exists, labels=labels, progress=progress
    )
    return CopyResult(source, target, not exists, sent)


#: What :func:`migrate` reports when it copied, and when there was nothing to copy.
MIGRATED = "copied (old volume kept)"
NOTHING_TO_MIGRATE = "nothing to copy: no such volume here"


def migrate(client: Any, old: str, new: str, labels: dict[str, str]) -> str:
    """Move a renamed volume's data from ``old`` into ``new`` (``devkit update
    --migrate-volumes``); returns the outcome in a few words for the user.

    ``old`` is never changed or removed. Two cases are outcomes, not errors: ``old`` does not
    exist on this engine (the project never ran here: :data:`NOTHING_TO_MIGRATE`), and ``new``
    already holds data (its container already ran: ``"not copied: <new> already holds
    data"``). Otherwise the data is copied as by :func:`copy_volume`, ``new`` being created
    with ``labels`` (:data:`MIGRATED`); a volume in use or an engine error raises
    :class:`DevkitError`.
    """
    src = helper.inspect_volume(client, old)
    if src is None:
        return NOTHING_TO_MIGRATE
    helper.check_name(new)
    exists = helper.volume_exists(client, new)
    # Looked at once: the emptiness of ``new`` decides the outcome and guards the copy.
    if exists and not helper.is_empty(client, new):
        return f"not copied: {new} already holds data"
    _refuse_running(client, old)
    if exists:
        helper.refuse_in_use(client, new, "copy into")
    _transfer(client, old, src, new, create=not exists, labels=labels)
    return MIGRATED


def _refuse_running(client: Any, source: str) -> None:
    # Reading a volume that only stopped containers use is safe; a running one may change
    # under the copy.
    running = helper.users(client, source, running_only=True)
    if running:
        raise DevkitError(
            f"cannot copy volume {source}: running container(s) {', '.join(running)} use it; "
            "stop them first"
        )


def _transfer(
    client: Any,
    source: str,
    src: dict[str, Any],
    target: str,
    *,
    create: bool,
    labels: dict[str, str] | None,
    progress: ProgressFn | None = None,
) -> int:
    """Stream ``source``'s files into ``target`` (checked by the caller), creating ``target``
    first when ``create`` — and removing it again if the copy does not complete. Returns the
    bytes of tar stream sent."""
    if create:
        # Compose's own labels say which compose project/key created the source; the copy was
        # not created by Compose, and carrying them over makes Compose misattribute it.
        inherited = {
            k: v
            for k, v in (src.get("Labels") or {}).items()
            if not k.startswith("com.docker.compose.")
        }
        helper.create(client, target, src.get("Driver") or "local", {**inherited, **(labels or {})})
    sent = 0
    try:
        with (
            helper.container(client, source, read_only=True) as reader,
            helper.container(client, target) as writer,
            contextlib.closing(transport.stream(client, source, reader)) as stream,
        ):

            def chunks() -> Iterator[bytes]:
                nonlocal sent
                for chunk in stream:
                    sent += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
                    yield chunk

            transport.put(client, writer, archive.rebase(chunks(), transport.REBASE), target)
    except BaseException:
        if create:
            with contextlib.suppress(*engine.DOCKER_ERRORS):
                client.api.remove_volume(target)
        raise
    return sent
