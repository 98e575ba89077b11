"""Reading a volume's tree exactly, and checking a volume just written against what was sent.

How a volume is read is what the engine's probe proved exact (:mod:`devkit.volumes.probe`):
from its folder on this machine (:data:`~devkit.volumes.probe.READ_MOUNT`: only headers,
nothing streamed) or through the engine's archive endpoint
(:data:`~devkit.volumes.probe.READ_API`: the whole tar streamed back, contents included).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from devkit.errors import DevkitError
from devkit.volumes import helper, mountpoint, probe, transport
from devkit.volumes.archive import Member, TarWalker
from devkit.volumes.archive.digest import Entry, TreeDigest, compare_counts, first_difference


@dataclass
class Verified:
    """A volume found to hold exactly what was sent: how it was read, what it holds, and
    how long the check took."""

    read: str
    entries: int
    content_bytes: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: every field."""
        return asdict(self)


class Mismatch(DevkitError):
    """A volume just written does not hold what was sent."""


@contextlib.contextmanager
def tar_chunks(client: Any, name: str, how: str) -> Iterator[Iterator[bytes]]:
    """The volume's tar stream, read ``how``: through the engine, or from its folder.

    A context manager, so that the helper container exists before the caller writes
    anything (a Ctrl-C then never lands between its creation and the code that removes
    it), and the stream is closed, and the container removed, when the block ends.
    """
    if how == probe.READ_MOUNT:
        root = mountpoint.usable_root(helper.get_volume(client, name))
        if root is None:
            raise DevkitError(f"volume {name} cannot be read from its folder on this machine")
        with contextlib.closing(mountpoint.tar_stream(root)) as local:
            yield local
        return
    with (
        helper.container(client, name, read_only=True) as container,
        contextlib.closing(transport.stream(client, name, container)) as chunks,
    ):
        yield chunks


def walk(client: Any, name: str, how: str, on_member: Callable[[Member], None]) -> None:
    """Call ``on_member`` for every entry of the volume, read ``how`` (from the folder:
    headers only; through the engine: the whole stream)."""
    if how == probe.READ_MOUNT:
        root = mountpoint.usable_root(helper.get_volume(client, name))
        if root is None:
            raise DevkitError(f"volume {name} cannot be read from its folder on this machine")
        for member in mountpoint.members(root):
            on_member(member)
        return
    walker = TarWalker(on_member)
    with (
        helper.container(client, name, read_only=True) as container,
        contextlib.closing(transport.stream(client, name, container)) as chunks,
    ):
        for chunk in chunks:
            walker.feed(chunk)
    walker.finish()


def entries(client: Any, name: str, how: str) -> list[Entry]:
    """Every entry of the volume (in memory: for naming a difference)."""
    found: list[Entry] = []
    walk(client, name, how, lambda m: found.append(Entry.of(m)))
    return found


def verify_volume(
    client: Any,
    name: str,
    expected: TreeDigest,
    how: str,
    *,
    what: str,
    source: str,
    expected_entries: Callable[[], Iterable[Entry]],
) -> Verified:
    """Check that volume ``name`` holds exactly the tree ``expected`` describes (every
    entry's path, type, owner, mode, size, mtime and link target), reading it ``how``.

    Raises :class:`Mismatch` naming the first difference (``"restored volume v differs from
    the backup: a/b is missing"``): the trees are then listed in full, ``expected_entries``
    giving the expected one. A source without a root entry (a tar that never had one) is
    compared without the volume's root folder.
    """
    start = time.perf_counter()
    actual = TreeDigest()
    walk(client, name, how, actual.add)
    if expected.root is None:
        actual.drop_root()
    if actual.sha256 != expected.sha256:
        got = entries(client, name, how)
        want = list(expected_entries())
        if expected.root is None:
            got = [e for e in got if e.path != "."]
        diff = first_difference(got, want, source=source)
        counts = compare_counts(actual, expected)
        said = "; first difference: ".join(d for d in (counts, diff) if d)
        raise Mismatch(
            f"{what} volume {name} differs from {source}: "
            + (said or "its tree digest differs, but no entry does (it changed while read?)")
        )
    return Verified(
        how, actual.entries, actual.content_bytes, round(time.perf_counter() - start, 3)
    )
