"""DK001 (rules/buildkit.py): BuildKit availability, from a fake probe, and the probe adapter
over devkit.buildkit.detect. The real probe is in test_docker.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit import doctor

from .doctor_helpers import (
    buildkit_elsewhere,
    buildkit_missing,
    buildkit_ok,
    copy_fixture,
    triples,
    write_dockerfile,
)


def test_dk001_buildkit_missing_is_an_error_when_the_dockerfile_needs_it(tmp_path: Path) -> None:
    root = copy_fixture("dk001-buildkit", tmp_path)
    calls: list[int] = []

    def probe() -> doctor.BuildKitStatus:
        calls.append(1)
        return buildkit_missing()

    report = doctor.audit(root, buildkit=probe)
    assert triples(report) == [("DK001", "Dockerfile", 2)]  # the heredoc RUN
    assert report.findings[0].severity == "error"
    assert "(fake)" in report.findings[0].message
    assert calls == [1]
    assert doctor.audit(root, buildkit=buildkit_ok).findings == []
    assert doctor.audit(root, buildkit=None).findings == []


def test_dk001_warning_without_buildkit_syntax_or_when_only_another_client_has_it(
    tmp_path: Path,
) -> None:
    root = copy_fixture("dk001-buildkit", tmp_path)
    (root / "Dockerfile").write_text("FROM busybox:latest\nUSER 1000\n")
    report = doctor.audit(root, buildkit=buildkit_missing)
    assert [(f.rule, f.severity, f.line) for f in report.findings] == [("DK001", "warning", None)]
    root2 = copy_fixture("dk001-buildkit", tmp_path / "two")
    report = doctor.audit(root2, buildkit=buildkit_elsewhere)
    assert [(f.rule, f.severity, f.line) for f in report.findings] == [("DK001", "warning", 2)]


def test_dk001_without_an_engine_is_only_info(tmp_path: Path) -> None:
    root = copy_fixture("dk001-buildkit", tmp_path)

    def probe() -> doctor.BuildKitStatus:
        return doctor.BuildKitStatus(False, False, "no engine (fake)", checked=False)

    report = doctor.audit(root, buildkit=probe)
    assert [(f.rule, f.severity, f.line) for f in report.findings] == [("DK001", "info", 2)]
    assert not report.has_errors


def test_buildkit_status_tells_a_missing_engine_from_a_missing_buildkit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from devkit import buildkit

    down = "probe build failed: Cannot connect to the Docker daemon at unix:///x.sock"
    infos = {
        "down": buildkit.BuildKitInfo(
            available=False, attempts=(buildkit.Attempt("/usr/bin/docker", "buildx", False, down),)
        ),
        "old": buildkit.BuildKitInfo(
            available=False,
            attempts=(buildkit.Attempt("/usr/bin/docker", "docker-build", False, "classic"),),
        ),
    }
    for name, info in infos.items():
        monkeypatch.setattr(buildkit, "detect", lambda refresh=False, info=info: info)
        status = doctor.buildkit_status()
        assert not status.available
        assert status.checked is (name == "old")


def test_buildkit_status_gives_the_gist_of_why_the_default_client_cannot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from devkit import buildkit

    failed = "probe build failed:\n" + "x" * 200 + " (the whole output)"
    info = buildkit.BuildKitInfo(
        available=True,
        docker="/usr/bin/docker",
        mode="docker-build",
        attempts=(
            buildkit.Attempt("/opt/old/docker", "buildx", False, "no buildx plugin (unknown)"),
            buildkit.Attempt("/opt/old/docker", "docker-build", False, failed),
            buildkit.Attempt("/usr/bin/docker", "buildx", True, "BuildKit build works"),
        ),
    )
    monkeypatch.setenv("DEVKIT_DOCKER", "/opt/old/docker")
    monkeypatch.setattr(buildkit, "detect", lambda refresh=False: info)
    status = doctor.buildkit_status()
    assert not status.default_client_ok
    gist = "probe build failed: " + "x" * 79 + "…"
    assert f"(no buildx plugin; {gist}); " in status.detail


def test_dk001_probe_is_not_run_without_dockerfiles(tmp_path: Path) -> None:
    def probe() -> doctor.BuildKitStatus:
        raise AssertionError("no Dockerfile, no probe")

    assert doctor.audit(tmp_path, buildkit=probe).findings == []


def _podman(version: str = "4.3.1") -> doctor.BuildKitProbe:
    """The probe's answer where the CLI found Podman behind the docker client (fake engine)."""
    return lambda: doctor.buildkit_status(podman=version)


def test_dk001_on_podman_names_what_buildah_does_not_build(tmp_path: Path) -> None:
    root = write_dockerfile(
        tmp_path,
        "# syntax=docker/dockerfile:1\n"
        "FROM busybox:latest\n"
        "RUN --mount=type=cache,target=/c true\n"
        "COPY --link a /a\n"
        "RUN <<EOF\necho hi\nEOF\n",
    )
    report = doctor.audit(root, buildkit=_podman(), ignore=["DK013"])
    assert [(f.rule, f.severity, f.line) for f in report.findings] == [("DK001", "error", 4)]
    message = report.findings[0].message
    assert message.startswith("the engine is Podman 4.3.1: it builds with buildah, not BuildKit")
    assert "COPY --link, a heredoc in RUN not supported (buildah 1.28, Podman 4.3)" in message
    # A newer Podman than the one measured: its buildah may build them, so only a warning.
    report = doctor.audit(root, buildkit=_podman("5.4.2"), ignore=["DK013"])
    assert [(f.severity, f.line) for f in report.findings] == [("warning", 4)]
    assert "may not build (newer buildah not measured)" in report.findings[0].message


def test_dk001_on_podman_with_features_buildah_builds_is_info(tmp_path: Path) -> None:
    root = write_dockerfile(
        tmp_path,
        "# syntax=docker/dockerfile:1\nFROM busybox:latest\nCOPY --chmod=0600 a /a\n"
        "RUN --mount=type=cache,target=/c --mount=type=secret,id=s true\n",
    )
    report = doctor.audit(root, buildkit=_podman(), ignore=["DK013"])
    assert [(f.rule, f.severity, f.line) for f in report.findings] == [("DK001", "info", None)]
    message = report.findings[0].message
    assert "Podman 4.3.1" in message
    assert (
        "(`# syntax=docker/dockerfile:1` (ignored by buildah), COPY --chmod, "
        "RUN --mount=type=cache, RUN --mount=type=secret; buildah 1.28, Podman 4.3)"
    ) in message
    assert not report.has_errors
    (root / "Dockerfile").write_text("FROM busybox:latest\nUSER 1000\n")
    report = doctor.audit(root, buildkit=_podman(), ignore=["DK013"])
    assert [(f.severity, f.line) for f in report.findings] == [("info", None)]
    assert "use no BuildKit-only feature" in report.findings[0].message


def test_dk001_on_podman_runs_no_probe_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from devkit import buildkit

    def no_probe(**_: object) -> None:
        raise AssertionError("no BuildKit probe build on Podman")

    monkeypatch.setattr(buildkit, "detect", no_probe)
    status = doctor.buildkit_status(podman="4.3.1")
    assert (status.available, status.checked, status.podman) == (False, True, "4.3.1")
