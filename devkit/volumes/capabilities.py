"""What devkit's probe found an engine does with volume data (:mod:`devkit.volumes.probe`
finds it out and caches it), and the refusals that follow from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from devkit.engine import EngineInfo
from devkit.errors import DevkitError
from devkit.volumes import mountpoint, transport

#: How the volume is read: through the engine's archive endpoint, or from its folder here.
READ_API = "api"
READ_MOUNT = "mount"


@dataclass(frozen=True)
class Capabilities:
    """What devkit can rely on with one engine.

    ``put``: the upload mode whose result an exact read saw (None: no upload could be
    checked). ``read_api``: the archive endpoint returns a volume exactly (owners included).
    ``read_mount``: the volumes' folders are on this machine, readable, with the owners the
    engine wrote. ``hardlinked_symlinks``: that upload also writes a hard link to a symlink
    exactly. ``root_owner``: it also gives the volume's root folder the archive's owner, and
    it is still there after the volume's next use (Podman gives a volume's root to the
    first container that uses it; see :func:`devkit.volumes.helper.container`). ``notes``: for
    each check that failed, what went wrong (first difference or error). ``cached``: this
    answer came from the cache file.
    """

    engine: EngineInfo
    put: str | None
    read_api: bool
    read_mount: bool
    hardlinked_symlinks: bool = False
    root_owner: bool = False
    notes: dict[str, str] = field(default_factory=dict)
    probed: str = ""
    seconds: float = 0.0
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` (and cache) form."""
        data = asdict(self)
        data["engine"] = self.engine.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Capabilities:
        """Read back :meth:`to_dict` (raises KeyError/TypeError/ValueError when malformed)."""
        put = data["put"]
        if put is not None and put not in transport.PUT_MODES:
            raise ValueError(f"unknown upload mode {put!r}")
        return cls(
            engine=EngineInfo(**data["engine"]),
            put=put,
            read_api=bool(data["read_api"]),
            read_mount=bool(data["read_mount"]),
            hardlinked_symlinks=bool(data["hardlinked_symlinks"]),
            root_owner=bool(data["root_owner"]),
            notes={str(k): str(v) for k, v in dict(data.get("notes") or {}).items()},
            probed=str(data.get("probed", "")),
            seconds=float(data.get("seconds", 0.0)),
        )

    # ------------------------------------------------------------------ decisions

    def reader(self, attrs: dict[str, Any]) -> str | None:
        """How to read volume ``attrs`` exactly: :data:`READ_API`, :data:`READ_MOUNT` or None."""
        if self.read_api:
            return READ_API
        if self.read_mount and mountpoint.usable_root(attrs) is not None:
            return READ_MOUNT
        return None

    def checker(self, attrs: dict[str, Any]) -> str | None:
        """How to check volume ``attrs`` after writing it: from its folder when that is exact
        (no data streamed back), else through the API when that is exact, else None."""
        if self.read_mount and mountpoint.usable_root(attrs) is not None:
            return READ_MOUNT
        return READ_API if self.read_api else None

    def why_not_read(self, name: str, attrs: dict[str, Any]) -> str:
        """Why volume ``name`` cannot be read exactly here, in a few words (for errors)."""
        api = self.notes.get("read_api", "it is not exact")
        reasons = [f"{self.engine.name}'s archive endpoint does not return volumes exactly ({api})"]
        if self.read_mount:
            reasons.append(
                f"volume {name} cannot be read from its folder on this machine "
                f"(driver {attrs.get('Driver') or 'local'!r}, options {attrs.get('Options') or {}})"
            )
        else:
            mount = self.notes.get("read_mount", "the engine is not on this machine")
            reasons.append(f"its volumes cannot be read from their folders here ({mount})")
        return "; ".join(reasons)

    def require_reader(self, name: str, attrs: dict[str, Any], action: str) -> str:
        """:meth:`reader`, or a :class:`DevkitError` saying why ``action`` is refused."""
        how = self.reader(attrs)
        if how is None:
            raise DevkitError(
                f"cannot {action} volume {name} exactly: {self.why_not_read(name, attrs)}; "
                "nothing was written (see docs/volumes.md#engines)"
            )
        return how

    def require_writer(
        self, name: str, attrs: dict[str, Any] | None, action: str, *, driver: str = "local"
    ) -> str:
        """The upload mode for writing into ``name``, refusing up front when no upload was
        proven or the result could not be checked. ``attrs`` None: a volume yet to be
        created with ``driver``."""
        if self.put is None:
            why = "; ".join(v for k, v in self.notes.items() if k.startswith("put")) or (
                "no exact read"
            )
            raise DevkitError(
                f"cannot {action} volume {name}: {self.engine.name} accepts archive uploads "
                f"into a volume but devkit could not see them arrive intact ({why}); "
                "nothing was written (see docs/volumes.md#engines)"
            )
        if attrs is None:
            checkable = self.read_api or (self.read_mount and driver == "local")
            attrs = {"Driver": driver, "Options": None}
        else:
            checkable = self.checker(attrs) is not None
        if not checkable:
            raise DevkitError(
                f"cannot {action} volume {name}: the result could not be checked "
                f"({self.why_not_read(name, attrs)}); nothing was written"
            )
        return self.put

    def require_root_owner(self, name: str, owner: tuple[int, int] | None, action: str) -> None:
        """Refuse up front to write a tree whose root folder is owned by ``owner`` (None: the
        tree has no root entry) where the upload leaves a volume's root folder root's."""
        if owner is None or self.root_owner or owner == (0, 0):
            return
        seen = self.notes.get("root_owner", "it stays 0:0")
        raise DevkitError(
            f"cannot {action} volume {name}: its root folder must be owned by "
            f"{owner[0]}:{owner[1]}, and {self.engine.name} does not give a volume's root "
            f"folder the owner in the archive it unpacks (devkit's probe: {seen}); "
            "nothing was written"
        )

    def require_links(self, name: str, link: str | None, action: str) -> None:
        """Refuse up front to write a tree holding a hard link to a symlink (``link``, its
        first path; None: there is none) where the probe saw the upload get it wrong."""
        if link is None or self.hardlinked_symlinks:
            return
        seen = self.notes.get("hardlinked_symlinks", "it is written wrong")
        raise DevkitError(
            f"cannot {action} volume {name}: the data holds a hard link to a symlink "
            f"({link}), which {self.engine.name} does not write exactly (devkit's probe: {seen}); "
            "nothing was written"
        )
