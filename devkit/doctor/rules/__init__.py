"""The rule registry: every rule family in the order an audit runs them, and every rule by id.

A family is a module beside this one declaring its rules (``RULES``), each next to the code
that reports it, and one ``check(run, project)`` applying them. This is the only place that
lists the families: to add a rule, declare it in its family's module and add it to that
module's ``RULES``; it then needs a fixture and a docs page (the tests iterate this registry).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from devkit.doctor.model import ERROR, Rule, Run
from devkit.doctor.project import Project
from devkit.doctor.rules import buildkit, cache, context, devcontainer, dockerfile, image
from devkit.doctor.rules.buildkit import buildkit_status
from devkit.errors import UsageError
from devkit.resources import docs_dir

__all__ = ["DK000", "FAMILIES", "RULES", "Family", "buildkit_status", "iter_rules", "rule_page"]


class Family(Protocol):
    """A rule family module: its rules, and the check that reports them."""

    RULES: tuple[Rule, ...]

    def check(self, run: Run, project: Project) -> None: ...


#: Reported by the audit itself (and by any family) for a file it cannot read or parse.
DK000 = Rule(
    "DK000",
    "unreadable-file",
    ERROR,
    "A Dockerfile, compose file or devcontainer.json cannot be read or parsed",
    "Docker, Compose or the Dev Containers CLI will refuse it too, and doctor cannot audit it.",
    "Fix the error reported in the message (a syntax error, or a Dockerfile path that "
    "does not exist).",
)

#: The families, in the order an audit runs their checks.
FAMILIES: tuple[Family, ...] = (buildkit, dockerfile, image, context, devcontainer, cache)

#: Every rule by id, in id order.
RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in sorted(
        (DK000, *(rule for family in FAMILIES for rule in family.RULES)), key=lambda r: r.id
    )
}


def rule_page(rule_id: str) -> str:
    """The markdown page explaining ``rule_id`` (``docs/doctor/<ID>.md``, shipped in the
    wheel as ``devkit/_data/docs/doctor``); the rule's title, why and fix if it is missing.

    Raises :class:`UsageError` (a :class:`DevkitError`) for an unknown rule id.
    """
    rule = RULES.get(rule_id.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule id {rule_id} (known: {', '.join(RULES)})")
    page = docs_dir() / "doctor" / f"{rule.id}.md"
    if page.is_file():
        return page.read_text(encoding="utf-8")
    return (
        f"# {rule.id} — {rule.title}\n\nSeverity: **{rule.severity}**\n\n"
        f"## Why\n\n{rule.why}\n\n## Fix\n\n{rule.fix}\n"
    )


def iter_rules() -> Iterator[Rule]:
    """Every rule, in id order."""
    yield from RULES.values()
