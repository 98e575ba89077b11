"""`devkit volumes` command line without an engine: help, argument errors, offline checks."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from devkit import volumes as vol
from devkit.cli import main
from devkit.errors import DevkitError
from devkit.volumes import archive
from devkit.volumes.check import Verified

SUBCOMMANDS = [
    "create",
    "list",
    "backup",
    "restore",
    "verify",
    "copy",
    "rm",
    "prune-backups",
    "push",
    "pull",
]


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
        (["create", "x", "--label", "novalue"], "--label 'novalue': expected KEY=VALUE"),
        (["backup", "a", "b", "-o", "-"], "-o - (stdout) takes exactly one volume"),
        (["copy", "a", "b", "--label", "nolabel"], "--label 'nolabel': expected KEY=VALUE"),
        (["backup", "v", "--level", "99"], "zstd takes levels 1 to 22"),
        (["backup", "v", "--compression", "gzip", "--level", "12"], "gzip takes levels 0 to 9"),
        (["backup", "v", "-o", "-", "--json"], "--json cannot be combined with -o -"),
        (["create", "--project", ".", "--purpose", "x"], "only apply to NAMEs"),
        (["create", "x", "--seed-from", "r.io/a:b"], "--seed-from needs --project"),
        (["create", "--project", ".", "--seed-from", "R.io/A"], "is not an image reference"),
        (["push", "v", "Registry.io/Caches:pip"], "is not an image reference"),
        (["push", "v", "r.io/caches@sha256:" + "a" * 64], "push to a tag, not a digest"),
        (["push", "v", "r.io/caches:bad:tag"], "is not a valid tag"),
        (["push", "v", "r.io/c", "--level", "99"], "zstd takes levels 1 to 22"),
        (["pull", "r.io/caches@sha256:abc"], "a digest is sha256: and 64"),
    ],
)
def test_usage_errors_are_one_line(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Exit 2 before the engine is asked: the same answer on a machine without Docker.
    def no_engine() -> None:
        raise DevkitError("cannot reach the Docker engine")

    monkeypatch.setattr("devkit.engine.connect", no_engine)
    assert main(["volumes", *argv]) == 2
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
    assert main(["volumes", "prune-backups", "--keep", "-1", "--dir", str(tmp_path)]) == 2


def _docker_config_with_context(tmp_path: Path, current: str | None) -> Path:
    """A DOCKER_CONFIG folder holding one context, "far", pointing at a closed port."""
    import hashlib
    import json

    config = tmp_path / "docker-config"
    meta = config / "contexts" / "meta" / hashlib.sha256(b"far").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps(
            {
                "Name": "far",
                "Metadata": {},
                "Endpoints": {"docker": {"Host": "tcp://127.0.0.1:1", "SkipTLSVerify": False}},
            }
        )
    )
    (config / "config.json").write_text(json.dumps({"currentContext": current} if current else {}))
    return config


@pytest.mark.parametrize(
    ("current", "extra_env", "expected"),
    [
        ("far", {}, "at tcp://127.0.0.1:1 (docker context far): Connection refused"),
        (None, {"DOCKER_CONTEXT": "far"}, "(docker context far)"),
        (None, {"DOCKER_CONTEXT": "nosuch"}, "no such docker context: nosuch"),
        # DOCKER_HOST wins over contexts, as with the docker CLI
        ("far", {"DOCKER_HOST": "tcp://127.0.0.1:2"}, "at tcp://127.0.0.1:2: Connection refused"),
    ],
)
def test_docker_contexts_are_followed(
    tmp_path: Path, current: str | None, extra_env: dict[str, str], expected: str
) -> None:
    config = _docker_config_with_context(tmp_path, current)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DOCKER_CONFIG": str(config)}
    proc = subprocess.run(
        [sys.executable, "-m", "devkit", "volumes", "list"],
        env={**env, **extra_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert expected in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("answer", "code"), [(" Y ", 0), ("yes", 0), ("n", 1), ("", 1)])
def test_rm_prompt_reads_the_answer_loosely(
    answer: str, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The [y/N] prompt takes y/yes in any case and with spaces; anything else removes nothing."""
    from devkit import volumes as vol
    from devkit.cli._common import UI

    removed: list[str] = []
    monkeypatch.setattr("devkit.engine.connect", lambda: None)
    monkeypatch.setattr(vol, "get_volume", lambda client, name: {"Name": name})
    monkeypatch.setattr(vol, "refuse_in_use", lambda client, name, action: None)
    monkeypatch.setattr(vol, "remove_volume", lambda client, name: removed.append(name))
    monkeypatch.setattr(UI, "interactive", property(lambda self: True))
    monkeypatch.setattr("rich.console.Console.input", lambda self, prompt="", **_: answer)
    assert main(["volumes", "rm", "scratch"]) == code
    assert removed == (["scratch"] if code == 0 else [])
    if code:
        assert "nothing removed" in capsys.readouterr().err


def test_result_types_give_their_json_forms() -> None:
    """What `--json` prints for list, backup, restore and copy comes from each result's
    to_dict(): the same keys (and JSON) as the command printed before."""
    manifest = {"file_count": 1}
    info = vol.VolumeInfo("v", "p", "pip-cache", "local", 10, ["c"], "2025-01-01", {"k": "v"})
    assert info.to_dict() == {
        "name": "v",
        "project": "p",
        "purpose": "pip-cache",
        "driver": "local",
        "size": 10,
        "containers": ["c"],
        "created": "2025-01-01",
        "labels": {"k": "v"},
    }
    assert vol.BackupResult(Path("/b/v.tar.zst"), manifest).to_dict() == {
        "path": "/b/v.tar.zst",
        "manifest": manifest,
    }
    checked = Verified("mount", 12, 345, 0.01)
    restored = vol.RestoreResult("v", manifest, False, Path("/b/v.safety.tar.zst"), checked)
    assert json.dumps(restored.to_dict(), sort_keys=True) == json.dumps(
        {
            "created": False,
            "manifest": manifest,
            "safety_backup": "/b/v.safety.tar.zst",
            "verified": {"read": "mount", "entries": 12, "content_bytes": 345, "seconds": 0.01},
            "volume": "v",
        },
        sort_keys=True,
    )
    assert vol.RestoreResult("v", manifest, True).to_dict()["safety_backup"] is None
    copied = vol.CopyResult("a", "b", True, 2048, checked)
    assert copied.to_dict() == {
        "source": "a",
        "target": "b",
        "created": True,
        "tar_bytes": 2048,
        "verified": {"read": "mount", "entries": 12, "content_bytes": 345, "seconds": 0.01},
    }
