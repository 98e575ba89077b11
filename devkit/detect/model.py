"""What detection found, as data: facts with their source, resolved versions, conflicts.

Every fact names the file it came from (and the line where that is cheap to know), so the
wizard can say "(detected from FILE)" and ``--json`` can say where each value came from.
``to_dict()`` gives the JSON shape documented in docs/adopting.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """Where a fact was read: a repository-relative file, its line, and an optional detail."""

    file: str
    line: int | None = None
    detail: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} ({self.detail})" if self.detail else where


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One detected value and where it came from."""

    value: T
    source: Source

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "from": str(self.source)}


#: How strongly a version constraint binds (see :mod:`devkit.detect.versions`).
PIN, RANGE, LOCK, CI = "pin", "range", "lock", "ci"


@dataclass(frozen=True)
class Constraint:
    """A version constraint on one toolchain, as written in one file.

    ``kind`` is :data:`PIN` (a version file: ``.nvmrc``, ``.python-version``, ``toolchain``…),
    :data:`RANGE` (a manifest: ``requires-python``, ``engines.node``…), :data:`LOCK` (a locked
    package's own requirement) or :data:`CI` (a version CI tests with: the tie-breaker).
    ``spec`` is the text as written (``>=3.10``, ``v22.9.0``, ``1.25.0``).
    """

    tool: str
    spec: str
    kind: str
    source: Source

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "kind": self.kind, "from": str(self.source)}


@dataclass(frozen=True)
class Conflict:
    """Two sources that contradict each other; detection keeps one and says which."""

    what: str
    message: str
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "message": self.message, "sources": list(self.sources)}


@dataclass(frozen=True)
class Resolved:
    """A toolchain version chosen from its constraints (or nothing found: ``value`` None).

    ``value`` is a release line (``3.12``, ``24``, ``1.27``) when only ranges were found, or
    the pin as written (``22.9.0``, ``3.11.2``, ``stable``) when the project pins one.
    """

    value: str | None
    source: Source | None
    reason: str
    constraints: tuple[Constraint, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "from": str(self.source) if self.source else None,
            "reason": self.reason,
            "constraints": [c.to_dict() for c in self.constraints],
        }


@dataclass(frozen=True)
class RequirementsFile:
    """One pip requirements file and the files it pulls in (``-r``, ``-c``) or installs (``-e``)."""

    file: str
    includes: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    local: tuple[str, ...] = ()
    included_by: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "includes": list(self.includes),
            "constraints": list(self.constraints),
            "local": list(self.local),
            "included_by": list(self.included_by),
        }


@dataclass
class Stack:
    """What was found for one language stack (python, node, go, rust, java, dotnet)."""

    name: str
    evidence: list[str] = field(default_factory=list)
    manager: Fact[str] | None = None
    manager_version: Fact[str] | None = None
    version: Resolved | None = None
    manifests: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "evidence": self.evidence,
            "manager": self.manager.to_dict() if self.manager else None,
            "manager_version": self.manager_version.to_dict() if self.manager_version else None,
            "version": self.version.to_dict() if self.version else None,
            "manifests": self.manifests,
        }
        out.update({k: _plain(v) for k, v in self.extra.items()})
        return out


@dataclass(frozen=True)
class Setting:
    """One setting of an existing dev container configuration, and the scripts it runs."""

    key: str
    value: Any
    source: Source
    scripts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "value": self.value, "from": str(self.source)}
        if self.scripts:
            out["scripts"] = list(self.scripts)
        return out


@dataclass(frozen=True)
class Devcontainer:
    """An existing dev container configuration: its files and every setting found in them.

    ``rendered_by`` names devkit's template version when devkit wrote it (then ``devkit
    update`` merges instead of replacing).
    """

    configs: tuple[str, ...]
    files: tuple[str, ...]
    settings: tuple[Setting, ...]
    rendered_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "configs": list(self.configs),
            "files": list(self.files),
            "rendered_by": self.rendered_by,
            "settings": [s.to_dict() for s in self.settings],
        }


@dataclass
class Detection:
    """Everything detected in one repository."""

    root: str
    project_name: Fact[str] | None = None
    stacks: dict[str, Stack] = field(default_factory=dict)
    devcontainer: Devcontainer | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Debian packages the repository's own tooling runs (``make`` for a Makefile), whatever
    #: the stacks: a test command such as ``make test`` must find them.
    tools: Fact[list[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "project_name": self.project_name.to_dict() if self.project_name else None,
            "stacks": list(self.stacks),
            **{name: stack.to_dict() for name, stack in self.stacks.items()},
            "tools": self.tools.to_dict() if self.tools else None,
            "existing_devcontainer": self.devcontainer.to_dict() if self.devcontainer else None,
            "conflicts": [c.to_dict() for c in self.conflicts],
            "warnings": list(self.warnings),
        }


def _plain(value: Any) -> Any:
    """Values of :attr:`Stack.extra` as JSON: facts and files become dicts, tuples lists."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
