"""`devkit doctor` where the engine behind the docker client is Podman (DEVKIT_PODMAN_HOST,
see tests/volumes/podman_helpers.py): DK001 names Podman and what its buildah builds, with no
BuildKit probe build. Fake engine answers are in test_rules_buildkit.py."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.podman


@pytest.fixture(scope="module")
def podman() -> Iterator[object]:
    from volumes.podman_helpers import podman_engine

    with podman_engine() as found:
        yield found


def _doctor(podman: object, root: Path) -> tuple[int, dict[str, object]]:
    done = subprocess.run(
        ["devkit", "doctor", str(root), "--json", "--ignore", "DK013"],
        env=podman.env(),  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout)


def test_doctor_on_real_podman_names_it_in_dk001(podman: object, tmp_path: Path) -> None:
    version = podman.version  # type: ignore[attr-defined]
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox:latest\nRUN --mount=type=cache,target=/c true\n"
    )
    code, report = _doctor(podman, tmp_path)
    dk001 = [f for f in report["findings"] if f["rule"] == "DK001"]  # type: ignore[attr-defined]
    assert code == 0
    assert [(f["severity"], f["line"]) for f in dk001] == [("info", 2)]
    assert dk001[0]["message"].startswith(
        f"the engine is Podman {version}: it builds with buildah, not BuildKit"
    )
    assert "RUN --mount=type=cache" in dk001[0]["message"]
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nRUN <<EOF\necho hi\nEOF\n")
    code, report = _doctor(podman, tmp_path)
    dk001 = [f for f in report["findings"] if f["rule"] == "DK001"]  # type: ignore[attr-defined]
    assert [f["line"] for f in dk001] == [2]
    assert "a heredoc in RUN not supported" in dk001[0]["message"]
    assert code == (1 if dk001[0]["severity"] == "error" else 0)
