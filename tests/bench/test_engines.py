"""Which engines `devkit bench` measures (devkit.bench.engines): where the engine behind the
docker client is Podman, one line saying what it is and what bench cannot measure there, exit
1, never a number. A fake engine answer in process, and the real Podman service
(DEVKIT_PODMAN_HOST, see tests/volumes/podman_helpers.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit import bench, engine
from devkit.errors import DevkitError

PODMAN_4_3 = engine.EngineInfo(engine.PODMAN, "4.3.1", "1.41", "unix:///run/podman/podman.sock")


def test_bench_refuses_podman_in_one_line() -> None:
    with pytest.raises(DevkitError) as caught:
        bench.require_buildkit_engine(PODMAN_4_3)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "the engine at unix:///run/podman/podman.sock is Podman 4.3.1, which builds with "
        "buildah, not BuildKit"
    )
    assert "cache mounts" in message
    bench.require_buildkit_engine(engine.EngineInfo(engine.DOCKER, "26.1.5", "1.45"))


def test_bench_cli_on_a_fake_podman_answer_says_it_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fake_engine import fake_engine, podman_version

    from devkit.cli import main

    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\n")
    for extra in ([], ["--scenario", "fresh", "--registry", "localhost:5000/acme/dev"]):
        with fake_engine(tmp_path / "podman.sock", podman_version("5.4.2")) as host:
            monkeypatch.setenv("DOCKER_HOST", host)
            code = main(["bench", str(tmp_path), *extra])
        captured = capsys.readouterr()
        assert code == 1, extra
        assert captured.out == ""
        assert captured.err.splitlines() == [
            f"devkit: error: the engine at {host} is Podman 5.4.2, which builds with buildah, "
            "not BuildKit: devkit bench measures BuildKit builds (cache mounts, BuildKit's step "
            "progress) and cannot measure Podman's; point DOCKER_HOST at a Docker engine"
        ], extra


@pytest.fixture(scope="module")
def podman() -> Iterator[object]:
    from volumes.podman_helpers import podman_engine

    with podman_engine() as found:
        yield found


@pytest.mark.podman
def test_bench_on_real_podman_stops_before_any_build(podman: object, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox:latest\nRUN --mount=type=cache,target=/c true\n"
    )
    done = subprocess.run(
        ["devkit", "bench", str(tmp_path), "--json", "-"],
        env=podman.env(),  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"devkit: error: the engine at {podman.host} is Podman ")  # type: ignore[attr-defined]
    assert "builds with buildah, not BuildKit" in lines[0]
    assert "Traceback" not in done.stderr
    # Nothing was built: no devkit-bench image in Podman's store.
    images = podman.client.images.list(name="devkit-bench")  # type: ignore[attr-defined]
    assert images == []
