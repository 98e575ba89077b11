"""A tiny stand-in for an engine's API socket: answers ``/_ping`` and ``/version`` as the
engine it pretends to be, so tests can meet engines this machine does not run (too old, or
Podman without its service)."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar


def docker_version(version: str, api: str) -> dict[str, Any]:
    """``GET /version`` as a Docker engine answers it."""
    return {
        "Version": version,
        "ApiVersion": api,
        "MinAPIVersion": "1.12",
        "Components": [{"Name": "Engine", "Version": version}],
    }


def podman_version(version: str, api: str = "1.41") -> dict[str, Any]:
    """``GET /version`` as Podman's Docker-compatible API answers it."""
    return {
        "Version": version,
        "ApiVersion": api,
        "MinAPIVersion": "1.24",
        "Components": [
            {"Name": "Podman Engine", "Version": version, "Details": {"APIVersion": version}},
            {"Name": "Conmon", "Version": "conmon version 2.1.6"},
        ],
    }


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    version: ClassVar[dict[str, Any]] = {}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.endswith("/_ping"):
            self._answer(b"OK", "text/plain")
        elif path.endswith("/version"):
            self._answer(json.dumps(self.server.version).encode(), "application/json")
        else:
            self.send_error(404)

    do_HEAD = do_GET

    def _answer(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Api-Version", str(self.server.version.get("ApiVersion", "")))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fake_engine(socket_path: Path, version: dict[str, Any]) -> Iterator[str]:
    """Serve ``version`` on ``socket_path`` while the block runs; yields the DOCKER_HOST."""
    server_class = type("_FakeEngine", (_Server,), {"version": version})
    server = server_class(str(socket_path), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"unix://{socket_path}"
    finally:
        server.shutdown()
        server.server_close()
        socket_path.unlink(missing_ok=True)
