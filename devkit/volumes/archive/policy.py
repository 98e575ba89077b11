"""What a restore may write: the rules every tar member passes before anything is written."""

from __future__ import annotations

from devkit.errors import DevkitError
from devkit.volumes.archive.tar import BLOCKDEV, CHARDEV, HARDLINK, SYMLINK, Member, path_parts


class MemberPolicy:
    """Rejects tar members that could write outside the volume, before anything is written.

    Rules: no absolute paths, no ``..`` components (in names or in hard-link targets), no
    member (or hard-link target) whose parent path goes through a symlink that appears in
    the archive, and no device nodes. Symlink *targets* are left alone: they come back as
    they were; a hard link to a symlink is allowed and counts as a symlink from then on.
    """

    def __init__(self) -> None:
        self._symlinks: set[tuple[str, ...]] = set()

    def check(self, member: Member) -> None:
        name = member.name
        if name.startswith("/") or ".." in name.split("/"):
            raise DevkitError(f"unsafe backup: member {name!r} has an absolute path or '..'")
        parts = tuple(path_parts(name))
        for i in range(1, len(parts)):
            if parts[:i] in self._symlinks:
                raise DevkitError(
                    f"unsafe backup: member {name!r} would be written through the symlink "
                    f"{'/'.join(parts[:i])!r}"
                )
        if member.type == HARDLINK:
            target = member.linkname
            if target.startswith("/") or ".." in target.split("/"):
                raise DevkitError(
                    f"unsafe backup: hard link {name!r} points outside the volume ({target!r})"
                )
            tparts = tuple(path_parts(target))
            for i in range(1, len(tparts)):
                if tparts[:i] in self._symlinks:
                    raise DevkitError(
                        f"unsafe backup: hard link {name!r} goes through a symlink ({target!r})"
                    )
        if member.type in (CHARDEV, BLOCKDEV):
            raise DevkitError(f"unsafe backup: member {name!r} is a device node")
        if member.type == SYMLINK or (
            member.type == HARDLINK and tuple(path_parts(member.linkname)) in self._symlinks
        ):
            # A hard link *to* a symlink (`ln symlink other` makes one) is itself a symlink:
            # link(2) does not follow the target, but later members must not go through it.
            self._symlinks.add(parts)
        elif parts in self._symlinks:
            # A later member replacing a symlink by a real entry is fine for writing the entry
            # itself, but not for entries below it that we may already have accepted.
            self._symlinks.discard(parts)
