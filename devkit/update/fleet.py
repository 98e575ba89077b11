"""A fleet: :func:`update_repo` over many repositories, ``jobs`` at a time, in worker processes.

Processes, not threads: Copier changes the working directory while it renders (plumbum's
``local.cwd``), which is process-wide state, so threads would trample on each other. Ctrl-C
starts no more repositories and lets the workers finish the ones they are on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TextIO

from devkit import copier_api, template
from devkit.errors import DevkitError
from devkit.update.repo import update_repo
from devkit.update.result import FAILED, RepoResult, UpdateOptions


def read_repo_list(path: Path, *, stdin: TextIO | None = None) -> list[str]:
    """Repository paths from a file: one per line, ``#`` comments and blank lines skipped.

    ``-`` reads ``stdin``, the stream the CLI hands over (core code does not reach for the
    terminal's own).
    """
    try:
        if str(path) == "-" and stdin is not None:
            text = stdin.read()
        else:
            text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DevkitError(f"cannot read repository list {path}: {exc.strerror}") from None
    stripped = (line.strip() for line in text.splitlines())
    return [os.path.expanduser(line) for line in stripped if line and not line.startswith("#")]


def _worker_init() -> None:
    # Ctrl-C is the parent's to handle (it lets a worker finish its repository). A session of
    # their own keeps the terminal's SIGINT away from the workers *and* from the git processes
    # they run (git handles SIGINT itself even when it is ignored), and means no prompt can
    # ever wait on the terminal.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.setsid()


def _pool(jobs: int) -> Executor:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    # forkserver: the parent may run a progress thread, and forking a threaded process is
    # unsafe; the fork server is single-threaded and has Copier imported once already.
    method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        # The module the workers run (by its name, so a move cannot leave a stale one here).
        context.set_forkserver_preload([update_repo.__module__, *copier_api.PRELOAD_MODULES])
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init)


def update_many(
    paths: Sequence[str],
    options: UpdateOptions,
    *,
    jobs: int = 1,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[RepoResult], None] | None = None,
) -> list[RepoResult]:
    """Update every repository, ``jobs`` at a time; results in the order of ``paths``.

    ``jobs == 1`` (or a single repository) runs in this process; more use worker processes.
    A worker that dies takes only its own repository with it (reported as failed).
    """
    if jobs < 1:
        raise DevkitError("--jobs must be at least 1")
    template.tags.cache_clear()  # templates may have gained tags since the last call
    results: dict[int, RepoResult] = {}

    def finish(index: int, res: RepoResult) -> None:
        results[index] = res
        if on_done:
            on_done(res)

    if jobs == 1 or len(paths) <= 1:
        for index, path in enumerate(paths):
            if on_start:
                on_start(path)
            finish(index, update_repo(os.path.abspath(path), options, shown=path))
        return [results[i] for i in range(len(paths))]

    _run_pool(paths, options, min(jobs, len(paths)), on_start, finish)
    return [results[i] for i in range(len(paths))]


@contextlib.contextmanager
def _deferred_ctrl_c() -> Iterator[Callable[[], bool]]:
    """Turn the first Ctrl-C into a flag (read with the yielded function); a second one raises.

    A KeyboardInterrupt at a random point of the parent (in the middle of printing a line, or
    of handing out results) would lose the results of the repositories still in progress; the
    flag lets the parent stop starting new ones, collect those, and then stop.
    """
    import signal
    import threading

    hits: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False  # signals only reach the main thread anyway
        return

    def handler(signum: int, frame: object) -> None:
        hits.append(signum)
        if len(hits) > 1:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(hits)
    finally:
        signal.signal(signal.SIGINT, previous)


def _run_pool(
    paths: Sequence[str],
    options: UpdateOptions,
    jobs: int,
    on_start: Callable[[str], None] | None,
    finish: Callable[[int, RepoResult], None],
) -> None:
    """Run ``update_repo`` over ``paths`` in ``jobs`` worker processes, ``finish`` each result.

    Ctrl-C starts no more repositories, lets the workers finish (and reports) the ones they
    are on, then raises KeyboardInterrupt: no repository is ever left half-updated.
    """
    from concurrent.futures.process import BrokenProcessPool

    pending = list(enumerate(paths))
    pending.reverse()
    pool = _pool(jobs)
    running: dict[Future[RepoResult], int] = {}
    try:
        with _deferred_ctrl_c() as interrupted:
            while (pending and not interrupted()) or running:
                # Submit only as many as there are workers, so "started" means started.
                while pending and not interrupted() and len(running) < jobs:
                    index, path = pending.pop()
                    if on_start:
                        on_start(path)
                    full = os.path.abspath(path)
                    try:
                        running[pool.submit(update_repo, full, options, shown=path)] = index
                    except BrokenProcessPool:  # a worker died: the others go on in a new pool
                        pool.shutdown(wait=False, cancel_futures=True)
                        pool = _pool(jobs)
                        running[pool.submit(update_repo, full, options, shown=path)] = index
                # A timeout, so that a Ctrl-C is noticed while the workers are busy.
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    index = running.pop(future)
                    try:
                        res = future.result()
                    except BrokenProcessPool:
                        res = RepoResult(
                            paths[index], FAILED, reason="the worker process updating it died"
                        )
                    finish(index, res)
            if interrupted():
                raise KeyboardInterrupt
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
