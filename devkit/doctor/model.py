"""What an audit is made of: severities, rules, findings, measured contexts, the report, and
the running audit as rule checks see it (:class:`Run`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from devkit.dockerfile import Dockerfile
from devkit.units import plural

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Rule:
    """One audit rule: a stable id, its default severity, and the why/fix a user reads."""

    id: str
    name: str
    severity: str
    title: str
    why: str
    fix: str

    @property
    def docs(self) -> str:
        """Path of the rule's page in devkit's documentation."""
        return f"docs/doctor/{self.id}.md"


@dataclass(frozen=True)
class Finding:
    """One problem found: which rule, how bad, where (file relative to the audited root)."""

    rule: str
    severity: str
    file: str
    line: int | None
    message: str
    #: The rule ``rule`` names (its title, why and fix for ``to_dict``); not part of what
    #: makes two findings the same.
    about: Rule = field(compare=False, repr=False)

    @property
    def location(self) -> str:
        """``file:line`` (or just ``file`` when the problem has no single line)."""
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict[str, Any]:
        rule = self.about
        return {
            "rule": self.rule,
            "name": rule.name,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "title": rule.title,
            "why": rule.why,
            "fix": rule.fix,
            "docs": rule.docs,
        }


@dataclass(frozen=True)
class ContextSize:
    """A build context measured with and without its ``.dockerignore``."""

    context: str
    dockerignore: str | None
    files_total: int
    bytes_total: int
    files_sent: int
    bytes_sent: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "dockerignore": self.dockerignore,
            "files_total": self.files_total,
            "bytes_total": self.bytes_total,
            "files_sent": self.files_sent,
            "bytes_sent": self.bytes_sent,
        }


@dataclass
class Report:
    """The result of :func:`devkit.doctor.audit`."""

    root: Path
    findings: list[Finding] = field(default_factory=list)
    contexts: list[ContextSize] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of findings per severity."""
        return {sev: sum(1 for f in self.findings if f.severity == sev) for sev in SEVERITIES}

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def summary(self) -> str:
        """One line such as ``2 errors, 1 warning, 0 info in 4 files``."""
        counts = self.counts()
        files = plural(len(self.files), "file")
        if not self.files:
            # Not "no problems": a wrong folder would read as a clean bill of health.
            return "nothing to audit: no Dockerfile, compose file or devcontainer.json here"
        if not self.findings:
            return f"no problems found in {files}"
        parts = [
            plural(counts[ERROR], "error"),
            plural(counts[WARNING], "warning"),
            f"{counts[INFO]} info",
        ]
        return ", ".join(parts) + f" in {files}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "files": self.files,
            "findings": [f.to_dict() for f in self.findings],
            "contexts": [c.to_dict() for c in self.contexts],
            "summary": {**self.counts(), "text": self.summary()},
        }


@dataclass(frozen=True)
class BuildKitStatus:
    """What DK001 needs to know about BuildKit on this machine.

    ``available``: some docker client here builds with BuildKit. ``default_client_ok``: the
    client tools run by default (``$DEVKIT_DOCKER`` or the first ``docker`` on PATH) does.
    ``detail``: what was tried, for the message. ``checked`` is False when the probe could
    not run at all (no engine answered), so nothing is known either way. ``podman``: the
    version of Podman when that is the engine behind the docker client (DOCKER_HOST or the
    docker context): it builds with buildah, not BuildKit, and no probe build is run.
    """

    available: bool
    default_client_ok: bool
    detail: str
    checked: bool = True
    podman: str | None = None


#: The BuildKit probe an audit is given (the real one: ``rules.buildkit.buildkit_status``).
BuildKitProbe = Callable[[], BuildKitStatus]


class Run(Protocol):
    """The running audit (:class:`devkit.doctor.audit.Audit`) as rule checks and the project
    readers see it: they get it as a parameter, so nothing they import knows the auditor."""

    @property
    def root(self) -> Path:
        """The audited folder (resolved)."""

    @property
    def parsed(self) -> Mapping[Path, Dockerfile]:
        """Every Dockerfile the audit parsed, by resolved path, in the order they were read."""

    @property
    def buildkit(self) -> BuildKitProbe | None:
        """The BuildKit probe for DK001 (None: the rule is skipped)."""

    @property
    def contexts(self) -> list[ContextSize]:
        """The build contexts measured so far (the report's context table)."""

    @property
    def files(self) -> set[str]:
        """Every file the audit read, relative to the root (the report's ``files``)."""

    def rel(self, path: Path) -> str:
        """``path`` as findings name it: relative to the root when it is inside."""

    def read(self, path: Path) -> str:
        """The text of ``path``, kept for inline suppressions; raises
        :class:`devkit.doctor.parse.LineError` when it cannot be read or is not UTF-8."""

    def add(
        self,
        rule: str,
        file: Path | str,
        line: int | None,
        message: str,
        severity: str | None = None,
    ) -> None:
        """Record a finding of rule id ``rule`` (at the rule's own severity unless given)."""
