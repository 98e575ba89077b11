"""Benchmark: `devkit update --jobs 2` over a fleet vs `copier update` in each repo, one by one.

Both sides update identical copies of the same fleet (repositories rendered from devkit's
bundled template at its current version, then updated to a next version that changes the
Dockerfile and adds a cache volume), in one run, side by side; the ratio is what counts, not
the absolute times (the machine may be shared). Both sides must end with identical files.

    python benchmarks/bench_update.py                 # 50 repositories, --jobs 2
    python benchmarks/bench_update.py --repos 20 --jobs 4 --rounds 2 --json

Goal (issue 5): at least 1.8x faster than sequential `copier update` on two cores.
Exit status 1 when the goal is missed or the two sides disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.8
IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def next_version(tag: str) -> str:
    major, minor, patch = (int(x) for x in re.findall(r"\d+", tag)[:3])
    return f"v{major}.{minor}.{patch + 1}"


def make_template(work: Path) -> tuple[Path, str, str]:
    """The bundled template exported with a next version on top; returns (repo, old, new)."""
    from devkit.template import export

    repo = work / "template"
    old = export(repo)[-1]
    new = next_version(old)
    dockerfile = repo / "project" / ".devcontainer" / "Dockerfile.jinja"
    compose = repo / "project" / ".devcontainer" / "compose.yaml.jinja"
    dockerfile.write_text(dockerfile.read_text() + "\n# bench: a template change\n")
    compose.write_text(
        compose.read_text().rstrip("\n")
        + "\n  bench-cache:\n    name: {{ project_name }}-bench-cache\n"
        + "    labels:\n      dev.devkit.purpose: bench-cache\n"
    )
    (repo / "VERSION").write_text(new[1:] + "\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"bench {new}")
    git(repo, "tag", new)
    return repo, old, new


def make_fleet(template: Path, old: str, where: Path, count: int) -> list[Path]:
    """``count`` copies of one project rendered at ``old``, each with a local commit."""
    import copier

    seed = where / "seed"
    copier.run_copy(
        str(template),
        seed,
        vcs_ref=old,
        data={"project_name": "bench", "dockerfile_syntax": False},
        defaults=True,
        quiet=True,
    )
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "initial")
    repos = []
    for i in range(count):
        repo = where / f"repo{i:03d}"
        shutil.copytree(seed, repo, symlinks=True)
        (repo / "README.md").write_text(f"service {i}\n")  # a local, non-overlapping edit
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "local")
        repos.append(repo)
    return repos


def run_copier_one_by_one(repos: list[Path]) -> float:
    started = time.perf_counter()
    for repo in repos:
        subprocess.run(
            ["copier", "update", "--defaults", "--conflict", "inline", "--quiet", str(repo)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def run_devkit(repos: list[Path], jobs: int) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "devkit", "update", *map(str, repos), "--jobs", str(jobs), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    report = json.loads(proc.stdout)
    if proc.returncode != 0 or report["summary"] != {"updated": len(repos)}:
        raise SystemExit(f"devkit update did not update every repository: {report['summary']}")
    return elapsed


def snapshot(repo: Path) -> dict[str, bytes]:
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=50, help="fleet size (default 50)")
    parser.add_argument("--jobs", type=int, default=2, help="devkit workers (default 2)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat, alternating order")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()

    os.environ.update(IDENTITY)
    times: dict[str, list[float]] = {"copier": [], "devkit": []}
    with tempfile.TemporaryDirectory(prefix="bench-update.") as tmp:
        work = Path(tmp)
        os.environ["DEVKIT_DATA_DIR"] = str(work / "data")
        template, old, new = make_template(work)
        for round_no in range(args.rounds):
            fleet_a = make_fleet(template, old, work / f"a{round_no}", args.repos)
            fleet_b = make_fleet(template, old, work / f"b{round_no}", args.repos)
            # Alternate which side goes first, so a load change on the shared machine does
            # not always favour the same side.
            sides = [("copier", fleet_a), ("devkit", fleet_b)]
            if round_no % 2:
                sides.reverse()
            for name, fleet in sides:
                if name == "copier":
                    times[name].append(run_copier_one_by_one(fleet))
                else:
                    times[name].append(run_devkit(fleet, args.jobs))
            for a, b in zip(fleet_a, fleet_b, strict=True):
                if snapshot(a) != snapshot(b):
                    print(f"MISMATCH: {a} and {b} differ after the update", file=sys.stderr)
                    return 1
            shutil.rmtree(work / f"a{round_no}")
            shutil.rmtree(work / f"b{round_no}")

    copier_s, devkit_s = sum(times["copier"]), sum(times["devkit"])
    ratio = copier_s / devkit_s
    result = {
        "repos": args.repos,
        "jobs": args.jobs,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "template": f"{old} -> {new}",
        "copier_one_by_one_s": round(copier_s, 2),
        "devkit_update_s": round(devkit_s, 2),
        "copier_per_repo_s": round(copier_s / (args.repos * args.rounds), 3),
        "devkit_per_repo_s": round(devkit_s / (args.repos * args.rounds), 3),
        "speedup": round(ratio, 2),
        "goal": GOAL,
        "met": ratio >= GOAL,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.repos} repositories, template {old} -> {new}, {os.cpu_count()} CPUs")
        print(f"  copier update, one by one : {copier_s:7.2f} s")
        print(f"  devkit update --jobs {args.jobs}   : {devkit_s:7.2f} s")
        print(
            f"  speedup                   : {ratio:7.2f}x (goal {GOAL}x: "
            f"{'met' if ratio >= GOAL else 'MISSED'})"
        )
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
