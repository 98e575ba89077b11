#!/usr/bin/env python3
"""How long `devkit new DIR --defaults` takes, beside bare `copier copy --defaults`.

Both run as whole processes (what a user waits for), render the same template — the bundled
template's local git mirror at the same tag — into a fresh folder each run, and are interleaved
so that a busy machine slows both alike. Prints the medians and the ratio.

Goals (issue 2): devkit ≤ 1.5 s and within 1.3× of bare Copier.

    python benchmarks/bench_new.py [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 1.5
GOAL_RATIO = 1.3


def _script(name: str) -> list[str]:
    """The console script installed beside this interpreter (no pyenv/asdf shim in between)."""
    here = Path(sys.executable).parent / name
    if here.is_file():
        return [str(here)]
    return [sys.executable, "-m", name]


#: CPU seconds (user + system) of each timed command, by tool: unlike wall time, barely moved
#: by other work on a busy machine.
CPU: dict[str, list[float]] = {"devkit": [], "copier": []}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], env: dict[str, str], tool: str | None = None) -> float:
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(cmd)}\n{result.stderr}")
    if tool:
        CPU[tool].append(_children_cpu() - cpu)
    return elapsed


def _recorded(answers_file: Path) -> dict[str, str]:
    """The ``_key: value`` lines of a .copier-answers.yml (no YAML library needed here)."""
    found: dict[str, str] = {}
    for line in answers_file.read_text().splitlines():
        key, sep, value = line.partition(": ")
        if sep and key.startswith("_"):
            found[key] = value.strip().strip("'\"")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-new-"))
    env = {**os.environ, "DEVKIT_DATA_DIR": str(work / "data")}
    devkit, copier = _script("devkit"), _script("copier")
    try:
        # Warm-up: creates the template mirror (a one-time cost per devkit version) and the
        # OS file cache, then read the tag both tools will render.
        _timed([*devkit, "new", str(work / "warm-up"), "--defaults"], env)
        # Render exactly what devkit rendered: the mirror and tag it recorded for `copier update`.
        recorded = _recorded(work / "warm-up" / ".copier-answers.yml")
        src_path, tag = recorded["_src_path"], recorded["_commit"]

        def copier_copy(name: str) -> list[str]:
            return [
                *copier, "copy", "--quiet", "--defaults", "--data", f"project_name={name}",
                "--vcs-ref", tag, src_path, str(work / name),
            ]  # fmt: skip

        _timed(copier_copy("warm-up-copier"), env)
        times: dict[str, list[float]] = {"devkit": [], "copier": []}
        for i in range(args.runs):
            target = work / f"devkit-{i}"
            times["devkit"].append(
                _timed([*devkit, "new", str(target), "--defaults"], env, "devkit")
            )
            times["copier"].append(_timed(copier_copy(f"copier-{i}"), env, "copier"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    devkit_s = statistics.median(times["devkit"])
    copier_s = statistics.median(times["copier"])
    ratio = devkit_s / copier_s
    ok = devkit_s <= GOAL_SECONDS and ratio <= GOAL_RATIO
    devkit_cpu, copier_cpu = statistics.median(CPU["devkit"]), statistics.median(CPU["copier"])
    load = os.getloadavg()[0]
    if args.json:
        report = {
            "runs": args.runs,
            "template": tag,
            "devkit_new_median_s": round(devkit_s, 3),
            "copier_copy_median_s": round(copier_s, 3),
            "ratio": round(ratio, 3),
            "goal_seconds": GOAL_SECONDS,
            "goal_ratio": GOAL_RATIO,
            "meets_goals": ok,
            "devkit_new_cpu_s": round(devkit_cpu, 3),
            "copier_copy_cpu_s": round(copier_cpu, 3),
            "cpu_ratio": round(devkit_cpu / copier_cpu, 3),
            "load_average_1m": round(load, 2),
            "devkit_runs_s": [round(t, 3) for t in times["devkit"]],
            "copier_runs_s": [round(t, 3) for t in times["copier"]],
        }
        print(json.dumps(report, indent=2))
    else:
        print(f"template {tag}, {args.runs} runs each, median wall time:")
        print(f"  devkit new --defaults   {devkit_s:6.3f} s   (goal ≤ {GOAL_SECONDS} s)")
        print(f"  copier copy --defaults  {copier_s:6.3f} s")
        print(f"  ratio                   {ratio:6.2f} x   (goal ≤ {GOAL_RATIO} x)")
        print(
            f"  CPU (user+sys) median: devkit {devkit_cpu:.3f} s, copier {copier_cpu:.3f} s, "
            f"ratio {devkit_cpu / copier_cpu:.2f} x   (load average {load:.1f} on "
            f"{os.cpu_count()} CPUs: wall times grow with it)"
        )
        print("  meets goals" if ok else "  MISSES a goal")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
