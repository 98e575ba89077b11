"""One measured build (devkit.bench.build): its command line, and its run streamed through the
progress parser, with a real child process printing BuildKit's plain progress (captured output
from tests/bench/test_progress.py) in place of the docker CLI."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.test_progress import COLD, FAIL
from devkit.bench import build
from devkit.buildkit import MODE_BUILDX, MODE_DOCKER_BUILD, BuildKitInfo


def _printer(tmp_path: Path, text: str, code: int) -> list[str]:
    """argv of a child that prints ``text`` line by line and exits ``code``."""
    capture = tmp_path / "capture.txt"
    capture.write_text(text)
    script = (
        "import sys\n"
        f"for line in open({str(capture)!r}):\n"
        "    sys.stdout.write(line); sys.stdout.flush()\n"
        f"sys.exit({code})\n"
    )
    return [sys.executable, "-c", script]


def test_command_of_buildx_and_of_the_classic_client(tmp_path: Path) -> None:
    buildx = BuildKitInfo(available=True, docker="/usr/bin/docker", mode=MODE_BUILDX)
    argv = build.command(
        buildx,
        tmp_path / "Dockerfile",
        tmp_path / "ctx",
        tag="devkit-bench:r-0-cold-1",
        iidfile=tmp_path / "iid",
        labels={"a": "1", "b": "two"},
        stage="dev",
        no_cache=True,
    )
    assert argv == [
        "/usr/bin/docker", "buildx", "build", "--load", "--progress=plain",
        "-f", str(tmp_path / "Dockerfile"), "--iidfile", str(tmp_path / "iid"),
        "-t", "devkit-bench:r-0-cold-1", "--label", "a=1", "--label", "b=two",
        "--target", "dev", "--no-cache", str(tmp_path / "ctx"),
    ]  # fmt: skip
    classic = BuildKitInfo(available=True, docker="/usr/bin/docker", mode=MODE_DOCKER_BUILD)
    argv = build.command(
        classic, tmp_path / "D", tmp_path, tag="t", iidfile=tmp_path / "i", labels={}
    )
    assert argv[:3] == ["/usr/bin/docker", "build", "--progress=plain"]
    assert "--target" not in argv and "--no-cache" not in argv and argv[-1] == str(tmp_path)


def test_run_streams_each_step_and_measures_the_build(tmp_path: Path) -> None:
    seen: list[str] = []
    done = build.run(
        _printer(tmp_path, COLD, 0), {}, lambda vertex, _progress: seen.append(vertex.name)
    )
    assert done.code == 0
    assert done.wall_seconds > 0
    assert done.progress.steps_total > 0
    assert seen, "no step was reported while the build ran"
    assert done.tail == COLD.splitlines()[-build.TAIL_LINES :]


def test_a_failed_run_keeps_its_errors(tmp_path: Path) -> None:
    done = build.run(_printer(tmp_path, FAIL, 1), {})
    assert done.code == 1
    assert done.errors(), "a failed build must say why"
    assert all(line.strip() for line in done.errors())
