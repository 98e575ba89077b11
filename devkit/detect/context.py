"""What every stack's detector is handed: the repository, the version constraints found
outside its own files (version files, CI), and where conflicts and warnings go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from devkit.detect import resolve
from devkit.detect.model import Conflict, Constraint, Resolved
from devkit.detect.reader import Repo


@dataclass
class Context:
    """One detection run. ``pins`` come from version files (:mod:`.toolfiles`), ``ci`` from
    the workflows (:mod:`.ci`), both per tool; ``arch`` is the container's machine."""

    repo: Repo
    pins: dict[str, list[Constraint]] = field(default_factory=dict)
    ci: dict[str, list[Constraint]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    arch: str = "x86_64"

    def resolve(self, tool: str, constraints: Sequence[Constraint]) -> Resolved | None:
        """:func:`devkit.detect.resolve.resolve`, reporting into this run."""
        return resolve.resolve(tool, constraints, self.conflicts, self.repo.warnings)
