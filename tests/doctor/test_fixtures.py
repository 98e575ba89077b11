"""The fixture-per-rule table: one hand-written bad repository per rule (tests/fixtures/doctor/),
each giving exactly its rule's findings, for every rule in the registry; and a good one."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit import doctor
from devkit.doctor import rules

from .doctor_helpers import (
    FIXTURES,
    buildkit_ok,
    copy_fixture,
    git_folder,
    node_modules,
    triples,
)

EXPECTED: dict[str, list[tuple[str, str, int | None]]] = {
    "good": [],
    "dk000-broken": [("DK000", ".devcontainer/devcontainer.json", 4)],
    "dk002-no-cache-mount": [("DK002", "Dockerfile", 3)],
    "dk003-docker-clean": [("DK003", "Dockerfile", 2)],
    "dk004-source-first": [("DK004", "Dockerfile", 3)],
    "dk005-toolchain": [("DK005", "Dockerfile", 3)],
    "dk006-root": [("DK006", "Dockerfile", 4)],
    "dk007-secrets": [
        ("DK007", "Dockerfile", 2),
        ("DK007", "Dockerfile", 3),
        ("DK007", "Dockerfile", 5),
    ],
    "dk008-no-dockerignore": [("DK008", ".dockerignore", None)],
    "dk009-leaky-dockerignore": [("DK009", ".dockerignore", None)],
    "dk010-secret-files": [("DK010", ".dockerignore", None)],
    "dk011-cache-no-volume": [("DK011", ".devcontainer/devcontainer.json", 4)],
    "dk012-volume-root-owned": [
        ("DK012", ".devcontainer/compose.yaml", 8),
        ("DK012", ".devcontainer/compose.yaml", 9),
    ],
    "dk013-syntax-directive": [("DK013", "Dockerfile", 1)],
    "dk014-copy-ignored": [("DK014", "Dockerfile", 3), ("DK014", "Dockerfile", 4)],
    "dk015-cache-final-stage": [("DK015", ".devcontainer/compose.yaml", 7)],
}


def test_every_rule_has_a_bad_fixture() -> None:
    covered = {rule for found in EXPECTED.values() for rule, _, _ in found} | {"DK001"}
    assert covered == set(doctor.RULES)
    # patterns/: the real-repository patterns of test_patterns.py
    assert {p.name for p in FIXTURES.iterdir()} == set(EXPECTED) | {"dk001-buildkit", "patterns"}


def test_the_registry_holds_each_rule_once_in_id_order() -> None:
    declared = [rules.DK000, *(rule for family in rules.FAMILIES for rule in family.RULES)]
    assert sorted(rule.id for rule in declared) == list(doctor.RULES)  # none twice, none lost
    assert [rule.id for rule in doctor.iter_rules()] == list(doctor.RULES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_finds_exactly_its_rule(name: str, tmp_path: Path) -> None:
    report = doctor.audit(copy_fixture(name, tmp_path), buildkit=buildkit_ok)
    assert triples(report) == EXPECTED[name], [f.message for f in report.findings]
    for finding in report.findings:
        assert finding.severity == doctor.RULES[finding.rule].severity
        assert finding.message


def test_good_repository_is_clean_even_with_its_git_folder(tmp_path: Path) -> None:
    root = copy_fixture("good", tmp_path)
    git_folder(root)
    node_modules(root)
    (root / ".env").write_text("SECRET=1\n")
    report = doctor.audit(root, buildkit=buildkit_ok)
    assert report.findings == []
    assert report.summary().startswith("no problems found in 4 files")
    (ctx,) = report.contexts
    assert ctx.context == "." and ctx.dockerignore == ".dockerignore"
    assert ctx.bytes_total - ctx.bytes_sent > 200_000  # .git and node_modules stay home
