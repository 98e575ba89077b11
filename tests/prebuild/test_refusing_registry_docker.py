"""A registry that refuses the repository name (NAME_INVALID, as registries with naming rules
of their own answer): `devkit prebuild --push`, `volumes push` and `volumes pull` each say so
in one line, report nothing done, and leave nothing behind.

The registry is a few lines of http.server on 127.0.0.1 (an insecure registry to every engine
by default): it answers the version check and refuses everything else by name.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_LABEL_ARG, TEST_LABELS

from devkit.labels import EXTRA_LABELS_ENV
from prebuild.prebuild_helpers import make_project

pytestmark = pytest.mark.docker

REFUSAL = {
    "errors": [{"code": "NAME_INVALID", "message": "invalid repository name", "detail": None}]
}


class _Refusing(BaseHTTPRequestHandler):
    # A TLS hello is no request line: answered with a status line (not HTTP/0.9's bare
    # body), clients see "server gave HTTP response to HTTPS client" and fall back to HTTP,
    # as they do with a real plain-HTTP registry.
    default_request_version = "HTTP/1.0"

    def _answer(self) -> None:
        ok = self.path.rstrip("/") == "/v2"
        body = b"{}" if ok else json.dumps(REFUSAL).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def refusing() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, EXTRA_LABELS_ENV: TEST_LABEL_ARG}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)


def _refused(done: subprocess.CompletedProcess[str], host: str) -> None:
    assert done.returncode == 1 and done.stdout == "", done.stderr
    assert f"the registry {host} refuses the repository name" in done.stderr, done.stderr
    assert done.stderr.count("devkit: error:") == 1 and "Traceback" not in done.stderr


def test_prebuild_push_to_a_refused_name(tmp_path: Path, refusing: str, busybox_image: str) -> None:
    project = make_project(tmp_path / "p")
    repo = f"{refusing}/devkit-test/refused"
    _refused(
        _run(["devkit", "prebuild", str(project), "--registry", repo, "--target", "dev", "--push"]),
        refusing,
    )


def test_volumes_push_and_pull_of_a_refused_name(
    refusing: str, docker_client: Any, busybox_image: str
) -> None:
    import uuid

    volume = f"dkt-refused-{uuid.uuid4().hex[:10]}"
    docker_client.volumes.create(volume, labels=TEST_LABELS)
    ref = f"{refusing}/devkit-test/refused:pip"
    try:
        _refused(_run(["devkit", "volumes", "push", volume, ref]), refusing)
        assert not docker_client.images.list(name=ref.rsplit(":", 1)[0])
        _refused(_run(["devkit", "volumes", "pull", ref, volume + "-copy"]), refusing)
        assert not [v for v in docker_client.volumes.list() if v.name == volume + "-copy"]
    finally:
        docker_client.volumes.get(volume).remove(force=True)
