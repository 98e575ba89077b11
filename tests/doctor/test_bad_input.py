"""Bad input (issue 11): however broken, cyclic, huge or unreadable a file is, an audit gives a
DK000 finding at its line (or skips what Docker would skip) and a complete report: never an
internal error, never a hang."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devkit import doctor

from .doctor_helpers import buildkit_ok, triples

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9)
)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("x: &a [*a]\n", 1, "refers to itself"),
        ("services:\n  web: &w\n    image: busybox\n    volumes: [*w]\n", 4, "refers to itself"),
        (BILLION_LAUGHS, 6, "aliases expand to more than"),
        ("x: " + "[" * 5000 + "]" * 5000 + "\n", 1, "nested more than"),
        ("- web\n- db\n", 1, "must be a mapping, not a list"),
        ("services:\n  - web\n", 1, "services must be a mapping"),
    ],
    ids=["cyclic", "cyclic-in-service", "billion-laughs", "deep", "list", "services-list"],
)
def test_compose_files_compose_refuses_are_dk000_at_their_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    (tmp_path / "compose.yaml").write_text(text)
    start = time.monotonic()
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    assert time.monotonic() - start < 30  # a bound, not a speed test: it used to hang
    (finding,) = report.findings
    assert (finding.rule, finding.file, finding.line) == ("DK000", "compose.yaml", line)
    assert words in finding.message


def test_deep_and_list_devcontainer_json_are_dk000(tmp_path: Path) -> None:
    deep = tmp_path / "deep" / ".devcontainer"
    deep.mkdir(parents=True)
    (deep / "devcontainer.json").write_text('{"a":\n' + "[" * 100_000 + "]" * 100_000 + "}")
    listed = tmp_path / "list" / ".devcontainer"
    listed.mkdir(parents=True)
    (listed / "devcontainer.json").write_text('[{"image": "busybox"}]\n')
    found = triples(doctor.audit(tmp_path, buildkit=buildkit_ok))
    assert found == [
        ("DK000", "deep/.devcontainer/devcontainer.json", 2),
        ("DK000", "list/.devcontainer/devcontainer.json", 1),
    ]


def test_a_byte_order_mark_before_json_is_fine(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text(
        '\ufeff{"image": "busybox", "remoteUser": "1000"}\n'
    )
    assert doctor.audit(tmp_path, buildkit=buildkit_ok).findings == []


def test_cli_json_report_is_complete_for_a_cyclic_compose_file(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("x: &a [*a]\n")
    proc = subprocess.run(
        [sys.executable, "-m", "devkit", "doctor", "--json", "--no-buildkit-check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr  # an error finding: exit 1, as documented
    assert "internal error" not in proc.stderr
    data = json.loads(proc.stdout)
    assert [(f["rule"], f["line"]) for f in data["findings"]] == [("DK000", 1)]
    assert data["summary"]["error"] == 1
