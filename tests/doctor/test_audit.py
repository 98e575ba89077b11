"""audit.py: what an audit reports as a whole (missing Dockerfiles, nothing to audit, bad
paths) and that the rule families run in the registry's order."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from devkit import doctor
from devkit.doctor import rules
from devkit.errors import DevkitError

from .doctor_helpers import (
    buildkit_missing,
    buildkit_ok,
    copy_fixture,
    triples,
)


def test_a_missing_dockerfile_is_dk000_not_a_clean_report(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text(
        '{\n  "name": "x",\n  "build": {"dockerfile": "Dockerfile.dev"}\n}\n'
    )
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    build:\n      context: ./web/../web\n"
    )
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "Dockerfile").symlink_to(tmp_path / "nowhere")
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    assert triples(report) == [
        ("DK000", ".devcontainer/devcontainer.json", 3),
        ("DK000", "compose.yaml", 3),  # its build: line
        ("DK000", "tools/Dockerfile", None),
    ]
    assert report.has_errors
    assert "Dockerfile.dev does not exist" in report.findings[0].message
    assert "dangling symlink" in report.findings[2].message
    assert report.findings[1].message == "the build's Dockerfile web/Dockerfile does not exist"


def test_an_empty_folder_says_there_was_nothing_to_audit(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    assert report.findings == [] and not report.has_errors
    assert report.summary().startswith("nothing to audit")


def test_audit_rejects_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DevkitError, match="no such directory"):
        doctor.audit(tmp_path / "nope")


def test_the_rule_families_run_in_the_registrys_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The auditor has no order of its own: it runs rules.FAMILIES as they are listed, and
    the report does not depend on that order."""
    root = copy_fixture("dk012-volume-root-owned", tmp_path)
    (root / ".devcontainer" / "Dockerfile").write_text(
        "# syntax=docker/dockerfile:1\nFROM debian:bookworm-slim\nRUN apt-get install -y gcc\n"
    )
    before = doctor.audit(root, buildkit=buildkit_missing).to_dict()
    ran: list[str] = []

    def recorded(family: rules.Family) -> rules.Family:
        def check(run: Any, project: Any) -> None:
            ran.append(family.__name__.rsplit(".", 1)[-1])
            family.check(run, project)

        return SimpleNamespace(RULES=family.RULES, check=check)  # type: ignore[return-value]

    reverse = tuple(recorded(f) for f in reversed(rules.FAMILIES))
    monkeypatch.setattr(rules, "FAMILIES", reverse)
    after = doctor.audit(root, buildkit=buildkit_missing).to_dict()
    assert ran == ["cache", "devcontainer", "context", "image", "dockerfile", "buildkit"]
    assert after == before
    assert {f["rule"] for f in before["findings"]} >= {"DK001", "DK002", "DK012", "DK013"}
