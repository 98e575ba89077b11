"""The tar stream out of and into a volume, over the Engine API's archive endpoints.

A volume is reached through a helper container (:mod:`devkit.volumes.helper`) that mounts
it at :data:`MOUNT`: :func:`stream` reads it as one plain tar (``GET
/containers/{id}/archive``), :func:`put` extracts a tar into it (``PUT
/containers/{id}/archive``) in one of two ways (:data:`PUT_ROOT`, :data:`PUT_MOUNT`): which
one an engine gets right, :mod:`devkit.volumes.probe` finds out. This is also the one module
that uses docker-py's private ``APIClient`` methods (the "docker-py internals" section below).
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

#: Upload at the container's root with every member under ``volume/``. Docker's way: its
#: extraction refuses, inside the folder it extracts into, relative symlinks that point above
#: that folder ("invalid symlink"), and a volume's symlinks must come back as they were.
PUT_ROOT = "root"
#: Upload at the mount point with relative members (``./…``). Podman's way: there an upload
#: at ``/`` answers 200 and never reaches the volume (Podman resolves the path in the
#: container's own file system), while one at the mount point is exact, symlinks included.
PUT_MOUNT = "mount"
PUT_MODES = (PUT_ROOT, PUT_MOUNT)


def put_layout(how: str) -> tuple[str, str]:
    """(folder the members are moved under, path the archive is uploaded at) for ``how``."""
    if how == PUT_ROOT:
        return REBASE, "/"
    if how == PUT_MOUNT:
        return ".", MOUNT
    raise ValueError(f"unknown upload mode {how!r}")


# --------------------------------------------------------------------------- docker-py internals
# The only uses of docker-py's private ``APIClient`` methods (``_get``, ``_url``, ``_result``,
# ``_raise_for_status``, ``_version``, ``_get_raw_response_socket``,
# ``_disable_socket_timeout``, ``_post``) are in these functions, each for something its public
# API cannot do. If a docker-py release changes them, only this section needs a look;
# tests/volumes/test_backup_docker.py and test_listing_docker.py exercise the first two on the
# real engine, tests/volumes/test_podman.py the Podman ones.


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


def podman_init(api: Any, container_id: str) -> None:
    """Podman's ``POST /libpod/containers/{id}/init`` (no Docker API call does it): prepares
    the container as for a start without starting it. Its error answer is returned as an
    exception, as docker-py does for every call."""
    api._raise_for_status(api._post(api._url("/libpod/containers/{0}/init", container_id)))


def podman_volume(api: Any, name: str) -> dict[str, Any]:
    """Podman's ``GET /libpod/volumes/{name}/json``: the volume with the state the Docker
    API does not show (``NeedsChown``, ``NeedsCopyUp``)."""
    result: dict[str, Any] = api._result(api._get(api._url("/libpod/volumes/{0}/json", name)), True)
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
    held: list[Any] = []
    try:
        open_archive_into(client.api, container.id, f"{MOUNT}/.", held)
        yield from prefetch(chunks(held[0]), depth=8, thread_name="devkit-volume-reader")
    except DevkitError:
        raise
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"reading volume {name}", exc) from exc
    except Exception as exc:  # e.g. urllib3's ProtocolError when the engine hangs up
        raise DevkitError(f"reading volume {name} failed: {exc}") from exc
    finally:
        for res in held:
            with contextlib.suppress(Exception):
                res.close()


def open_archive_into(api: Any, container_id: str, path: str, held: list[Any]) -> None:
    """:func:`open_archive` on a worker thread, whose response is appended to ``held`` there.

    Python raises KeyboardInterrupt (and SIGTERM, see devkit.cli._signals) in the main thread
    only. Opened there, an interrupt landing inside requests after the engine had answered,
    or between that answer and the caller's assignment, lost the response unclosed; the
    engine then kept the helper container locked for the open stream, and removing the
    container hung (2 backups in 300 interrupted right at the start). Here the response is
    always in ``held`` for the caller's ``finally`` to close: an interrupted caller waits
    for the open to finish (the engine answers at once) before it re-raises.
    """
    failed: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            held.append(open_archive(api, container_id, path))
        except BaseException as exc:
            failed.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=work, name="devkit-archive-open", daemon=True)
    try:
        thread.start()
        done.wait()
    except BaseException:
        # (Interrupted before the thread existed, there is nothing to wait for.)
        done.wait(timeout=60 if thread.ident is not None or thread.is_alive() else 1)
        raise
    if failed:
        raise failed[0]


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


def put(client: Any, container: Any, data: Iterator[bytes], name: str, how: str = PUT_ROOT) -> None:
    """Extract a tar laid out for ``how`` (see :func:`put_layout`: members under
    ``volume/`` for :data:`PUT_ROOT`, ``./`` for :data:`PUT_MOUNT`) into the volume."""
    _, path = put_layout(how)
    try:
        ok = client.api.put_archive(container.id, path, data)
    except DevkitError:
        raise
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"writing volume {name}", exc) from exc
    if not ok:
        raise DevkitError(f"writing volume {name} failed: the engine refused the archive")
