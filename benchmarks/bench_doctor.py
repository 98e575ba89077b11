"""`devkit doctor` over a corpus of real repositories: findings, precision per rule, speed.

    python benchmarks/bench_doctor.py CORPUS                   # one checkout per sub-folder
    python benchmarks/bench_doctor.py CORPUS --judgements J.json --dump findings.json
    python benchmarks/bench_doctor.py TUNE HOLDOUT --judgements J.json   # side by side
    python benchmarks/bench_doctor.py CORPUS --cli             # through `devkit doctor --json`

Each sub-folder of CORPUS is one repository checkout. Doctor audits it without the BuildKit
probe (rule DK001 is about the machine, not the repository): in-process through
``devkit.doctor.audit`` by default (the time is the audit alone), or with ``--cli`` as a
``devkit doctor --json --no-buildkit-check`` subprocess (the time includes interpreter start;
the start-up cost, measured on an empty folder, is printed beside it).

Every finding has a key ``repo|rule|file|line``; when several findings share one (one RUN
installing with two managers), the first word of the message (the manager) is appended. A
judgement file maps keys to verdicts, ``{"judgements": {KEY: {"verdict": "TP"|"FP",
"reason": "..."}}}``, from which precision per rule is computed; findings without a
verdict are counted as unjudged, and verdicts whose finding no longer appears as stale.

Printed: findings per rule and per repository, precision per rule (several corpora side by
side: tune on one, check on another), time per repository (median and max), crashes (any
exception other than a DevkitError, or with ``--cli`` an exit status other than 0/1, or
stdout that is not one JSON report), and the keys of findings without a verdict.

Goals (issue 11, printed, never asserted in tests): every judged rule at >= 95 % precision,
median time per repository < 0.5 s, no repository over 3 s, no crash. Exit status 0 when
every goal is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRECISION_GOAL = 0.95
MEDIAN_GOAL_S = 0.5
MAX_GOAL_S = 3.0
CLI_TIMEOUT_S = 120.0


@dataclass
class RepoRun:
    """One repository's audit: its findings (as report dicts), time, and any crash."""

    name: str
    seconds: float
    findings: list[dict[str, Any]] = field(default_factory=list)
    files: int = 0
    crash: str | None = None
    error: str | None = None


def finding_keys(repo: str, findings: list[dict[str, Any]]) -> list[str]:
    """A stable key per finding: ``repo|rule|file|line``, the message's first word appended
    where that alone is ambiguous (and ``#n`` if even that is)."""
    base = [f"{repo}|{f['rule']}|{f['file']}|{f['line'] or ''}" for f in findings]
    counts = Counter(base)
    keys: list[str] = []
    for key, f in zip(base, findings, strict=True):
        if counts[key] > 1:
            words = str(f["message"]).split()
            key = f"{key}|{words[0] if words else ''}"
        keys.append(key)
    seen: Counter[str] = Counter()
    unique: list[str] = []
    for key in keys:
        seen[key] += 1
        unique.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return unique


def audit_api(path: Path) -> RepoRun:
    """Audit in-process through the public API; time the audit alone."""
    from devkit import doctor
    from devkit.errors import DevkitError

    start = time.perf_counter()
    try:
        report = doctor.audit(path, buildkit=None)
    except DevkitError as exc:
        return RepoRun(path.name, time.perf_counter() - start, error=str(exc))
    except Exception as exc:  # a crash is what this benchmark reports, not a reason to stop
        return RepoRun(path.name, time.perf_counter() - start, crash=f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    data = report.to_dict()
    return RepoRun(path.name, seconds, data["findings"], len(data["files"]))


def audit_cli(path: Path) -> RepoRun:
    """Audit through ``devkit doctor --json`` in a subprocess; time the whole process."""
    argv = [sys.executable, "-m", "devkit", "doctor", "--json", "--no-buildkit-check", str(path)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return RepoRun(path.name, CLI_TIMEOUT_S, crash=f"timeout after {CLI_TIMEOUT_S:.0f} s")
    seconds = time.perf_counter() - start
    last = (proc.stderr.strip().splitlines() or [""])[-1]
    if proc.returncode not in (0, 1):
        return RepoRun(path.name, seconds, crash=f"exit {proc.returncode}: {last}")
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        if proc.returncode == 1 and not proc.stdout.strip():
            return RepoRun(path.name, seconds, error=last)
        return RepoRun(path.name, seconds, crash=f"stdout is not JSON (exit {proc.returncode})")
    if "internal error" in proc.stderr:
        return RepoRun(path.name, seconds, crash=last)
    return RepoRun(path.name, seconds, data["findings"], len(data["files"]))


def load_judgements(path: Path | None) -> dict[str, dict[str, str]]:
    """KEY -> {"verdict": "TP"|"FP", "reason": ...} (the file's "judgements" object)."""
    if path is None:
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    table = data.get("judgements", data) if isinstance(data, dict) else {}
    return {k: v for k, v in table.items() if isinstance(v, dict) and "verdict" in v}


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    -  "


@dataclass
class CorpusResult:
    """One corpus: its runs, and per rule the count of TP, FP and unjudged findings."""

    name: str
    runs: list[RepoRun]
    per_rule: dict[str, Counter[str]] = field(default_factory=dict)
    unjudged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


def judge(name: str, runs: list[RepoRun], judgements: dict[str, dict[str, str]]) -> CorpusResult:
    """Count each finding of ``runs`` as its verdict says (TP, FP or unjudged)."""
    result = CorpusResult(name, runs, defaultdict(Counter))
    seen: set[str] = set()
    for run in runs:
        for key, f in zip(finding_keys(run.name, run.findings), run.findings, strict=True):
            seen.add(key)
            verdict = judgements.get(key, {}).get("verdict", "unjudged").upper()
            result.per_rule[f["rule"]][verdict] += 1
            if verdict == "UNJUDGED":
                result.unjudged.append(key)
    repos = {run.name for run in runs}
    result.stale = sorted(k for k in judgements if k.split("|", 1)[0] in repos and k not in seen)
    return result


def print_repositories(result: CorpusResult) -> None:
    """Findings per rule and time, one line per repository."""
    print(f"\n{result.name}")
    print(f"{'repository':44} {'time':>7} {'files':>5} {'finds':>5}  per rule")
    for run in result.runs:
        rules = Counter(f["rule"] for f in run.findings)
        status = f"CRASH {run.crash}" if run.crash else f"error: {run.error}" if run.error else ""
        detail = " ".join(f"{r}:{n}" for r, n in sorted(rules.items()))
        print(
            f"{run.name[:44]:44} {run.seconds:6.2f}s {run.files:5} "
            f"{len(run.findings):5}  {status or detail}"
        )


def print_precision(results: list[CorpusResult]) -> bool:
    """Precision per rule, the corpora side by side; whether every judged rule meets the goal."""
    ok = True
    head = f"{'rule':6}" + "".join(f" | {r.name[:31]:>31}" for r in results)
    sub = f"{'':6}" + "".join(
        f" | {'findings':>8} {'TP':>4} {'FP':>4} {'?':>3} {'prec.':>7}" for _ in results
    )
    print("\n" + head + "\n" + sub)
    rules = sorted({rule for r in results for rule in r.per_rule})
    for rule in [*rules, "all"]:
        cells = []
        for r in results:
            counters = list(r.per_rule.values()) if rule == "all" else [r.per_rule[rule]]
            tp = sum(c["TP"] for c in counters)
            fp = sum(c["FP"] for c in counters)
            total = sum(sum(c.values()) for c in counters)
            cells.append(
                f" | {total:8} {tp:4} {fp:4} {total - tp - fp:3} {percent(tp, tp + fp).strip():>7}"
            )
            if rule != "all" and tp + fp and tp / (tp + fp) < PRECISION_GOAL:
                ok = False
        print(f"{rule:6}" + "".join(cells))
    return ok


def print_times(results: list[CorpusResult], startup: float) -> bool:
    """Time per repository per corpus, and crashes; whether the speed goals hold."""
    ok = True
    for r in results:
        times = [run.seconds for run in r.runs]
        median, worst = statistics.median(times), max(times)
        slowest = max(r.runs, key=lambda run: run.seconds)
        over = sum(1 for t in times if t > MAX_GOAL_S)
        print(
            f"{r.name}: time per repository median {median:.2f} s (goal < {MEDIAN_GOAL_S} s), "
            f"max {worst:.2f} s ({slowest.name}; goal < {MAX_GOAL_S:.0f} s), {over} over "
            f"{MAX_GOAL_S:.0f} s, total {sum(times):.1f} s for {len(times)} repositories"
            + (f"; process start-up alone {startup:.2f} s" if startup else "")
        )
        crashes = [run for run in r.runs if run.crash]
        print(f"{r.name}: crashes: {len(crashes)}")
        for run in crashes:
            print(f"  {run.name}: {run.crash}")
        ok = ok and not crashes and median < MEDIAN_GOAL_S and worst < MAX_GOAL_S
    return ok


def print_loose_ends(
    results: list[CorpusResult], judgements: dict[str, dict[str, str]], show: int
) -> None:
    """Findings without a verdict, and verdicts whose finding is gone (fixed, or moved)."""
    for r in results:
        if r.unjudged:
            print(f"\n{r.name}: {len(r.unjudged)} findings have no verdict:")
            for key in r.unjudged[:show]:
                print(f"  {key}")
        if r.stale:
            lost = [k for k in r.stale if judgements[k]["verdict"].upper() == "TP"]
            print(
                f"\n{r.name}: {len(r.stale)} judgements match no finding any more "
                f"(fixed, or moved), {len(lost)} of them true findings lost:"
            )
            for key in (lost + [k for k in r.stale if k not in lost])[:show]:
                print(f"  {key}  [{judgements[key]['verdict']}]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "corpus", type=Path, nargs="+", help="folder holding one checkout per sub-folder"
    )
    parser.add_argument("--judgements", type=Path, help="judgement file (KEY -> TP/FP)")
    parser.add_argument("--cli", action="store_true", help="run `devkit doctor --json` instead")
    parser.add_argument("--dump", type=Path, help="write every finding with its key (JSON)")
    parser.add_argument("--only", action="append", default=[], help="just these sub-folders")
    parser.add_argument(
        "--show", type=int, default=20, metavar="N", help="list up to N unjudged/stale keys"
    )
    args = parser.parse_args(argv)
    judgements = load_judgements(args.judgements)
    corpora: list[tuple[Path, list[Path]]] = []
    for corpus in args.corpus:
        repos = sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))
        if args.only:
            repos = [p for p in repos if p.name in set(args.only)]
        if repos:
            corpora.append((corpus, repos))
    if not corpora:
        parser.error("no repository folders in " + ", ".join(map(str, args.corpus)))
    with tempfile.TemporaryDirectory() as empty:
        # Imports and first-use costs out of the first repository's time; with --cli, the
        # interpreter start-up that every repository's time includes.
        warm = audit_cli(Path(empty)) if args.cli else audit_api(Path(empty))
        startup = warm.seconds if args.cli else 0.0
    runner = audit_cli if args.cli else audit_api
    results: list[CorpusResult] = []
    for corpus, repos in corpora:
        runs = []
        for repo in repos:
            runs.append(runner(repo))
            print(f"  audited {repo.name} in {runs[-1].seconds:.2f} s", file=sys.stderr, flush=True)
        results.append(judge(corpus.name or str(corpus), runs, judgements))
    for result in results:
        print_repositories(result)
    ok = print_precision(results)
    print()
    ok = print_times(results, startup) and ok
    print_loose_ends(results, judgements, args.show)
    if args.dump:
        dump = {
            run.name: {
                "seconds": round(run.seconds, 3),
                "crash": run.crash,
                "error": run.error,
                "findings": {
                    key: {k: f[k] for k in ("rule", "severity", "file", "line", "message")}
                    for key, f in zip(
                        finding_keys(run.name, run.findings), run.findings, strict=True
                    )
                },
            }
            for result in results
            for run in result.runs
        }
        args.dump.write_text(json.dumps(dump, indent=1) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
