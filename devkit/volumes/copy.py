"""Copy one volume's data into another, and the ``devkit update --migrate-volumes`` policy
built on it (:func:`migrate`).

The source is read the way the engine's probe proved exact (:mod:`devkit.volumes.probe`),
the target is written the way it proved exact, and the target is then checked against the
source's tree before the copy counts as done."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from devkit import engine
from devkit.errors import DevkitError
from devkit.volumes import archive, check, helper, mountpoint, probe, transport
from devkit.volumes.archive import ProgressFn
from devkit.volumes.archive.digest import Survey, TreeDigest


@dataclass
class CopyResult:
    """A volume copied: from where, to where, whether ``target`` was created, and the size of
    the tar stream that carried the data."""

    source: str
    target: str
    created: bool
    tar_bytes: int
    verified: check.Verified | None = None

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
    The target is then checked against the source's tree (paths, types, owners, modes,
    sizes, mtimes, link targets); a copy that fails or does not match leaves the target as
    it was (removed again when this created it, else emptied again).
    Returns what was done (:class:`CopyResult`).
    Raises :class:`DevkitError` (unknown source, target not empty, volume in use, an engine
    that cannot read or write volumes exactly, engine errors, a target that does not match).
    """
    src = helper.get_volume(client, source)
    helper.check_name(target)
    _refuse_running(client, source)
    dst = helper.inspect_volume(client, target)
    if dst is not None:
        helper.refuse_in_use(client, target, "copy into")
        if not helper.is_empty(client, target):
            raise DevkitError(f"cannot copy into volume {target}: it is not empty")
    sent, verified = _transfer(client, source, src, target, dst, labels=labels, progress=progress)
    return CopyResult(source, target, dst is None, sent, verified)


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
    dst = helper.inspect_volume(client, new)
    # Looked at once: the emptiness of ``new`` decides the outcome and guards the copy.
    if dst is not None and not helper.is_empty(client, new):
        return f"not copied: {new} already holds data"
    _refuse_running(client, old)
    if dst is not None:
        helper.refuse_in_use(client, new, "copy into")
    _transfer(client, old, src, new, dst, labels=labels)
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
    dst: dict[str, Any] | None,
    *,
    labels: dict[str, str] | None,
    progress: ProgressFn | None = None,
) -> tuple[int, check.Verified]:
    """Stream ``source``'s files into ``target`` (``dst``: its attributes; None: create it
    first), checked by the caller for use and emptiness, then check ``target`` against the
    source's tree. A failure leaves ``target`` as it was (removed when created here, else
    emptied again). Returns the bytes of tar stream sent and the check."""
    caps = probe.capabilities(client)
    # Refused before anything is created or written: a source that cannot be read
    # exactly, a target whose writing cannot be checked, links the engine writes wrong.
    read = caps.require_reader(source, src, "copy")
    how = caps.require_writer(target, dst, "copy into", driver=src.get("Driver") or "local")
    if read == probe.READ_MOUNT and not (caps.hardlinked_symlinks and caps.root_owner):
        # Looked at from the folder (headers only) before anything is written.
        survey = Survey()
        root = mountpoint.usable_root(src)
        assert root is not None  # require_reader said so
        for member in mountpoint.members(root):
            survey.add(member)
        caps.require_links(target, survey.hardlinked_symlink, "copy into")
        caps.require_root_owner(target, survey.root_owner, "copy into")
    if dst is None:
        # Compose's own labels say which compose project/key created the source; the copy was
        # not created by Compose, and carrying them over makes Compose misattribute it.
        inherited = {
            k: v
            for k, v in (src.get("Labels") or {}).items()
            if not k.startswith("com.docker.compose.")
        }
        helper.create(client, target, src.get("Driver") or "local", {**inherited, **(labels or {})})
    sent = 0
    expected = TreeDigest()
    folder, _ = transport.put_layout(how)
    try:
        with (
            check.tar_chunks(client, source, read) as stream,
            helper.container(client, target) as writer,
        ):

            def chunks() -> Iterator[bytes]:
                nonlocal sent
                for chunk in stream:
                    sent += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
                    yield chunk

            rebased = archive.rebase(chunks(), folder, on_member=expected.add)
            transport.put(client, writer, rebased, target, how)
        attrs = helper.get_volume(client, target)
        checker = caps.checker(attrs)
        if checker is None:
            raise DevkitError(
                f"volume {target} cannot be checked: {caps.why_not_read(target, attrs)}"
            )
        verified = check.verify_volume(
            client,
            target,
            expected,
            checker,
            what="copied",
            source=f"volume {source}",
            expected_entries=lambda: check.entries(client, source, read),
        )
    except Exception as exc:
        raise DevkitError(f"{exc}; {_roll_back(client, target, dst)}") from exc
    except BaseException:
        if dst is None:
            with contextlib.suppress(*engine.DOCKER_ERRORS):
                client.api.remove_volume(target)
        raise
    return sent, verified


def _roll_back(client: Any, target: str, dst: dict[str, Any] | None) -> str:
    """Leave ``target`` as it was before a copy that failed; says what was done."""
    try:
        if dst is None:
            client.api.remove_volume(target)
            return f"volume {target} was removed again (this copy created it)"
        helper.recreate(client, dst)
        return f"volume {target} was emptied again, as it was before"
    except engine.DOCKER_ERRORS as exc:
        return f"putting volume {target} back as it was failed too ({engine.describe(exc)})"
