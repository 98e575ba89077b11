"""`devkit volumes` command line without an engine: help, argument errors, offline checks."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from devkit import archive
from devkit.cli import main

SUBCOMMANDS = ["create", "list", "backup", "restore", "verify", "rm", "prune-backups"]


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_examples(sub: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["volumes", sub, "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"devkit volumes {sub}" in out


def test_volumes_help_lists_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["volumes", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(sub in out for sub in SUBCOMMANDS)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create"], "either volume NAMEs or --project"),
        (["backup"], "either volume NAMEs or --project"),
        (["rm"], "either volume NAMEs or --project"),
        (["create", "x", "--project", "."], "either volume NAMEs or --project"),
    ],
)
def test_usage_errors_are_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["volumes", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_unknown_subcommand_is_usage_error() -> None:
    assert main(["volumes", "frobnicate"]) == 2


def _good_backup(tmp_path: Path) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("./f")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    path = tmp_path / "good.tar.zst"
    with path.open("wb") as fh:
        archive.write_backup([buf.getvalue()], fh, volume={"name": "v", "driver": "local"})
    return path


def test_verify_and_bad_restore_need_no_engine(tmp_path: Path) -> None:
    """verify is offline; restore rejects a bad file before it even connects."""
    env = {"DOCKER_HOST": "unix:///nonexistent/docker.sock", "PATH": "/usr/bin:/bin"}
    good = _good_backup(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "devkit", "volumes", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = run("verify", str(good), "--json")
    assert ok.returncode == 0, ok.stderr
    assert '"ok": true' in ok.stdout
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    bad = run("restore", str(notes))
    assert bad.returncode == 1 and "not a devkit backup" in bad.stderr
    assert "cannot reach" not in bad.stderr
    mixed = run("verify", str(good), str(notes))
    assert mixed.returncode == 1
    assert "good.tar.zst: ok" in mixed.stdout and "not a devkit backup" in mixed.stderr
    down = run("restore", str(good))
    assert down.returncode == 1 and "cannot reach the Docker engine" in down.stderr
    for proc in (bad, down):
        assert "Traceback" not in proc.stderr


def test_prune_needs_an_existing_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["volumes", "prune-backups", "--keep", "1", "--dir", str(tmp_path / "no")]) == 1
    assert "no such directory" in capsys.readouterr().err
    assert main(["volumes", "prune-backups", "--keep", "-1", "--dir", str(tmp_path)]) == 1
