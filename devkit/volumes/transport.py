"""The tar stream out of and into a volume, over the Engine API's archive endpoints.

A volume is reached through a helper container (:mod:`devkit.volumes.helper`) that mounts
it at :data:`MOUNT`: :func:`stream` reads it as one plain tar (``GET
/containers/{id}/archive``), :func:`put` extracts a tar whose members sit under
:data:`REBASE` into it (``PUT /containers/{id}/archive``). This is also the one module that
uses docker-py's private ``APIClient`` methods (the "docker-py internals" section below).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Generator, Iterator
from typing import Any

from devkit import engine
from devkit.engine import docker_error
from devkit.errors import DevkitError

#: Where the helper container mounts the volume.
MOUNT = "/volume"
#: The folder a restored or copied tar's members are moved under (see ``archive.tar.rebase``).
REBASE = MOUNT.lstrip("/")
STREAM_CHUNK = 1 << 20


# --------------------------------------------------------------------------- docker-py internals
# The only uses of docker-py's private ``APIClient`` methods (``_get``, ``_url``, ``_result``,
# ``_raise_for_status``, ``_version``, ``_get_raw_response_socket``,
# ``_disable_socket_timeout``) are in these two functions, each for something its public
# API cannot do. If a docker-py release changes them, only this section needs a look;
# tests/volumes/test_backup_docker.py and test_listing_docker.py exercise both on the real engine.


def open_archive(api: Any, container_id: str, path: str) -> Any:
    """``GET /containers/{id}/archive`` as an open, streaming ``requests`` response.

    Why not ``api.get_archive()``: it hides the response, and closing its generator does
    not close the connection — but the engine keeps the container locked while an archive
    stream is open, so devkit must be able to hang up (``res.close()``). It also lets
    requests ask for gzip, and the engine then gzips the stream itself, single-threaded:
    many times slower than devkit's zstd. Here the plain tar is asked for.
    """
    res = api._get(
        api._url("/containers/{0}/archive", container_id),
        params={"path": path},
        stream=True,
        headers={"Accept-Encoding": "identity"},
    )
    try:
        api._raise_for_status(res)
        # As docker-py does for its own streams: a blocking socket (no per-read timeout
        # polling) is several times faster, and a big volume may take longer than the timeout.
        api._disable_socket_timeout(api._get_raw_response_socket(res))
    except BaseException:  # an error answer, or Ctrl-C: hang up before anyone waits on it
        res.close()
        raise
    return res


def system_df_volumes(api: Any) -> dict[str, Any] | None:
    """``GET /system/df?type=volume`` on engines with API 1.42+ (None on older ones).

    Why not ``api.df()``: it cannot pass ``type``, and without it the engine also measures
    every image, container and build cache entry, which is much slower on a busy machine.
    """
    try:
        version = tuple(int(p) for p in str(api._version).split(".")[:2])
    except ValueError:
        return None
    if version < (1, 42):
        return None
    result: dict[str, Any] = api._result(
        api._get(api._url("/system/df"), params={"type": "volume"}), True
    )
    return result


# --------------------------------------------------------------------------- out of a volume


def stream(client: Any, name: str, container: Any) -> Generator[bytes, None, None]:
    """The volume's tar stream from the engine, in chunks of about 1 MiB.

    A reader thread (:func:`prefetch`) pulls the HTTP response a few chunks ahead, so
    waiting for the engine overlaps with the consumer's compression. Close the generator
    (``contextlib.closing``) when done: that closes the HTTP response, which the engine
    needs before it lets the helper container go (it keeps the container locked while an
    archive stream is open).
    """

    def chunks(res: Any) -> Iterator[bytes]:
        # ~1 MiB at a time: urllib3 joins the engine's small (32 KiB) chunked-encoding pieces.
        while data := res.raw.read(STREAM_CHUNK, decode_content=True):
            yield data

    # One try from the moment the response exists: a Ctrl-C (or SIGTERM) landing anywhere
    # after it, even before the first chunk, still hangs up, so the engine lets the helper
    # container go at once instead of after the API timeout.
    res = None
    try:
        res = open_archive(client.api, container.id, f"{MOUNT}/.")
        yield from prefetch(chunks(res), depth=8, thread_name="devkit-volume-reader")
    except DevkitError:
        raise
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"reading volume {name}", exc) from exc
    except Exception as exc:  # e.g. urllib3's ProtocolError when the engine hangs up
        raise DevkitError(f"reading volume {name} failed: {exc}") from exc
    finally:
        if res is not None:
            with contextlib.suppress(Exception):
                res.close()


def prefetch(
    source: Iterator[bytes], depth: int = 4, thread_name: str = "devkit-restore-reader"
) -> Generator[bytes, None, None]:
    """Run ``source`` in a thread, ``depth`` chunks ahead of the consumer.

    Backup uses it so that waiting for the engine overlaps with compressing, restore so
    that decompressing and checking the next chunks overlaps with sending the current one
    to the engine; memory stays bounded (``depth`` chunks). Exceptions are re-raised in
    the consumer.
    """
    items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: tuple[str, Any]) -> None:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for chunk in source:
                if stop.is_set():
                    return
                hand_over(("data", chunk))
            hand_over(("end", None))
        except BaseException as exc:
            hand_over(("error", exc))

    thread = threading.Thread(target=produce, name=thread_name, daemon=True)
    try:
        thread.start()  # inside the try: an interrupt during start still stops the thread
        while True:
            kind, value = items.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        # Free the producer if it waits on a full queue (the consumer stopped early).
        with contextlib.suppress(queue.Empty):
            while True:
                items.get_nowait()
        with contextlib.suppress(RuntimeError):  # interrupted before the thread had started
            thread.join(timeout=30)


# --------------------------------------------------------------------------- into a volume


def put(client: Any, container: Any, data: Iterator[bytes], name: str) -> None:
    """Extract a tar whose members are under ``volume/`` at the container's root."""
    try:
        ok = client.api.put_archive(container.id, "/", data)
    except DevkitError:
        raise
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"writing volume {name}", exc) from exc
    if not ok:
        raise DevkitError(f"writing volume {name} failed: the engine refused the archive")
