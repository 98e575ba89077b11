"""Every rule in the registry has a docs page that says what the code says, and --explain
prints it."""

from __future__ import annotations

import pytest

from devkit import doctor
from devkit.cli import main

from .doctor_helpers import (
    DOCS,
)


def test_every_rule_has_a_docs_page() -> None:
    index = (DOCS / "doctor.md").read_text()
    for rule in doctor.iter_rules():
        page = DOCS / "doctor" / f"{rule.id}.md"
        assert page.is_file(), page
        text = page.read_text()
        # The page and the index show the same title and severity as the code (no drift).
        title = text.splitlines()[0].replace("`", "")
        assert title == f"# {rule.id} — {rule.title}", page
        assert f"Severity: **{rule.severity}**" in text, page
        assert "## Why" in text and "## Fix" in text, page
        row = next(line for line in index.splitlines() if f"(doctor/{rule.id}.md)" in line)
        assert rule.severity in row and rule.title in row.replace("`", ""), row
    assert {p.stem for p in (DOCS / "doctor").glob("*.md")} == set(doctor.RULES)


@pytest.mark.parametrize("rule", list(doctor.iter_rules()), ids=lambda rule: rule.id)
def test_explain_prints_every_rules_page(
    rule: doctor.Rule, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--explain", rule.id.lower()]) == 0
    assert capsys.readouterr().out == (DOCS / "doctor" / f"{rule.id}.md").read_text()
    assert doctor.rule_page(rule.id) == (DOCS / "doctor" / f"{rule.id}.md").read_text()
