"""`devkit bench` against the real engine: small busybox images, real BuildKit output.

Checks that steps and cache hits are read correctly per scenario, that image size and layers
match the engine, that the tree comes back byte for byte (also after a failed build and after
Ctrl-C in the middle of a scenario), and that the bench leaves no image or cache mount behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_LABEL_ARG, TEST_LABELS

from devkit import bench, buildkit
from devkit.cli import main
from devkit.errors import DevkitError
from devkit.labels import BENCH_LABEL

pytestmark = pytest.mark.docker


def _snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file and directory: content, mode and mtime (what "exactly as it was" means)."""
    snap: dict[str, tuple[bytes, int, int]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        data = path.read_bytes() if path.is_file() else b""
        snap[str(path.relative_to(root))] = (data, st.st_mode, st.st_mtime_ns)
    st = root.stat()
    snap["."] = (b"", st.st_mode, st.st_mtime_ns)
    return snap


def _make_project(root: Path, cache_target: str, extra_run: str = "") -> Path:
    """A project whose Dockerfile has 5 steps: FROM, COPY manifest, RUN, COPY src, RUN."""
    (root / ".devcontainer").mkdir(parents=True)
    (root / "src").mkdir()
    for i in range(5):
        (root / "src" / f"mod{i}.py").write_text(f"VALUE = {i}\n")
    (root / "requirements.txt").write_text("rich\n")
    (root / "ignored.bin").write_bytes(b"\0" * 200_000)
    (root / ".dockerignore").write_text("ignored.bin\n")
    (root / ".devcontainer" / "Dockerfile").write_text(
        "FROM busybox:latest AS dev\n"
        "COPY requirements.txt /app/\n"
        f"RUN --mount=type=cache,target={cache_target} "
        f"cp /app/requirements.txt {cache_target}/seen && cat /app/requirements.txt > /deps\n"
        "COPY src /app/src\n"
        f"RUN {extra_run}ls /app/src > /listing\n"
    )
    return root


def _bench_images(client: Any, label: str = TEST_LABEL_ARG) -> set[str]:
    """Ids of the bench images that carry ``label`` (by default: this test session's).

    Other sessions bench on the same engine at the same time: their images come and go.
    Ids only, as images.list() inspects each image it lists and fails when one is removed
    in between.
    """
    filters = {"label": [BENCH_LABEL, label]}
    return set(client.api.images(all=True, filters=filters, quiet=True))


def _cache_mounts(client: Any, target: str) -> list[dict[str, Any]]:
    records = client.api.df().get("BuildCache") or []
    return [
        r
        for r in records
        if r.get("Type") == "exec.cachemount"
        and str(r.get("Description", "")).startswith(f"cached mount {target} ")
    ]


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, start time); the start time tells a reused pid apart."""
    out = subprocess.run(
        ["ps", "-A", "-o", "pid=,ppid=,lstart="], capture_output=True, text=True, check=True
    ).stdout
    table: dict[int, tuple[int, str]] = {}
    for line in out.splitlines():
        pid, ppid, started = line.split(None, 2)
        table[int(pid)] = (int(ppid), started)
    return table


def _descendants(root: int) -> set[tuple[int, str]]:
    """The processes below ``root`` now, as (pid, start time)."""
    table = _processes()
    found: set[tuple[int, str]] = set()
    todo = [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, started) in table.items():
            if ppid == parent:
                found.add((pid, started))
                todo.append(pid)
    return found


def _run_label(pids: Iterable[int]) -> str:
    """The ``dev.devkit.bench=<run>`` label on a docker CLI's command line among ``pids``."""
    for pid in pids:
        args = subprocess.run(
            ["ps", "-ww", "-o", "args=", "-p", str(pid)], capture_output=True, text=True
        )
        for word in args.stdout.split():
            if word.startswith(f"{BENCH_LABEL}="):
                return word
    raise AssertionError("no docker build among devkit's child processes")


@pytest.fixture
def cache_target(docker_client: Any) -> Iterator[str]:
    """A cache-mount target unique to the test; its cache mounts are pruned afterwards.

    Scenarios without a cold build use the Dockerfile's own cache ids (as a user's rebuild
    does), so the bench leaves those mounts in place: the test removes them.
    """
    target = f"/devkit-test-cache-{uuid.uuid4().hex[:8]}"
    yield target
    for record in _cache_mounts(docker_client, target):
        docker_client.api.prune_builds(filters={"id": [record["ID"]]})


@pytest.fixture
def info(docker_client: Any, busybox_image: str) -> buildkit.BuildKitInfo:
    found = buildkit.detect()
    if not found.available:
        pytest.fail("no BuildKit-capable docker CLI: " + found.explain())
    return found


def test_detect_finds_a_real_buildkit_client(info: buildkit.BuildKitInfo) -> None:
    assert info.docker is not None and Path(info.docker).exists()
    assert info.mode in (buildkit.MODE_BUILDX, buildkit.MODE_DOCKER_BUILD)
    assert any(a.ok for a in info.attempts)


def test_scenarios_read_from_real_builds(
    tmp_path: Path, docker_client: Any, info: buildkit.BuildKitInfo, cache_target: str
) -> None:
    project = _make_project(tmp_path / "proj", cache_target)
    before = _snapshot(project)
    images_before = _bench_images(docker_client)
    targets = bench.make_targets(project)
    report = bench.Bench(targets, info, bench.BenchOptions(labels=dict(TEST_LABELS))).run()

    by = {r.scenario: r for r in report.results}
    assert list(by) == list(bench.SCENARIOS)
    assert all(r.steps_total == 5 for r in report.results)
    # cold: --no-cache and fresh cache-mount ids; only the local base image counts as cached.
    assert by["cold"].steps_cached == 1
    assert by["noop"].steps_cached == 5 and by["noop"].cache_hit_rate == 1.0
    # source edit: COPY src and the RUN after it rebuild.
    assert by["source"].steps_cached == 3
    assert by["source"].edit is not None and by["source"].edit.startswith("src/mod0.py")
    # dependency change: everything after FROM rebuilds.
    assert by["deps"].steps_cached == 1
    assert by["deps"].edit is not None and by["deps"].edit.startswith("requirements.txt")
    # Context: the ignored 200 kB file is neither counted nor sent. The first build sends the
    # content of what it copies; a no-op only metadata; a source edit the edited file again.
    files = sum(p.stat().st_size for p in (project / "src").iterdir())
    copied = files + len("rich\n")
    assert files < by["cold"].context_size < 2_000
    assert copied < by["cold"].context_transferred < 100_000
    assert by["noop"].context_transferred < by["cold"].context_transferred
    assert by["noop"].context_transferred < by["source"].context_transferred
    # busybox (1 layer) + COPY + RUN + COPY + RUN, each writing files.
    base = docker_client.images.get("busybox:latest")
    assert all(r.layers == len(base.attrs["RootFS"]["Layers"]) + 4 for r in report.results)
    assert all(r.image_size and r.image_size >= base.attrs["Size"] for r in report.results)
    # The tree is back exactly; no image or cache mount of ours is left.
    assert _snapshot(project) == before
    assert _bench_images(docker_client) == images_before
    assert _cache_mounts(docker_client, cache_target) == []


def test_cold_build_prunes_only_its_own_cache_mounts(
    tmp_path: Path, docker_client: Any, info: buildkit.BuildKitInfo, cache_target: str
) -> None:
    """Another build's cache mount at the same target, made *during* our cold build, survives."""
    project = _make_project(tmp_path / "proj", cache_target)
    neighbour = tmp_path / "neighbour"
    neighbour.mkdir()
    marker = uuid.uuid4().hex[:8]
    (neighbour / "Dockerfile").write_text(
        "FROM busybox:latest\n"
        f"RUN --mount=type=cache,target={cache_target},id=neighbour-{marker} "
        f"touch {cache_target}/{marker}\n"
    )

    class Neighbour(bench.Observer):
        def build_started(self, target: str, scenario: str, repeat: int, cmd: list[str]) -> None:
            if scenario == "cold":  # someone else's first build, right as our cold one starts
                # Its own output and no --load: buildx on an older daemon takes one output only.
                build = [a for a in info.build_command() if a != "--load"]
                argv = [*build, "--progress=plain", "-o", "type=tar,dest=/dev/null"]
                subprocess.run(
                    [*argv, str(neighbour)], env=info.build_env(), check=True, capture_output=True
                )

    options = bench.BenchOptions(scenarios=("cold", "noop"), labels=dict(TEST_LABELS))
    bench.Bench(bench.make_targets(project), info, options, Neighbour()).run()
    left = [r["Description"] for r in _cache_mounts(docker_client, cache_target)]
    assert len(left) == 1 and marker in left[0]  # the neighbour's; ours are gone


def test_nothing_to_edit_skips_the_scenario_unless_asked_for(
    tmp_path: Path, docker_client: Any, info: buildkit.BuildKitInfo, cache_target: str
) -> None:
    """A project fresh from `devkit new` has no source file yet: by default its source edit is
    skipped (and said so); asked for by name, it is an error before anything is built."""
    project = _make_project(tmp_path / "proj", cache_target)
    for path in (project / "src").iterdir():
        path.rename(path.with_suffix(".txt"))  # data, not source
    before = _snapshot(project)
    notes: list[str] = []

    class Notes(bench.Observer):
        def note(self, message: str) -> None:
            notes.append(message)

    options = bench.BenchOptions(labels=dict(TEST_LABELS))
    report = bench.Bench(bench.make_targets(project), info, options, Notes()).run()
    assert [r.scenario for r in report.results] == ["cold", "noop", "deps"]
    assert "--source-file" in report.skipped["source"]
    assert report.to_json()["skipped"] == report.skipped
    assert any(n.startswith("source edit skipped") for n in notes)
    with pytest.raises(DevkitError, match="no source file"):
        options = bench.BenchOptions(scenarios=("noop", "source"), labels=dict(TEST_LABELS))
        bench.Bench(bench.make_targets(project), info, options).run()
    assert _snapshot(project) == before


def test_compare_alternates_and_reports_ratios(
    tmp_path: Path, docker_client: Any, info: buildkit.BuildKitInfo, cache_target: str
) -> None:
    project = _make_project(tmp_path / "proj", cache_target)
    naive = project / "Dockerfile.naive"
    # Same cache-mount target as A's: B's cold build must still find it empty (not A's).
    naive.write_text(
        "FROM busybox:latest\nCOPY . /app\n"
        f"RUN --mount=type=cache,target={cache_target} test ! -e {cache_target}/seen "
        "&& ls -R /app > /listing\n"
    )
    (project / "Dockerfile.naive.dockerignore").write_text("")  # no .dockerignore for B
    targets = bench.make_targets(project, compare=Path("Dockerfile.naive"))
    options = bench.BenchOptions(scenarios=("cold", "noop"), repeat=2, labels=dict(TEST_LABELS))
    report = bench.Bench(targets, info, options).run()
    a, b = ".devcontainer/Dockerfile", "Dockerfile.naive"
    # Alternating, and B first on the second repeat so neither always runs on a warm machine.
    assert [(r.target, r.scenario, r.repeat) for r in report.results] == [
        (a, "cold", 1),
        (b, "cold", 1),
        (a, "noop", 1),
        (b, "noop", 1),
        (b, "cold", 2),
        (a, "cold", 2),
        (b, "noop", 2),
        (a, "noop", 2),
    ]
    # The second cold build is cold again (fresh cache-mount ids, --no-cache).
    assert [r.steps_cached for r in report.results if r.target == a and r.scenario == "cold"] == [
        1,
        1,
    ]
    naive_cold = report.summary("Dockerfile.naive", "cold")
    assert naive_cold is not None and naive_cold.runs == 2
    main_cold = report.summary(".devcontainer/Dockerfile", "cold")
    assert naive_cold is not None and main_cold is not None
    assert naive_cold.steps_total == 3
    assert naive_cold.context_size > 200_000 > main_cold.context_size
    # Each Dockerfile is diffed against its own previous build, not the other one's: B's
    # no-op sends a few bytes, not its 200 kB context again.
    naive_noop = report.summary("Dockerfile.naive", "noop")
    assert naive_noop is not None and naive_noop.context_transferred < 20_000
    first_naive = next(r for r in report.results if r.target == b)
    assert first_naive.context_transferred > 200_000  # its first build sends it all
    (cold_row, noop_row) = report.comparison()
    assert cold_row["context_size_ratio"] < 0.05
    assert noop_row["cache_hit_rate"] == [1.0, 1.0]


def test_compare_gives_each_dockerfile_its_own_edit(
    tmp_path: Path, docker_client: Any, info: buildkit.BuildKitInfo, cache_target: str
) -> None:
    """Two Dockerfiles with steps in common: the second built must not reuse the layers the
    first just built for the same edit, in either order."""
    project = _make_project(tmp_path / "proj", cache_target)
    main_df = project / ".devcontainer" / "Dockerfile"
    (project / "Dockerfile.b").write_text(main_df.read_text() + "RUN touch /b\n")
    before = _snapshot(project)
    targets = bench.make_targets(project, compare=Path("Dockerfile.b"))
    options = bench.BenchOptions(scenarios=("noop", "deps"), repeat=2, labels=dict(TEST_LABELS))
    report = bench.Bench(targets, info, options).run()
    seen = [(r.target, r.scenario, r.steps_cached, r.steps_total) for r in report.results]
    a, b = ".devcontainer/Dockerfile", "Dockerfile.b"
    assert seen == [
        (a, "noop", 5, 5),
        (b, "noop", 6, 6),
        (a, "deps", 1, 5),  # only FROM: every step from the manifest's COPY on reruns
        (b, "deps", 1, 6),
        (b, "noop", 6, 6),  # a real no-op again, not a rebuild of the restored manifest
        (a, "noop", 5, 5),
        (b, "deps", 1, 6),
        (a, "deps", 1, 5),
    ]
    assert _snapshot(project) == before


def test_failed_build_restores_the_tree(
    tmp_path: Path, docker_client: Any, info: buildkit.BuildKitInfo, cache_target: str
) -> None:
    # The last RUN fails only once the source edit is there.
    project = _make_project(
        tmp_path / "proj",
        cache_target,
        extra_run="! grep -rq 'edited by devkit bench' /app/src && ",
    )
    before = _snapshot(project)
    images_before = _bench_images(docker_client)
    options = bench.BenchOptions(scenarios=("noop", "source"), labels=dict(TEST_LABELS))
    with pytest.raises(DevkitError, match="source edit build failed"):
        bench.Bench(bench.make_targets(project), info, options).run()
    assert _snapshot(project) == before
    assert _bench_images(docker_client) == images_before


@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGINT, True), (signal.SIGINT, False), (signal.SIGTERM, False)],
    ids=["ctrl-c", "sigint", "sigterm"],
)
def test_interrupted_scenario_restores_the_tree(
    tmp_path: Path,
    docker_client: Any,
    info: buildkit.BuildKitInfo,
    cache_target: str,
    signum: int,
    group: bool,
) -> None:
    """Ctrl-C (SIGINT to devkit's whole process group, as a terminal sends it), SIGINT or
    SIGTERM to devkit alone, during the source-edit build: exit 130, edits undone, no image, and
    no process devkit started left, neither the docker CLI nor the buildx plugin it runs (an
    orphaned plugin, even one that has exited but is not reaped yet, counts as left)."""
    project = _make_project(
        tmp_path / "proj",
        cache_target,
        # Only the build with the edit in it is slow (the warm-up before it is not).
        extra_run="if grep -rq 'edited by devkit bench' /app/src; then sleep 60; fi; ",
    )
    before = _snapshot(project)
    edited = project / "src" / "mod0.py"
    proc = subprocess.Popen(
        [sys.executable, "-m", "devkit", "bench", str(project), "--scenarios", "source"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a job in a terminal
    )
    try:
        deadline = time.monotonic() + 120
        while b"edited by devkit bench" not in edited.read_bytes():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the source edit never happened"
            time.sleep(0.1)
        time.sleep(3)  # inside the build now (its last step sleeps 60 s)
        assert proc.poll() is None
        build = _descendants(proc.pid)  # the docker CLI, and with buildx its plugin
        run_label = _run_label(pid for pid, _ in build)
        if group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    with pytest.raises(ProcessLookupError):  # nothing is left in devkit's process group
        os.killpg(proc.pid, 0)
    now = {(pid, started) for pid, (_, started) in _processes().items()}
    assert not build & now, f"left running or unreaped: {sorted(build & now)}"
    assert _snapshot(project) == before
    assert _bench_images(docker_client, run_label) == set()


def test_cli_json_csv_and_baseline(
    tmp_path: Path,
    docker_client: Any,
    info: buildkit.BuildKitInfo,
    cache_target: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = _make_project(tmp_path / "proj", cache_target)
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"
    argv = [str(project), "--scenarios", "noop", "--json", str(out_json), "--csv", str(out_csv)]
    assert main(["bench", *argv]) == 0
    stdout = capsys.readouterr().out
    assert "no-op rebuild" in stdout and "cached" in stdout
    doc = json.loads(out_json.read_text())
    (summary,) = doc["summaries"]
    assert summary["scenario"] == "noop" and summary["steps_total"] == 5
    # Without a cold build, a warm-up build (not reported) makes the no-op a real no-op, and
    # the cache mounts keep the user's own ids (nothing isolated, nothing pruned).
    assert summary["steps_cached"] == 5
    assert len(doc["builds"]) == 1
    assert out_csv.read_text().startswith("target,scenario,")
    # A baseline that was 1000x faster: regression, exit 1, one line per scenario.
    summary["wall_seconds"] = summary["wall_seconds"] / 1000
    fast = tmp_path / "fast.json"
    fast.write_text(json.dumps(doc))
    assert main(["bench", str(project), "--scenarios", "noop", "--baseline", str(fast)]) == 1
    assert "regression:" in capsys.readouterr().err
    summary["wall_seconds"] = 10_000.0
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps(doc))
    assert main(["bench", str(project), "--scenarios", "noop", "--baseline", str(slow)]) == 0


def test_cli_as_a_subprocess_json_to_stdout(
    tmp_path: Path, info: buildkit.BuildKitInfo, cache_target: str
) -> None:
    project = _make_project(tmp_path / "proj", cache_target)
    done = subprocess.run(
        ["devkit", "bench", str(project), "--scenarios", "noop", "--json", "-"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # stdout is exactly JSON; the table went to stderr
    assert doc["summaries"][0]["steps_total"] == 5
    assert "no-op rebuild" in done.stderr
