"""Unit tests of `devkit bench` pieces that need no engine: edits, tree guard, context, baseline,
BuildKit detection (with fake docker CLIs), and CLI argument errors."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from devkit import bench, buildkit
from devkit.cli import main
from devkit.errors import DevkitError

# --------------------------------------------------------------------------- edits


def test_requirements_gets_a_network_free_entry(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("flask==3.0.0")  # no trailing newline
    data, desc = bench.dependency_edit(req, "tok1")
    lines = data.decode().splitlines()
    assert lines[0] == "flask==3.0.0"
    assert lines[1].split("#")[0].strip() == "pip"
    assert "tok1" in lines[1]
    assert "pip" in desc


def test_pyproject_entry_stays_valid_toml(tmp_path: Path) -> None:
    py = tmp_path / "pyproject.toml"
    py.write_text('[project]\nname = "x"\nversion = "1"\ndependencies = [\n    "rich>=13",\n]\n')
    data, _ = bench.dependency_edit(py, "tok")
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    doc = tomllib.loads(data.decode())
    assert doc["project"]["dependencies"] == ["pip", "rich>=13"]


def test_package_json_stays_valid_json(tmp_path: Path) -> None:
    pkg = tmp_path / "package.json"
    pkg.write_text('{\n    "name": "x",\n    "dependencies": {"a": "1"}\n}\n')
    data, desc = bench.dependency_edit(pkg, "tok")
    doc = json.loads(data)
    assert doc["devkitBench"] == "tok"
    assert doc["dependencies"] == {"a": "1"}
    assert data.decode().startswith('{\n    "name"')  # the file's indent is kept
    assert "network" in desc


def test_explicit_dependency_line(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text("module x\n")
    data, desc = bench.dependency_edit(gomod, "tok", "require example.com/y v1.0.0")
    assert data.decode() == "module x\nrequire example.com/y v1.0.0\n"
    assert "require example.com/y" in desc


def test_go_mod_without_line_gets_a_comment(tmp_path: Path) -> None:
    gomod = tmp_path / "go.mod"
    gomod.write_text("module x\n")
    data, _ = bench.dependency_edit(gomod, "tok")
    assert data.decode() == "module x\n// edited by devkit bench tok\n"


@pytest.mark.parametrize(("name", "start"), [("a.py", "# "), ("a.ts", "// "), ("a.css", "/* ")])
def test_source_edit_appends_a_comment(tmp_path: Path, name: str, start: str) -> None:
    path = tmp_path / name
    path.write_text("x")
    new = bench.source_edit(path, "tok").decode()
    assert new.startswith("x\n" + start)
    assert "tok" in new


def _project(tmp_path: Path) -> bench.Target:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "b.py").write_text("b = 1\n")
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / ".devcontainer" / "hook.py").write_text("")
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "requirements-dev.txt").write_text("")
    dockerfile = tmp_path / ".devcontainer" / "Dockerfile"
    dockerfile.write_text("FROM busybox:latest AS dev\nCOPY requirements-dev.txt ./\nCOPY . .\n")
    (tmp_path / ".dockerignore").write_text("*.log\n")
    (tmp_path / "big.log").write_text("x" * 5000)
    return bench.Target("t", dockerfile, tmp_path, None)


def test_pick_files(tmp_path: Path) -> None:
    target = _project(tmp_path)
    files = bench.context_files(target)
    assert tmp_path / "big.log" not in files
    assert bench.pick_source_file(target, files) == tmp_path / "src" / "pkg" / "b.py"
    # The manifest the Dockerfile copies wins over the generally preferred package.json.
    assert bench.pick_manifest(target, files) == tmp_path / "requirements-dev.txt"


def test_no_manifest_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\n")
    target = bench.Target("t", tmp_path / "Dockerfile", tmp_path)
    with pytest.raises(DevkitError, match="--dep-file"):
        bench.pick_manifest(target, bench.context_files(target))


def test_default_dockerfile_and_dev_stage(tmp_path: Path) -> None:
    target = _project(tmp_path)
    targets = bench.make_targets(tmp_path)
    assert targets[0].dockerfile == target.dockerfile.resolve()
    assert targets[0].stage == "dev"
    assert targets[0].name == ".devcontainer/Dockerfile"
    with pytest.raises(DevkitError, match="same Dockerfile"):
        bench.make_targets(tmp_path, compare=Path(".devcontainer/Dockerfile"))
    with pytest.raises(DevkitError, match="does not exist"):
        bench.make_targets(tmp_path, compare=Path("nope"))


# --------------------------------------------------------------------------- tree guard


def test_tree_guard_restores_bytes_mode_times_and_inode(tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_bytes(b"original\n")
    os.chmod(path, 0o640)
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    before = path.stat()
    dir_mtime = tmp_path.stat().st_mtime_ns
    with pytest.raises(KeyboardInterrupt), bench.TreeGuard() as tree:
        tree.write(path, b"changed, and longer than before\n")
        tree.write(path, b"changed twice\n")
        assert path.read_bytes() == b"changed twice\n"
        raise KeyboardInterrupt
    after = path.stat()
    assert path.read_bytes() == b"original\n"
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert after.st_mtime_ns == before.st_mtime_ns
    assert after.st_ino == before.st_ino
    assert tmp_path.stat().st_mtime_ns == dir_mtime


# --------------------------------------------------------------------------- reports


def _result(target: str, scenario: str, wall: float, rep: int = 1) -> bench.BuildResult:
    return bench.BuildResult(target, scenario, rep, wall, 10, 9, 100, 1000, 5000, 3)


def _report(walls: dict[tuple[str, str], list[float]]) -> bench.Report:
    names = sorted({t for t, _ in walls}, key=lambda n: n != "A")
    targets = [bench.Target(n, Path(n), Path(".")) for n in names]
    results = [
        _result(t, s, w, i + 1) for (t, s), values in walls.items() for i, w in enumerate(values)
    ]
    return bench.Report("ctx", "bk", 3, targets, results)


def test_medians_and_ratios() -> None:
    report = _report({("A", "noop"): [1.0, 9.0, 2.0], ("B", "noop"): [4.0, 4.0, 5.0]})
    a = report.summary("A", "noop")
    assert a is not None and a.wall_seconds == 2.0 and a.wall_min == 1.0 and a.runs == 3
    assert a.cache_hit_rate == pytest.approx(0.9)
    (row,) = report.comparison()
    assert row["wall_ratio"] == pytest.approx(2.0)
    doc = report.to_json()
    assert doc["tool"] == "devkit bench" and len(doc["builds"]) == 6
    assert report.to_csv().splitlines()[0].startswith("target,scenario,runs,wall_seconds")


def test_regressions_respect_the_threshold(tmp_path: Path) -> None:
    old = _report({("A", "noop"): [10.0], ("A", "cold"): [10.0]})
    path = tmp_path / "base.json"
    path.write_text(json.dumps(old.to_json()))
    baseline = bench.load_baseline(path)
    new = _report({("A", "noop"): [11.9], ("A", "cold"): [12.5]})
    found = bench.regressions(new, baseline, 20.0)
    assert [(r.scenario, round(r.percent)) for r in found] == [("cold", 25)]
    assert bench.regressions(new, baseline, 30.0) == []
    # Nothing in common (another scenario): an error, not a silent "no regression".
    with pytest.raises(DevkitError, match="no scenario of this run"):
        bench.regressions(_report({("A", "deps"): [1.0]}), baseline, 20.0)


@pytest.mark.parametrize("content", ["not json", "[]", '{"tool": "other"}'])
def test_bad_baseline_is_one_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(DevkitError, match="baseline"):
        bench.load_baseline(path)


# --------------------------------------------------------------------------- CLI errors


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["bench", "{tmp}/missing"], 1),
        (["bench", "{tmp}", "--repeat", "0"], 2),
        (["bench", "{tmp}", "--scenarios", "warm"], 2),
        (["bench", "{tmp}", "--baseline", "{tmp}/none.json"], 1),
        (["bench", "{tmp}"], 1),  # no Dockerfile
        (["bench", "{tmp}", "--json", "{tmp}/no/such/dir/r.json"], 1),
        (["bench", "{tmp}", "--threshold", "-5"], 2),
        (["bench", "{tmp}", "--threshold", "nan"], 2),
        (["bench", "{tmp}", "--repeat", "x"], 2),
        (["bench", "{tmp}", "--compare-target", "dev"], 2),  # without --compare
    ],
)
def test_cli_bad_input(
    tmp_path: Path, argv: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 1:
        assert err.count("devkit: error:") == 1


def test_cli_compare_with_the_benched_dockerfile_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path)
    argv = ["bench", str(tmp_path), "--compare", str(tmp_path / ".devcontainer" / "Dockerfile")]
    assert main(argv) == 2  # exit 1 means "a regression" to a script
    assert "same Dockerfile" in capsys.readouterr().err


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--compare" in out and "examples:" in out and "devkit bench . --baseline" in out


# --------------------------------------------------------------------------- BuildKit detection

_FAKE_CLASSIC = """#!/bin/sh
echo "$@" >> "${0%/*}/calls.log"
case "$1" in
  buildx) echo "docker: 'buildx' is not a docker command." >&2; exit 1 ;;
  build) echo "Step 1/2 : FROM scratch"; echo "Successfully built 0123456789ab"; exit 0 ;;
  rmi) exit 0 ;;
esac
exit 0
"""

_FAKE_BUILDX = """#!/bin/sh
case "$1" in
  buildx)
    if [ "$2" = version ]; then echo "github.com/docker/buildx v0.12.0"; exit 0; fi
    echo "#1 [internal] load build definition from Dockerfile" >&2; exit 0 ;;
  version) echo "25.0.0"; exit 0 ;;
esac
exit 1
"""

_FAKE_BROKEN = """#!/bin/sh
echo "ERROR: BuildKit is enabled but the buildx component is missing or broken." >&2
exit 1
"""


def _fake(folder: Path, script: str) -> Path:
    folder.mkdir(parents=True)
    path = folder / "docker"
    path.write_text(script)
    path.chmod(0o755)
    return path


@pytest.fixture
def only_fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buildkit, "COMMON_LOCATIONS", ())
    monkeypatch.delenv(buildkit.DOCKER_ENV, raising=False)


@pytest.mark.usefixtures("only_fakes")
def test_classic_builder_is_never_taken_for_buildkit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _fake(tmp_path / "a", _FAKE_BROKEN)
    classic = _fake(tmp_path / "b", _FAKE_CLASSIC)
    monkeypatch.setenv("PATH", f"{broken.parent}{os.pathsep}{classic.parent}")
    info = buildkit.detect(refresh=True)
    assert not info.available
    message = info.explain()
    assert str(broken) in message and str(classic) in message
    assert "classic builder" in message and "buildx component is missing" in message
    with pytest.raises(DevkitError):
        info.require()
    # The image the classic builder made for the probe is removed again.
    assert "rmi 0123456789ab" in (classic.parent / "calls.log").read_text()


@pytest.mark.usefixtures("only_fakes")
def test_buildx_is_preferred_and_env_override_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    classic = _fake(tmp_path / "b", _FAKE_CLASSIC)
    buildx = _fake(tmp_path / "x", _FAKE_BUILDX)
    monkeypatch.setenv("PATH", str(classic.parent))
    monkeypatch.setenv(buildkit.DOCKER_ENV, str(buildx))
    info = buildkit.detect(refresh=True)
    assert info.available and info.docker == str(buildx) and info.mode == buildkit.MODE_BUILDX
    assert info.build_command() == [str(buildx), "buildx", "build", "--load"]
    assert "DOCKER_BUILDKIT" not in info.build_env({})
    assert info.client_version == "25.0.0"


@pytest.mark.usefixtures("only_fakes")
def test_no_docker_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    info = buildkit.detect(refresh=True)
    assert not info.available and "no docker CLI found" in info.explain()


@pytest.fixture(autouse=True)
def _forget_detection() -> object:
    """Detection is cached per process: do not leak a fake result into other tests."""
    yield
    buildkit._detect_cached.cache_clear()


def test_journal_lets_a_killed_run_be_undone(tmp_path: Path) -> None:
    journal = tmp_path / "journal" / "run1.json"
    kept = tmp_path / "kept.py"
    changed = tmp_path / "changed.py"
    for path in (kept, changed):
        path.write_bytes(b"original\n")
        os.utime(path, ns=(5_000_000_000, 6_000_000_000))
    tree = bench.TreeGuard(journal)
    tree.write(kept, b"original\n# edited by devkit bench x\n")
    tree.write(changed, b"original\n# edited by devkit bench x\n")
    assert journal.is_file()
    # The process dies here (no restore). The user then edits one of the files.
    changed.write_bytes(b"the user's own work\n")
    restored, skipped = bench.recover(journal.parent)
    assert restored == [kept.resolve()] and skipped == [changed.resolve()]
    assert kept.read_bytes() == b"original\n"
    assert kept.stat().st_mtime_ns == 6_000_000_000
    assert changed.read_bytes() == b"the user's own work\n"
    assert not journal.exists()


def test_clean_restore_removes_the_journal(tmp_path: Path) -> None:
    journal = tmp_path / "j.json"
    path = tmp_path / "a.py"
    path.write_text("a\n")
    with bench.TreeGuard(journal) as tree:
        tree.write(path, b"b\n")
        assert journal.exists()
    assert not journal.exists() and path.read_text() == "a\n"


def test_recover_leaves_a_running_bench_alone(tmp_path: Path) -> None:
    journal = tmp_path / "journal" / "other.json"
    path = tmp_path / "a.py"
    path.write_text("a\n")
    tree = bench.TreeGuard(journal)
    tree.write(path, b"a\n# edited by devkit bench x\n")
    doc = json.loads(journal.read_text())
    doc["pid"] = os.getppid()  # alive: pytest's parent
    journal.write_text(json.dumps(doc))
    assert bench.recover(journal.parent) == ([], [])
    assert journal.exists() and path.read_text().endswith("bench x\n")
    tree.restore()
    assert not journal.exists() and path.read_text() == "a\n"
