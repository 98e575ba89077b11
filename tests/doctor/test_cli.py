"""`devkit doctor` on the command line: JSON, tables, exit codes, --ignore, --explain; in-process
and as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devkit import doctor
from devkit.cli import main

from .doctor_helpers import (
    DOCS,
    copy_fixture,
    triples,
)


def test_cli_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = copy_fixture("good", tmp_path)
    assert main(["doctor", str(good), "--json", "--no-buildkit-check"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] == [] and data["summary"]["error"] == 0

    bad = copy_fixture("dk007-secrets", tmp_path)
    assert main(["doctor", str(bad), "--json", "--no-buildkit-check"]) == 1
    data = json.loads(capsys.readouterr().out)
    first = data["findings"][0]
    assert first["rule"] == "DK007" and first["line"] == 2 and first["severity"] == "error"
    assert first["why"] and first["fix"] and first["docs"] == "docs/doctor/DK007.md"
    assert data["summary"]["error"] == 3

    info_only = copy_fixture("dk013-syntax-directive", tmp_path)
    assert main(["doctor", str(info_only), "--no-buildkit-check"]) == 0
    assert "0 errors, 0 warnings, 1 info" in capsys.readouterr().out

    warn_only = copy_fixture("dk002-no-cache-mount", tmp_path)
    assert main(["doctor", str(warn_only), "--no-buildkit-check"]) == 0
    out = capsys.readouterr().out
    assert "DK002" in out and "Dockerfile:3" in out
    assert "0 errors, 1 warning, 0 info" in out
    if "COLUMNS" not in os.environ:  # a log is printed 120 wide: the fix stays on one line
        assert f"fix: {doctor.RULES['DK002'].fix}" in out


def test_cli_table_fits_an_80_column_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    root = copy_fixture("dk012-volume-root-owned", tmp_path)
    assert main(["doctor", str(root), "--no-buildkit-check"]) == 1
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line[:1] in "┏┃┡│└"]
    assert table and max(len(line) for line in table) <= 80
    # the file:line leads the message (a column of its own would cut paths mid-word)
    assert ".devcontainer/compose.yaml:8: Named volume mounted" in out


def test_ignore_rules_and_inline_suppression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_fixture("dk007-secrets", tmp_path)
    assert doctor.audit(root, buildkit=None, ignore=["dk007"]).findings == []
    dockerfile = root / "Dockerfile"
    lines = dockerfile.read_text().splitlines()
    lines.insert(1, "# the token is a build-only dummy  devkit-doctor: ignore=DK002, DK007")
    lines[5] += "  # devkit-doctor: ignore=DK007"  # ENV GH_PAT_VALUE, now line 6
    dockerfile.write_text("\n".join(lines) + "\n")
    assert triples(doctor.audit(root, buildkit=None)) == [("DK007", "Dockerfile", 4)]
    assert main(["doctor", str(root), "--no-buildkit-check", "--ignore", "DK001,DK007"]) == 0
    capsys.readouterr()
    # A wrong command line exits 2, never 1 ("the audit found errors").
    assert main(["doctor", str(root), "--ignore", "DK999"]) == 2
    assert "unknown rule id DK999" in capsys.readouterr().err


def test_cli_bad_path_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert "no such directory" in err and len(err.strip().splitlines()) == 1


def test_cli_explain_prints_the_rules_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--explain", "dk003"]) == 0
    out = capsys.readouterr().out
    assert out == (DOCS / "doctor" / "DK003.md").read_text()
    assert main(["doctor", "--explain", "DK999"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule id DK999" in err and len(err.strip().splitlines()) == 1


def test_cli_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--help"]) == 0
    assert "devkit doctor ~/src/legacy-repo" in capsys.readouterr().out


def test_cli_as_a_subprocess(tmp_path: Path) -> None:
    good = copy_fixture("good", tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "devkit", "doctor", str(good), "--no-buildkit-check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no problems found" in done.stdout
    bad = copy_fixture("dk012-volume-root-owned", tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "devkit", "doctor", str(bad), "--json", "--no-buildkit-check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert [f["rule"] for f in json.loads(done.stdout)["findings"]] == ["DK012", "DK012"]


def test_cli_doctor_loads_neither_the_engine_client_nor_unused_rich_parts(tmp_path: Path) -> None:
    # A subprocess `devkit doctor` is mostly interpreter start and imports: docker-py's Engine
    # client (requests, urllib3, paramiko), importlib.metadata and rich's Markdown cost more
    # than a small audit. The audit still measures the context (the .dockerignore matching
    # comes from docker-py's own build helpers, loaded without the client).
    good = copy_fixture("good", tmp_path)
    code = (
        "import sys\n"
        "from devkit.cli import main\n"
        f"status = main(['doctor', {str(good)!r}, '--json', '--no-buildkit-check'])\n"
        "heavy = ('docker', 'requests', 'urllib3', 'paramiko', 'importlib.metadata',\n"
        "         'rich.markdown', 'rich.table')\n"
        "print(status, [m for m in heavy if m in sys.modules], file=sys.stderr)\n"
        "print('_devkit_dockerpy.utils.build' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout)["findings"] == []
    assert done.stderr.splitlines() == ["0 []", "True"]


def test_cli_doctor_names_podman_behind_docker_host(tmp_path: Path) -> None:
    # A fake Podman answer on DOCKER_HOST (tests/fake_engine.py): the CLI asks devkit.engine
    # which engine it is and DK001 says so, with no BuildKit probe build.
    from fake_engine import fake_engine, podman_version

    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nRUN <<EOF\necho hi\nEOF\n")
    with fake_engine(tmp_path / "podman.sock", podman_version("4.3.1")) as host:
        done = subprocess.run(
            ["devkit", "doctor", str(tmp_path), "--json"],
            env={**os.environ, "DOCKER_HOST": host},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    findings = [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "DK001"]
    assert done.returncode == 1, done.stderr
    assert [(f["severity"], f["line"]) for f in findings] == [("error", 2)]
    assert findings[0]["message"] == (
        "the engine is Podman 4.3.1: it builds with buildah, not BuildKit; this Dockerfile "
        "will not build: a heredoc in RUN not supported (buildah 1.28, Podman 4.3)"
    )
