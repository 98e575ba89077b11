"""Benchmark `devkit volumes` against the classic busybox-tar recipes, side by side in one run.

    python benchmarks/bench_volumes.py                 # ~800 MB volume, 100 volumes for list
    python benchmarks/bench_volumes.py --size-mb 200 --volumes 20 --json

On one volume of mixed small and large files (random "wheels", base64 text, thousands of
small files) it times:

* backup:  devkit (zstd, streaming over the Engine API)
           vs `docker run --rm -v VOL:/source:ro -v DIR:/backup busybox tar czf ...`
           vs the raw uncompressed get_archive stream read to /dev/null (the API's ceiling)
* restore: devkit restore into a new volume vs busybox `tar xzf` into a new volume
* list:    `devkit volumes list` of N volumes (sizes from one df call)
           vs one `docker run --rm -v VOL:/v busybox du -sh /v` per volume

Goals (issue 3): backup >= 5x faster than busybox tar czf and within 1.5x of the raw
stream; restore no slower than busybox tar xzf; list of 100 volumes under 2 s.
Everything runs through the Docker SDK (no docker CLI); busybox:latest must exist locally
(`bash .ci/base-images.sh`, never pulled). All it creates is labelled dev.devkit.bench=1 and
removed at the end. Data is read once before timing so every contender reads a warm cache.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors

from devkit import volumes as vol
from devkit.engine import connect
from devkit.labels import BENCH_LABEL, EXTRA_LABELS_ENV, MANAGED_LABEL, PROJECT_LABEL
from devkit.volumes import helper, transport

BUSYBOX = "busybox:latest"
BENCH_LABELS = {BENCH_LABEL: "1", MANAGED_LABEL: "true"}

POPULATE = r"""
set -e
cd /v
mkdir -p big text small
i=0; while [ $i -lt $BIG_FILES ]; do
  dd if=/dev/urandom of=big/wheel-$i.whl bs=1M count=$BIG_MB 2>/dev/null; i=$((i + 1)); done
i=0; while [ $i -lt 4 ]; do
  head -c $((TEXT_MB * 196608)) /dev/urandom | base64 > text/part-$i.txt; i=$((i + 1)); done
mkdir -p small/empty; ln -s ../big small/link
"""


def small_files_tar(total_mb: int) -> Iterator[bytes]:
    """A tar stream of many small text files (1-24 kB; busybox has no `split`)."""
    import base64
    import io
    import random
    import tarfile

    rnd = random.Random(42)
    buf = io.BytesIO()
    written, i = 0, 0
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        while written < total_mb * 1_000_000:
            size = rnd.randint(1000, 24_000)
            data = base64.b64encode(os.urandom(size * 3 // 4))
            info = tarfile.TarInfo(f"small/d{i // 500:03d}/f-{i:05d}.py")
            info.size, info.mtime, info.uid, info.gid = len(data), 1_700_000_000, 1000, 1000
            tar.addfile(info, io.BytesIO(data))
            written += len(data)
            i += 1
            if buf.tell() > 4 << 20:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
    yield buf.getvalue()


def run_busybox(client: Any, command: list[str], volumes: dict[str, dict[str, str]]) -> float:
    """Run a busybox container to completion; return its wall time (create to removal)."""
    start = time.perf_counter()
    container = client.containers.create(
        BUSYBOX, command, volumes=volumes, labels=BENCH_LABELS, network_disabled=True
    )
    try:
        container.start()
        result = container.wait(timeout=3600)
        if result["StatusCode"] != 0:
            logs = container.logs().decode("utf-8", "replace")
            raise SystemExit(f"busybox {' '.join(command)} failed: {logs[-500:]}")
    finally:
        container.remove(force=True)
    return time.perf_counter() - start


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def raw_stream(client: Any, name: str) -> int:
    """Read the uncompressed get_archive stream of a volume to nowhere; returns bytes.

    The same plain-tar request devkit makes (docker-py's ``get_archive()`` lets the engine
    gzip the stream), read with nothing else going on: the ceiling of the API path.
    """
    total = 0
    with helper.container(client, name, read_only=True) as container:
        res = transport.open_archive(client.api, container.id, f"{transport.MOUNT}/.")
        try:
            for chunk in res.iter_content(transport.STREAM_CHUNK):
                total += len(chunk)
        finally:
            res.close()
    return total


@contextlib.contextmanager
def cleanup(client: Any) -> Iterator[list[str]]:
    names: list[str] = []
    try:
        yield names
    finally:
        for name in names:
            for c in client.containers.list(all=True, filters={"volume": name}):
                c.remove(force=True)
            with contextlib.suppress(docker.errors.NotFound):
                client.volumes.get(name).remove(force=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=800, help="approximate volume size")
    parser.add_argument("--volumes", type=int, default=100, help="volumes for the list test")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    os.environ[EXTRA_LABELS_ENV] = f"{BENCH_LABEL}=1"
    client = connect(timeout=3600)
    try:
        client.images.get(BUSYBOX)
    except docker.errors.ImageNotFound:
        print(f"{BUSYBOX} is missing: make it with `bash .ci/base-images.sh` (never pulled)")
        return 1

    # Sizes: half random "wheels", 30% base64 text in a few files, 20% small files (12 kB).
    big_files = 4
    big_mb = max(1, args.size_mb // 2 // big_files)
    text_mb = max(1, args.size_mb * 3 // 10)
    small_mb = max(1, args.size_mb // 5)
    tag = uuid.uuid4().hex[:8]
    results: dict[str, Any] = {}
    with cleanup(client) as names, tempfile.TemporaryDirectory(prefix="devkit-bench-") as tmp:
        tmpdir = Path(tmp)
        source = f"devkit-bench-src-{tag}"
        names.append(source)
        client.volumes.create(source, labels=BENCH_LABELS)
        env_script = (
            f"BIG_FILES={big_files} BIG_MB={big_mb} TEXT_MB={text_mb} SMALL_MB={small_mb}; "
            + POPULATE
        )
        print(f"populating {source} (~{args.size_mb} MB) ...", file=sys.stderr)
        run_busybox(client, ["sh", "-c", env_script], {source: {"bind": "/v", "mode": "rw"}})
        with helper.container(client, source) as container:
            client.api.put_archive(container.id, transport.MOUNT, small_files_tar(small_mb))
        tar_bytes = raw_stream(client, source)  # warm the page cache, and the volume's size
        results["volume_tar_mb"] = round(tar_bytes / 1e6, 1)

        print("backup: raw stream, devkit, busybox tar czf ...", file=sys.stderr)
        t_raw = timed(lambda: raw_stream(client, source))
        out = tmpdir / "devkit.tar.zst"
        t_devkit = timed(lambda: vol.backup(client, source, output=out))
        t_busybox = run_busybox(
            client,
            ["tar", "czf", "/backup/x.tar.gz", "-C", "/source", "."],
            {source: {"bind": "/source", "mode": "ro"}, tmp: {"bind": "/backup", "mode": "rw"}},
        )
        results["backup"] = {
            "raw_stream_s": round(t_raw, 2),
            "devkit_s": round(t_devkit, 2),
            "busybox_tar_czf_s": round(t_busybox, 2),
            "devkit_mb": round(out.stat().st_size / 1e6, 1),
            "busybox_mb": round((tmpdir / "x.tar.gz").stat().st_size / 1e6, 1),
            "speedup_vs_busybox": round(t_busybox / t_devkit, 2),
            "ratio_to_raw_stream": round(t_devkit / t_raw, 2),
        }

        print("restore: devkit, busybox tar xzf ...", file=sys.stderr)
        target_devkit = f"devkit-bench-dst-{tag}"
        target_busybox = f"devkit-bench-bb-{tag}"
        names += [target_devkit, target_busybox]
        t_restore = timed(lambda: vol.restore(client, out, target=target_devkit))
        client.volumes.create(target_busybox, labels=BENCH_LABELS)
        t_xzf = run_busybox(
            client,
            ["tar", "xzf", "/backup/x.tar.gz", "-C", "/target"],
            {
                target_busybox: {"bind": "/target", "mode": "rw"},
                tmp: {"bind": "/backup", "mode": "ro"},
            },
        )
        results["restore"] = {
            "devkit_s": round(t_restore, 2),
            "busybox_tar_xzf_s": round(t_xzf, 2),
            "speedup_vs_busybox": round(t_xzf / t_restore, 2),
        }

        print(f"list: {args.volumes} volumes ...", file=sys.stderr)
        listed = [f"devkit-bench-l{i:03d}-{tag}" for i in range(args.volumes)]
        names += listed
        for name in listed:
            client.volumes.create(name, labels={**BENCH_LABELS, PROJECT_LABEL: tag})
        listing: list[vol.VolumeInfo] = []
        t_list = timed(lambda: listing.extend(vol.list_volumes(client, project=tag)))
        assert len(listing) == args.volumes, len(listing)
        t_du = timed(
            lambda: [
                run_busybox(client, ["du", "-sh", "/v"], {n: {"bind": "/v", "mode": "ro"}})
                for n in listed
            ]
        )
        results["list"] = {
            "volumes": args.volumes,
            "devkit_s": round(t_list, 2),
            "du_per_volume_s": round(t_du, 2),
            "speedup_vs_du": round(t_du / t_list, 1),
        }

    b, r, lst = results["backup"], results["restore"], results["list"]
    results["goals"] = {
        "backup >= 5x faster than busybox tar czf": b["speedup_vs_busybox"] >= 5,
        "backup within 1.5x of the raw stream": b["ratio_to_raw_stream"] <= 1.5,
        "restore no slower than busybox tar xzf": r["speedup_vs_busybox"] >= 1,
        f"list of {lst['volumes']} volumes under 2 s": lst["devkit_s"] < 2,
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"volume: {results['volume_tar_mb']} MB of tar")
    print(
        f"backup : devkit {b['devkit_s']} s ({b['devkit_mb']} MB) | busybox tar czf "
        f"{b['busybox_tar_czf_s']} s ({b['busybox_mb']} MB) | raw stream {b['raw_stream_s']} s"
    )
    print(
        f"         devkit is {b['speedup_vs_busybox']}x faster than busybox; "
        f"{b['ratio_to_raw_stream']}x the raw stream's time"
    )
    print(
        f"restore: devkit {r['devkit_s']} s | busybox tar xzf {r['busybox_tar_xzf_s']} s "
        f"-> devkit {r['speedup_vs_busybox']}x faster"
    )
    print(
        f"list   : {lst['volumes']} volumes in {lst['devkit_s']} s | du per volume "
        f"{lst['du_per_volume_s']} s -> {lst['speedup_vs_du']}x faster"
    )
    for goal, met in results["goals"].items():
        print(f"  [{'met' if met else 'MISSED'}] {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
