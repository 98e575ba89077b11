"""`devkit update`: bring many repositories to the newest template version with Copier.

Each repository goes through :func:`update_repo`, which never raises: it returns a
:class:`RepoResult` saying what happened (updated, up to date, conflicts, refused with a reason,
failed with a one-line error). :func:`update_many` runs it over a fleet with a bounded pool of
worker *processes* — Copier changes the working directory while it renders (plumbum's
``local.cwd``), which is process-wide state, so threads would trample on each other.

Safety rules, checked before anything is written:

* not a folder, not in a git repository, no ``.copier-answers.yml``, uncommitted or untracked
  changes, the template or its recorded version cannot be found → refused, nothing touched
  (status checks use ``git --no-optional-locks`` so not even the index is rewritten);
* already at the newest version → up to date, nothing touched;
* ``pretend`` runs the real update in a throw-away clone of the repository and reports what
  would change there, so the repository itself is never written;
* when Copier fails half-way the work tree is put back to ``HEAD`` (it was clean before).

Projects made from the bundled template record ``_src_path`` = the bundled mirror's path on the
machine that made them. That path may not exist here (another machine, another data folder), so
such sources are mapped to this machine's mirror (:func:`devkit.template.bundled_source`), and
the recorded ``_src_path`` is kept as it was so the answers file does not churn between machines.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from pathlib import Path

from devkit import copier_api, git, template
from devkit.errors import DevkitError
from devkit.template import newest_version
from devkit.update.result import (
    _CONFLICT_START,
    _NEWER_DEVKIT,
    CONFLICTS,
    FAILED,
    OK_STATUSES,
    REFUSED,
    UP_TO_DATE,
    UPDATED,
    WOULD_UPDATE,
    Conflict,
    RepoResult,
    UpdateOptions,
    VolumeChange,
    _Refused,
    _UpToDate,
    summary,
)
from devkit.update.source import (
    _choose_source,
    _keep_recorded_src,
    _read_answers,
    _same_path,
    _target_version,
)
from devkit.update.volume_migration import _read_compose, migrate_volumes, volume_changes

# --------------------------------------------------------------------------- git helpers


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """git in a user's repository: their identity and config, no optional locks, no prompt."""
    return git.run(cwd, *args, check=check)


def valid_branch_name(name: str) -> bool:
    """Whether git accepts ``name`` as a new branch's name (``git check-ref-format --branch``)."""
    if name.startswith("-"):
        return False
    return _git(Path("."), "check-ref-format", "--branch", name, check=False).returncode == 0


def _changed_files(top: Path) -> list[str]:
    """`git status --porcelain` of the work tree, as "M path" lines."""
    out = _git(top, "status", "--porcelain", "--untracked-files=all").stdout
    return [f"{line[:2].strip() or 'M'} {line[3:]}" for line in out.splitlines() if line]


def _conflicts(top: Path, changes: Iterable[str]) -> list[Conflict]:
    found: list[Conflict] = []
    for entry in changes:
        rel = entry.split(" ", 1)[1].split(" -> ")[-1].strip('"')
        path = top / rel
        if rel.endswith(".rej"):
            found.append(Conflict(rel, 1))
            continue
        if not path.is_file():
            continue
        try:
            count = len(_CONFLICT_START.findall(path.read_bytes()))
        except OSError:
            continue
        if count:
            found.append(Conflict(rel, count))
    return found


def _current_ref(top: Path) -> str:
    branch = _git(top, "symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
    return branch or _git(top, "rev-parse", "HEAD").stdout.strip()


def _restore(top: Path, previous: str | None, branch: str | None) -> None:
    """Undo a failed update: the work tree was clean at HEAD before it started."""
    _git(top, "reset", "--hard", "-q", check=False)
    _git(top, "clean", "-fdq", check=False)
    if branch and previous:
        _git(top, "checkout", "-q", previous, check=False)
        _git(top, "branch", "-q", "-D", branch, check=False)


def update_repo(
    path: str | Path, options: UpdateOptions, *, shown: str | None = None
) -> RepoResult:
    """Update one repository; never raises (every outcome is a :class:`RepoResult`).

    ``shown`` is how the path is reported (as the user typed it); ``path`` should be absolute
    when this runs in a worker process, whose working directory is not the caller's.
    """
    started = time.monotonic()
    result = RepoResult(path=shown or str(path), status=FAILED)
    try:
        _update(Path(path), options, result)
    except _Refused as exc:
        result.status, result.reason = REFUSED, str(exc)
    except _UpToDate as exc:
        result.status, result.reason = UP_TO_DATE, str(exc) or None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # one broken repository never stops the others
        result.status, result.reason = FAILED, copier_api.describe(exc)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _update(given: Path, options: UpdateOptions, result: RepoResult) -> None:
    if not given.exists():
        raise _Refused("no such folder")
    if not given.is_dir():
        raise _Refused("not a folder")
    project = given.resolve()
    probe = _git(project, "rev-parse", "--show-toplevel", check=False)
    if probe.returncode != 0:
        raise _Refused("not a git repository")
    top = Path(probe.stdout.strip())
    answers = _read_answers(project)
    recorded, old_ref = str(answers["_src_path"]), str(answers["_commit"])
    result.old_version = old_ref
    result.template = recorded
    dirty = _git(top, "status", "--porcelain", "--untracked-files=normal").stdout.splitlines()
    if dirty:
        raise _Refused(f"uncommitted changes ({len(dirty)} path(s)); commit or stash them first")
    if _git(top, "rev-parse", "-q", "--verify", "HEAD", check=False).returncode != 0:
        raise _Refused("the repository has no commit yet")

    source, remapped = _choose_source(project, recorded, old_ref, options)
    newest = _target_version(source, options)
    if newest is None:
        raise _Refused(f"template {source} has no version tags (like v1.0.0)")
    result.new_version = newest
    old_key, new_key = template.version_key(old_ref), template.version_key(newest)
    if old_key is not None and new_key is not None and old_key >= new_key:
        mirror = options.bundled_mirror
        newer_devkit = old_key > new_key and mirror is not None and _same_path(source, mirror)
        raise _UpToDate(_NEWER_DEVKIT.format(newest) if newer_devkit else "")
    if (
        options.branch
        and _git(
            top, "rev-parse", "-q", "--verify", f"refs/heads/{options.branch}", check=False
        ).returncode
        == 0
    ):
        raise _Refused(f"branch {options.branch} already exists")

    if options.pretend:
        _pretend(top, project, source, remapped, options, result)
        return

    previous = _current_ref(top)
    # Everything that writes is inside the try, down to switching back to the previous
    # branch: a failure or Ctrl-C at any point leaves the repository exactly as it was.
    try:
        if options.branch:
            _git(top, "checkout", "-q", "-b", options.branch)
        _merge(top, project, source, remapped, options, result)
        if options.commit or options.branch:
            _commit(top, old_ref, newest, result)
        if options.branch:
            _git(top, "checkout", "-q", previous)
            result.branch = options.branch
    except BaseException:
        _restore(top, previous, options.branch)
        raise
    result.status = CONFLICTS if result.conflicts else UPDATED


def _commit(top: Path, old: str, new: str, result: RepoResult) -> None:
    message = f"Update dev container template {old} -> {new}\n\nMade by `devkit update`."
    if result.conflicts:
        files = "\n".join(f"- {c.file} ({c.markers} conflict(s))" for c in result.conflicts)
        message += f"\n\nCONFLICTS to resolve (inline markers):\n{files}"
    _git(top, "add", "--all")
    # --no-verify: commit hooks (formatters, linters) of fifty repositories are not ours to run
    # in an unattended fleet update; the branch is for review anyway.
    _git(top, "commit", "-q", "--no-verify", "-m", message)
    result.commit = _git(top, "rev-parse", "HEAD").stdout.strip()


def _pretend(
    top: Path,
    project: Path,
    source: str,
    remapped: bool,
    options: UpdateOptions,
    result: RepoResult,
) -> None:
    """Run the update in a throw-away clone, so the repository itself is never written."""
    with tempfile.TemporaryDirectory(prefix="devkit-update-pretend.") as tmp:
        clone = Path(tmp) / "repo"
        # A shallow copy through git's transport, never --shared or hard links: git
        # "freshens" (re-times) objects it would write again, and those would be the
        # repository's own files.
        _git(Path(tmp), "clone", "-q", "--no-local", "--depth=1", "--no-tags", str(top), str(clone))
        _merge(clone, clone / project.relative_to(top), source, remapped, options, result)
    result.status = CONFLICTS if result.conflicts else WOULD_UPDATE


def _merge(
    top: Path,
    project: Path,
    source: str,
    remapped: bool,
    options: UpdateOptions,
    result: RepoResult,
) -> None:
    """Copier's update of ``project`` (in the work tree ``top``), and what it changed."""
    _, before = _read_compose(project, "HEAD")
    # The bundled template is trusted (as `devkit new` trusts it); any other template's tasks,
    # migrations and Jinja extensions are refused, since nobody reviews them in a fleet run.
    trusted = options.bundled_mirror is not None and _same_path(source, options.bundled_mirror)
    copier_api.update(
        project,
        template=source if remapped else None,  # it stands in for the recorded _src_path
        vcs_ref=str(result.new_version),  # exactly the version reported, not Copier's newest
        data=options.data,
        context_lines=options.context_lines,
        trusted=trusted,
    )
    if remapped:
        _keep_recorded_src(project, str(result.template), source)
    result.changes = _changed_files(top)
    result.conflicts = _conflicts(top, result.changes)
    _, after = _read_compose(project, None)
    result.volumes = volume_changes(before, after)


# --------------------------------------------------------------------------- a fleet


def read_repo_list(path: Path) -> list[str]:
    """Repository paths from a file: one per line, ``#`` comments and blank lines skipped."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
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
        context.set_forkserver_preload(["devkit.update", *copier_api.PRELOAD_MODULES])
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


__all__ = [
    "CONFLICTS",
    "FAILED",
    "OK_STATUSES",
    "REFUSED",
    "UPDATED",
    "UP_TO_DATE",
    "WOULD_UPDATE",
    "Conflict",
    "RepoResult",
    "UpdateOptions",
    "VolumeChange",
    "migrate_volumes",
    "newest_version",
    "read_repo_list",
    "summary",
    "update_many",
    "update_repo",
    "valid_branch_name",
    "volume_changes",
]
