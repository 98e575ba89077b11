"""Helpers for the real-engine tests of `devkit volumes`.

The source trees are made by a busybox container (a different tool than the one under
test), and trees are compared by listing them with busybox ``stat``/``sha256sum``/``readlink``.
Everything created carries this session's ``dev.devkit.test`` label and is removed by the tests.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import uuid
from typing import Any

import docker.errors
from conftest import TEST_LABEL_ARG, TEST_LABELS

from devkit.labels import MANAGED_LABEL

EXTRA = TEST_LABEL_ARG


POPULATE = r"""
set -e
cd /v
mkdir -p a/b/c empty-dir "sp ace dir/inner"
echo hello > a/b/c/deep.txt
printf 'secret' > a/secret; chown 1001:1002 a/secret; chmod 0600 a/secret
printf '#!/bin/sh\necho hi\n' > a/run.sh; chown 2000:2001 a/run.sh; chmod 0755 a/run.sh
mkdir shared; touch shared/f; chown -R 1500:1600 shared; chmod 2775 shared
chmod 1777 "sp ace dir"
: > zero-byte
printf 'x' > "name with spaces é ü 日本.txt"
ln -s a/b/c/deep.txt rel-link
ln -s /etc/passwd abs-link
ln abs-link abs-link-hardlink  # a hard-linked symlink (busybox ln does not follow)
ln -s ../../../outside dangling-link
chown -h 3000:3001 rel-link
ln a/b/c/deep.txt hard-link
ln a/secret a/b/secret-hardlink
if [ "$BIG_MB" -gt 0 ]; then
  half=$((BIG_MB / 2))
  dd if=/dev/urandom of=big-random bs=1M count=$half 2>/dev/null
  yes "some compressible text line for the cache volume" | head -c $((half * 1048576)) > big-text
  mkdir many
  i=0; while [ $i -lt 300 ]; do echo "small file $i" > many/f$i; i=$((i + 1)); done
fi
touch -d "2001-02-03 04:05:06" a/secret a/b/c empty-dir
touch -d "2011-12-13 14:15:16" a/b a
"""


LIST = r"""
cd /v && find . | sort | while IFS= read -r p; do
  meta=$(stat -c '%u|%g|%f|%Y|%h' "$p")
  if [ -L "$p" ]; then extra="link:$(readlink "$p")"
  elif [ -f "$p" ]; then extra="$(sha256sum "$p" | cut -d' ' -f1)|ino:$(stat -c %i "$p")"
  else extra=""
  fi
  printf '%s|%s|%s\n' "$p" "$meta" "$extra"
done
"""


def unique(prefix: str = "dkt") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Volumes:
    """Creates test volumes and removes every volume it was told about."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.names: list[str] = []

    def name(self, prefix: str = "dkt") -> str:
        n = unique(prefix)
        self.names.append(n)
        return n

    def create(self, labels: dict[str, str] | None = None, prefix: str = "dkt") -> str:
        n = self.name(prefix)
        self.client.volumes.create(
            n, labels={**TEST_LABELS, MANAGED_LABEL: "true", **(labels or {})}
        )
        return n

    def cleanup(self) -> None:

        for n in self.names:
            for c in self.client.containers.list(all=True, filters={"volume": n}):
                c.remove(force=True)
            with contextlib.suppress(docker.errors.NotFound):
                self.client.volumes.get(n).remove(force=True)


def run_script(
    client: Any,
    image: str,
    volume: str,
    script: str,
    env: dict[str, str] | None = None,
    *,
    output: str | None = None,
) -> str:
    """Run ``script`` with ``volume`` at /v; returns the text of the file ``output`` it wrote
    (read from the stopped container), else its logs.

    Data comes back through a file, not the logs: after a container exits the engine waits
    at most 2 s for its output to be copied to the logs (moby's daemon/monitor.go,
    handleContainerExit), so under load they can come back short, or empty.
    """
    container = client.containers.create(
        image,
        ["sh", "-c", script],
        volumes={volume: {"bind": "/v", "mode": "rw"}},
        labels=TEST_LABELS,
        environment=env or {},
        network_disabled=True,
    )
    try:
        container.start()
        result = container.wait(timeout=600)
        logs = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        assert result["StatusCode"] == 0, logs
        if output is None:
            return logs
        bits, _ = container.get_archive(output)
        with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
            member = tar.next()
            data = tar.extractfile(member) if member else None
            assert data is not None, f"{output} is not a file"
            return data.read().decode("utf-8")
    finally:
        container.remove(force=True)


def tree(client: Any, image: str, volume: str) -> list[tuple[str, ...]]:
    """Every path with uid, gid, raw mode, mtime, link count, content hash / link target.

    Inode numbers are replaced by the first path that has them, so hard links compare
    across volumes.
    """
    out = run_script(client, image, volume, f"({LIST}) > /tmp/tree", output="/tmp/tree")
    rows = []
    first_path: dict[str, str] = {}
    for line in out.splitlines():
        parts = line.split("|")
        if parts[-1].startswith("ino:"):
            parts[-1] = "same-as:" + first_path.setdefault(parts[-1], parts[0])
        rows.append(tuple(parts))
    return rows
