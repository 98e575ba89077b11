"""Bad input (issue 11): however broken, cyclic, huge or unreadable a file is, an audit gives a
DK000 finding at its line (or skips what Docker would skip) and a complete report: never an
internal error, never a hang."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devkit import doctor
from devkit.errors import DevkitError

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


def test_binary_bom_crlf_and_huge_dockerfiles(tmp_path: Path) -> None:
    for name in ("binary", "bom", "huge"):
        (tmp_path / name).mkdir()
        (tmp_path / name / ".dockerignore").write_text(".git\n")
    (tmp_path / "binary" / "Dockerfile").write_bytes(b"\x7fELF\x02\x01\n\x00\x00\xff" * 100)
    # BuildKit skips a byte order mark; CRLF line ends are fine too
    (tmp_path / "bom" / "Dockerfile").write_bytes(
        "\ufeffFROM debian:bookworm-slim\r\nRUN apt-get install -y curl\r\nUSER 1000\r\n".encode()
    )
    (tmp_path / "huge" / "Dockerfile").write_text(
        "FROM busybox\n" + "RUN echo a line of a generated Dockerfile\n" * 30_000
    )
    start = time.monotonic()
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    assert time.monotonic() - start < 30  # a bound, not a speed test: 50 MB took 82 s
    found = [(f.rule, f.file, f.line, f.severity) for f in report.findings]
    assert found == [
        ("DK000", "binary/Dockerfile", None, doctor.ERROR),
        ("DK002", "bom/Dockerfile", 2, doctor.WARNING),
        ("DK000", "huge/Dockerfile", None, doctor.WARNING),
    ]
    assert "a binary file" in report.findings[0].message
    assert "not audited: 1.3 MB" in report.findings[2].message


def test_unreadable_files_and_folders_are_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permissions do not stop root (the test user here), so reading is made to fail."""
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text('{"image": "busybox"}')
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    (tmp_path / "Dockerfile").write_text("FROM busybox\nUSER 1000\n")
    (tmp_path / ".dockerignore").write_text(".git\n")
    (tmp_path / "private").mkdir()
    real_read_text, real_read_bytes, real_listdir = Path.read_text, Path.read_bytes, os.listdir

    def denied(path: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        if self.name in ("devcontainer.json", "compose.yaml"):
            denied(self)
        return real_read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    def read_bytes(self: Path) -> bytes:
        if self.name == "Dockerfile":
            denied(self)
        return real_read_bytes(self)

    def listdir(path: str) -> list[str]:  # how docker-py walks a context
        if str(path).endswith("private"):
            denied(path)
        return real_listdir(path)

    monkeypatch.setattr(Path, "read_text", read_text)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(os, "listdir", listdir)
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    found = [(f.rule, f.file, f.message) for f in report.findings]
    assert found == [
        ("DK000", ".devcontainer/devcontainer.json", "cannot read it: Permission denied"),
        ("DK000", "Dockerfile", "cannot read it: Permission denied"),
        ("DK000", "compose.yaml", "cannot read it: Permission denied"),
        (
            "DK000",
            "private",
            "cannot read this part of build context .: Permission denied "
            "(Docker cannot send it either)",
        ),
    ]


def test_an_unreadable_root_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if Path(str(path)) == tmp_path:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(DevkitError, match=r"^cannot read .*: Permission denied$"):
        doctor.audit(tmp_path, buildkit=buildkit_ok)


def test_symlink_loops_and_fifos_in_the_context(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nCOPY . /app\nUSER 1000\n")
    (tmp_path / ".dockerignore").write_text(".git\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..")
    (tmp_path / "self").symlink_to(".")
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    os.mkfifo(tmp_path / "pipe")
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    assert report.findings == []
    (ctx,) = report.contexts
    assert ctx.files_sent == 7  # symlinks are sent as links, not followed
