"""A real Ctrl-C to `devkit prebuild --push` once the last step has built, while the image
is exported and pushed: exit 130, nothing reported done, and the next run pushes (or finds
the tag complete, when the registry got all of it before the signal landed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import TEST_LABEL_ARG

from devkit.labels import EXTRA_LABELS_ENV

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# 100 MB that no compression shrinks: exporting and pushing it takes seconds.
# (A token of the test's own, so no earlier build's cache holds the step.)
DOCKERFILE = """\
FROM busybox:latest AS dev
RUN head -c 100000000 /dev/urandom > /big # {token}
"""
ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


def _tag_status(repository: str, tag: str) -> int:
    host, _, name = repository.partition("/")
    request = urllib.request.Request(
        f"http://{host}/v2/{name}/manifests/{tag}", headers={"Accept": ACCEPT}, method="HEAD"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_ctrl_c_during_the_push_reports_nothing_and_the_next_run_completes(
    tmp_path: Path, repo: str, busybox_image: str
) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE.format(token=uuid.uuid4().hex))
    env = {**os.environ, EXTRA_LABELS_ENV: TEST_LABEL_ARG}
    argv = ["devkit", "prebuild", str(tmp_path), "--registry", repo, "--push", "--json"]
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        said: list[str] = []
        for line in proc.stderr:
            said.append(line)
            if "done" in line and "RUN head" in line:
                break
        else:
            pytest.fail("the build ended before its last step was reported: " + "".join(said))
        time.sleep(1.0)  # into the export and push
        assert proc.poll() is None, "the push finished before the signal: make it bigger"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    err = "".join(said) + err
    assert proc.returncode == 130, err
    assert out == "" and "pushed" not in err and "Traceback" not in err

    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] in ("pushed", "up to date")
    assert _tag_status(repo, result["tag"]) == 200
