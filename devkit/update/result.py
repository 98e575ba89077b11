"""What an update asks for and what it reports: statuses, options, conflicts, volume changes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: Statuses a repository can end in.
UPDATED = "updated"
UP_TO_DATE = "up to date"
WOULD_UPDATE = "would update"
CONFLICTS = "conflicts"
REFUSED = "refused"
FAILED = "failed"
#: Statuses that count as success for the exit code.
OK_STATUSES = frozenset({UPDATED, UP_TO_DATE, WOULD_UPDATE})


#: The first line of a block of inline conflict markers.
CONFLICT_START = re.compile(rb"^<{7}( |$)", re.MULTILINE)


@dataclass(frozen=True)
class UpdateOptions:
    """What every repository's update is asked to do (picklable: it goes to worker processes)."""

    data: Mapping[str, Any] = field(default_factory=dict)
    pretend: bool = False
    branch: str | None = None
    commit: bool = False
    #: This machine's bundled-template mirror (``bundled_source().src_path``), if known.
    bundled_mirror: str | None = None
    #: This devkit's own bundled template version (``bundled_source().vcs_ref``): what
    #: projects from the bundled template are updated to, even if a newer devkit once added
    #: a newer tag to the shared mirror. None: the mirror's newest tag.
    bundled_tag: str | None = None
    context_lines: int = 3


@dataclass
class Conflict:
    """A file left with inline conflict markers (or a ``.rej`` file) by the 3-way merge."""

    file: str
    markers: int


@dataclass
class VolumeChange:
    """A named volume the new template version no longer uses under the same name.

    ``kind`` is ``renamed`` (same purpose, new name: its data can be copied over) or
    ``dropped`` (no successor: its data stays in the old volume until removed by hand).
    """

    kind: str
    old: str
    new: str | None = None
    purpose: str | None = None
    #: Outcome of ``--migrate-volumes`` for a rename: None = not attempted.
    migrated: str | None = None
    #: The new volume's labels in the new compose file (a migration creates it with them).
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class RepoResult:
    """What happened to one repository."""

    path: str
    status: str
    reason: str | None = None
    old_version: str | None = None
    new_version: str | None = None
    template: str | None = None
    changes: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    volumes: list[VolumeChange] = field(default_factory=list)
    branch: str | None = None
    commit: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the repository ended updated (or would be) or already up to date."""
        return self.status in OK_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return asdict(self)


class Refused(Exception):
    """Internal: the repository is left alone, for the reason given."""


#: Why a project is "up to date" when it was made with a newer devkit (a colleague's, another
#: image's): nothing this devkit can bring, and a postCreateCommand hook must not fail over it.
NEWER_DEVKIT = "made with a newer devkit's template; this devkit's is {}"


class UpToDate(Exception):
    """Internal: nothing to do (an optional message says why)."""


def summary(results: Iterable[RepoResult]) -> dict[str, int]:
    """How many repositories ended in each status."""
    counts: dict[str, int] = {}
    for res in results:
        counts[res.status] = counts.get(res.status, 0) + 1
    return counts
