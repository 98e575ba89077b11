#!/usr/bin/env python3
"""A fresh machine with `devkit prebuild` vs without: the cold build every newcomer pays.

Renders the python template (``devkit new DIR --defaults --data dockerfile_syntax=false``, the
host CA bundle as the extra-CA answer so pip reaches PyPI inside the build) and fills it like
a real repository: 200 source files, the dependencies numpy, pydantic, requests and rich, and
a 60 MB ``.git``. A registry of the bench's own (Debian's ``docker-registry`` on a free
loopback port, its access log kept) receives the prebuild, so the bytes a fresh machine pulls
are counted from what the registry served.

1. **publish**: ``devkit prebuild --push`` (what CI runs), timed; with ``--multi-arch`` again for
   linux/amd64 + linux/arm64 into a repository of its own, so it starts cold too (needs the
   base image for both platforms and an arm64 emulator).
2. Then, ``--repeat`` times, alternating which goes first, on a **fresh machine** (the
   project's images and the *whole* build cache removed — ``docker buildx prune -af`` — base
   images kept):
   * **cold**: ``docker buildx build`` of the dev target without any cache;
   * **prebuilt**: what a machine with the prebuild does — the content tag and the engine's
     pull of it (``devkit.bench.fresh.pull_prebuilt``, the step of ``devkit bench --scenario
     fresh``), then the build with
     ``--cache-from`` the registry cache (all steps cached), timed end to end;
   * **registry cache only**: the build with ``--cache-from`` and no pull (a compose
     ``cache_from`` without the prebuilt tag).

Prints the ratio cold / prebuilt (goal: at least 5x; the design's anchor is 3.5x), the
publish and multi-arch times, and the bytes the registry served to the fresh machine.

Pruning the whole build cache is only fair on an engine of your own: run it against a
dedicated engine (a Docker-in-Docker machine with the containerd image store, see
docs/prebuild.md) and say so with ``--engine-is-mine``.

Usage: python benchmarks/bench_prebuild.py --engine-is-mine [--repeat N] [--multi-arch]
       [--keep DIR] [--json FILE]
Exit status 0 when the goal is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from realistic import HOST_CA, PYPI_DEPS, du, populate, run

GOAL = 5.0
DOCKER = os.environ.get("DEVKIT_DOCKER", "docker")


def timed(argv: list[str], **kwargs: Any) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    done = run(argv, **kwargs)
    return time.monotonic() - started, done


class Registry:
    """docker-registry on a free loopback port, logging every response it writes."""

    def __init__(self, root: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        # A folder kept from an earlier run (--keep) still holds that run's registry: its blobs
        # would make the publish warm, so the registry always starts empty.
        shutil.rmtree(root, ignore_errors=True)
        (root / "data").mkdir(parents=True)
        self.log = root / "access.log"
        config = root / "config.yml"
        config.write_text(
            f"version: 0.1\nlog: {{level: info, formatter: json}}\n"
            f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}}}\n"
            f"http: {{addr: '{self.addr}'}}\n"
        )
        binary = shutil.which("docker-registry")
        if binary is None:
            raise SystemExit("docker-registry is missing (apt-get install docker-registry)")
        self.proc = subprocess.Popen(
            [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=self.log.open("w")
        )
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://{self.addr}/v2/", timeout=2).read()
                return
            except OSError:
                time.sleep(0.25)
        raise SystemExit("the bench's registry did not start")

    def mark(self) -> int:
        return self.log.stat().st_size

    def served(self, since: int) -> int:
        """Bytes of blobs and manifests the registry sent (GET) since ``mark()``."""
        total = 0
        with self.log.open() as handle:
            handle.seek(since)
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("http.request.method") == "GET":
                    total += int(entry.get("http.response.written") or 0)
        return total

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def fresh_machine(repositories: list[str]) -> None:
    """The project's images (every tag of ``repositories``) and the whole build cache gone;
    base images stay. With the containerd image store an image left under any tag keeps its
    layers in the content store, and a later pull would find them there."""
    listed = subprocess.run(
        [DOCKER, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for ref in listed:
        if ref.rsplit(":", 1)[0] in repositories:
            subprocess.run([DOCKER, "image", "rm", ref], capture_output=True, check=True)
    run([DOCKER, "buildx", "prune", "-af"], capture_output=True)


def build(project: Path, tag: str, cache_from: str | None) -> float:
    argv = [DOCKER, "buildx", "build", "--progress=plain", "--load", "-t", tag, "--target", "dev"]
    argv += ["-f", str(project / ".devcontainer" / "Dockerfile")]
    if cache_from:
        argv += ["--cache-from", f"type=registry,ref={cache_from}"]
    seconds, done = timed([*argv, str(project)], capture_output=True)
    cached = len(re.findall(r"^#\d+ CACHED$", done.stdout + done.stderr, re.MULTILINE))
    print(f"  {seconds:.1f}s, {cached} steps cached", flush=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine-is-mine", action="store_true", help="allow pruning its cache")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--multi-arch", action="store_true", help="also time amd64+arm64")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if not args.engine_is_mine:
        print(
            "bench_prebuild prunes the engine's whole build cache between runs; point it at an "
            "engine of your own (DOCKER_HOST) and pass --engine-is-mine",
            file=sys.stderr,
        )
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="devkit-bench-prebuild-"))
    work.mkdir(parents=True, exist_ok=True)
    project = work / "svc"
    env = dict(os.environ)
    if not project.exists():
        run(
            [sys.executable, "-m", "devkit", "new", str(project), "--defaults", "--data",
             "dockerfile_syntax=false", "--data", f"ca_certificates={HOST_CA}"],
            env=env,
        )  # fmt: skip
        populate(project)
    print(
        f"project: {len(list((project / 'src').rglob('*.py')))} source files, "
        f".git {du(project / '.git') / 1e6:.1f} MB, deps {', '.join(PYPI_DEPS)}",
        flush=True,
    )
    registry = Registry(work / "registry")
    repo = f"{registry.addr}/bench/svc-dev"
    # The multi-arch prebuild gets a repository (and cache) of its own: it starts cold too.
    multi = f"{registry.addr}/bench/svc-dev-multiarch"
    local = "svc-devcontainer"
    project_repos = [repo, multi, local]
    results: dict[str, Any] = {"deps": PYPI_DEPS}
    from devkit import engine
    from devkit.bench import fresh

    client = engine.connect()
    try:
        fresh_machine(project_repos)
        seconds, done = timed(
            [sys.executable, "-m", "devkit", "prebuild", str(project), "--registry", repo,
             "--push", "--json"],
            capture_output=True,
        )  # fmt: skip
        published = json.loads(done.stdout)
        results["publish_seconds"] = round(seconds, 1)
        results["tag"], results["cache"] = published["tag"], published["cache"]
        print(f"publish: {seconds:.1f}s ({published['cache']} cache)", flush=True)
        if args.multi_arch:
            fresh_machine(project_repos)
            seconds, done = timed(
                [sys.executable, "-m", "devkit", "prebuild", str(project), "--registry", multi,
                 "--platform", "linux/amd64,linux/arm64", "--push", "--json"],
                capture_output=True,
            )  # fmt: skip
            results["multi_arch_publish_seconds"] = round(seconds, 1)
            print(f"multi-arch publish: {seconds:.1f}s", flush=True)
        cache_ref = published["cache_ref"]
        cold: list[float] = []
        prebuilt: list[float] = []
        cache_only: list[float] = []
        pulled: list[int] = []
        for rep in range(args.repeat):
            order = ["cold", "prebuilt", "cache"] if rep % 2 == 0 else ["prebuilt", "cold", "cache"]
            for kind in order:
                fresh_machine(project_repos)
                print(f"[{rep + 1}/{args.repeat}] {kind}", flush=True)
                if kind == "cold":
                    cold.append(build(project, f"{local}:latest", None))
                elif kind == "cache":
                    cache_only.append(build(project, f"{local}:latest", cache_ref))
                else:
                    mark = registry.mark()
                    started = time.monotonic()
                    # devkit bench --scenario fresh's own step: the content tag, then the
                    # engine's pull of it (the tag must not have moved between machines).
                    fresh.pull_prebuilt(client, project, repo, "dev", published["ref"])
                    build(project, f"{local}:latest", cache_ref)
                    prebuilt.append(time.monotonic() - started)
                    pulled.append(registry.served(mark))
        results.update(
            cold_seconds=[round(s, 1) for s in cold],
            prebuilt_seconds=[round(s, 1) for s in prebuilt],
            cache_only_seconds=[round(s, 1) for s in cache_only],
            bytes_pulled=pulled,
        )
        ratio = statistics.median(cold) / statistics.median(prebuilt)
        cache_ratio = statistics.median(cold) / statistics.median(cache_only)
        results["ratio"] = round(ratio, 2)
        results["cache_only_ratio"] = round(cache_ratio, 2)
    finally:
        registry.stop()
        client.close()
        fresh_machine(project_repos)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    rows = [
        ("cold build (fresh machine, no cache)", f"{statistics.median(cold):.1f} s"),
        ("prebuilt tag + registry cache, end to end", f"{statistics.median(prebuilt):.1f} s"),
        ("registry cache only (no pull)", f"{statistics.median(cache_only):.1f} s"),
        ("ratio cold / prebuilt", f"{ratio:.2f}x (goal >= {GOAL}x)"),
        ("ratio cold / registry cache only", f"{cache_ratio:.2f}x"),
        ("bytes pulled by the fresh machine", f"{statistics.median(pulled) / 1e6:.1f} MB"),
        (f"publish (prebuild --push, {results['cache']} cache)", f"{results['publish_seconds']} s"),
    ]
    if "multi_arch_publish_seconds" in results:
        rows.append(
            ("multi-arch publish (amd64+arm64)", f"{results['multi_arch_publish_seconds']} s")
        )
    print()
    for label, value in rows:
        print(f"{label:<45} {value}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
