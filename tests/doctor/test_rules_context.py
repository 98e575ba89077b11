"""DK008-DK010 and DK014 (rules/context.py): build contexts measured as BuildKit sends them."""

from __future__ import annotations

from pathlib import Path

from devkit import buildcontext, doctor

from .doctor_helpers import (
    buildkit_ok,
    copy_fixture,
    git_folder,
)


def test_dk008_reports_sizes_and_what_to_ignore(tmp_path: Path) -> None:
    report = doctor.audit(copy_fixture("dk008-no-dockerignore", tmp_path), buildkit=buildkit_ok)
    (finding,) = report.findings
    assert finding.message == (
        "context . sends 200.1 kB in 4 files on every build; a .dockerignore leaving out .git "
        "would send 50 B (200.0 kB and 2 files less)"
    )
    (ctx,) = report.contexts
    assert ctx.dockerignore is None
    assert ctx.bytes_sent == ctx.bytes_total > 200_000


def test_dk009_measures_the_context_with_and_without(tmp_path: Path) -> None:
    report = doctor.audit(copy_fixture("dk009-leaky-dockerignore", tmp_path), buildkit=buildkit_ok)
    (finding,) = report.findings
    assert ".git" in finding.message and "node_modules" in finding.message
    (ctx,) = report.contexts
    assert ctx.bytes_sent > 250_000  # .git (200 kB) and node_modules (54 kB) are sent


def test_dk010_names_the_leaking_files_only(tmp_path: Path) -> None:
    report = doctor.audit(copy_fixture("dk010-secret-files", tmp_path), buildkit=buildkit_ok)
    (finding,) = report.findings
    assert "deploy/id_rsa" in finding.message and ".env.local" in finding.message
    assert ".env.example" not in finding.message and "ca.pem" not in finding.message
    assert ".env," not in finding.message  # excluded by the fixture's .dockerignore


def test_dk010_is_a_warning_when_nothing_copies_the_whole_context(tmp_path: Path) -> None:
    root = copy_fixture("dk010-secret-files", tmp_path)
    (root / "Dockerfile").write_text("FROM busybox:latest\nCOPY src /src\nUSER 1000\n")
    (finding,) = doctor.audit(root, buildkit=buildkit_ok).findings
    assert (finding.rule, finding.severity) == ("DK010", doctor.WARNING)
    assert "no COPY . copies them" in finding.message


def test_the_context_table_is_what_buildcontext_measures(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nCOPY src /src\nUSER 1000\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a = 1\n")
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "blob.bin").write_bytes(b"\0" * 50_000)
    (tmp_path / "notes.log").write_text("x" * 1000)
    # Exclude everything, then re-include src: as with BuildKit, neither the Dockerfile nor
    # the .dockerignore is sent (see devkit/buildcontext.py).
    (tmp_path / ".dockerignore").write_text("# comment\n*\n!src\n")
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    (ctx,) = report.contexts
    measured = buildcontext.Context(tmp_path)
    sent = measured.send(buildcontext.read_ignore(tmp_path / ".dockerignore"))
    assert (ctx.files_total, ctx.bytes_total) == measured.total
    assert (ctx.files_sent, ctx.bytes_sent) == (sent.files, sent.bytes) == (1, 6)


def test_dk014_a_copy_of_the_ignored_dockerfile_fails_too(tmp_path: Path) -> None:
    """BuildKit does not send an ignored Dockerfile (see devkit/buildcontext.py)."""
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nCOPY Dockerfile /x\nUSER 1000\n")
    (tmp_path / ".dockerignore").write_text("Dockerfile\n")
    findings = doctor.audit(tmp_path, buildkit=buildkit_ok).findings
    assert [(f.rule, f.line) for f in findings] == [("DK014", 2)]


def test_per_dockerfile_dockerignore_wins(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nUSER 1000\n")
    (tmp_path / "Dockerfile.dockerignore").write_text(".git\n")
    git_folder(tmp_path)
    report = doctor.audit(tmp_path, buildkit=buildkit_ok)
    assert report.findings == []
    assert report.contexts[0].dockerignore == "Dockerfile.dockerignore"


def test_dk008_without_bulk_only_for_a_real_saving(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nCOPY app.py /\nUSER 1000\n")
    (tmp_path / "app.py").write_bytes(b"#" * 5_000_000)
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    (cache / "app.cpython-312.pyc").write_bytes(b"\0" * 400_000)
    assert doctor.audit(tmp_path, buildkit=buildkit_ok).findings == []  # 0.4 MB: not worth it
    (cache / "app.cpython-312.pyc").write_bytes(b"\0" * 1_200_000)  # 1.2 MB and 19 %
    (finding,) = doctor.audit(tmp_path, buildkit=buildkit_ok).findings
    assert finding.rule == "DK008"
    assert finding.message.endswith(
        "a .dockerignore leaving out the usual suspects would send 5.0 MB (1.2 MB and 1 file less)"
    )
