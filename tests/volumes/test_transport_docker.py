"""The archive stream against the real engine: an interrupt never leaves it open.

The engine keeps a container locked while an archive stream of it is open, so a stream
left open by an interrupt makes removing the helper container wait for the API timeout
(120 s for the CLI), and leaves the container behind.
"""

from __future__ import annotations

import io
from typing import Any

import docker
import pytest

from devkit import volumes as vol

from .docker_helpers import Volumes, run_script

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


def test_interrupt_as_the_engine_answers_leaves_no_helper(
    docker_client: Any, busybox_image: str, vols: Volumes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C right after the engine answered the archive request, before any data is read
    (a SIGTERM to `backup -o -` lands there under load): the helper container is gone."""
    # More than the socket buffers hold, so the engine is still sending (and holding the
    # container) when devkit stops reading.
    source = vols.create()
    run_script(docker_client, busybox_image, source, "dd if=/dev/zero of=/v/z bs=1M count=32")
    # Its own client with a short timeout: a removal stuck behind an open stream fails the
    # test in 30 s instead of holding it for the session client's 300 s.
    client = docker.from_env(timeout=30)
    real = client.api._raise_for_status

    def answered_then_interrupted(res: Any) -> None:
        real(res)
        if res.request.path_url.split("?")[0].endswith("/archive"):
            raise KeyboardInterrupt

    monkeypatch.setattr(client.api, "_raise_for_status", answered_then_interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            vol.backup(client, source, output=io.BytesIO())
        assert vol.users(docker_client, source) == []
    finally:
        client.close()
