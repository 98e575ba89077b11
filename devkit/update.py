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
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devkit import compose, copier_api, git, template
from devkit.errors import DevkitError, one_line
from devkit.fsutil import write_atomic
from devkit.labels import PURPOSE_LABEL
from devkit.template import is_local_path, newest_version

ANSWERS_FILE = ".copier-answers.yml"

#: Statuses a repository can end in.
UPDATED = "updated"
UP_TO_DATE = "up to date"
WOULD_UPDATE = "would update"
CONFLICTS = "conflicts"
REFUSED = "refused"
FAILED = "failed"
#: Statuses that count as success for the exit code.
OK_STATUSES = frozenset({UPDATED, UP_TO_DATE, WOULD_UPDATE})


_CONFLICT_START = re.compile(rb"^<{7}( |$)", re.MULTILINE)


@dataclass(frozen=True)
class UpdateOptions:
    """What every repository's update is asked to do (picklable: it goes to worker processes)."""

    data: Mapping[str, Any] = field(default_factory=dict)
    pretend: bool = False
    branch: str | None = None
    commit: bool = False
    #: This machine's bundled-template mirror (``bundled_source().src_path``), if known.
    bundled_mirror: str | None = None
    #: This devkit's own bundled template version (``bundled_source().vcs_ref``): what
    #: projects from the bundled template are updated to, even if a newer devkit once added
    #: a newer tag to the shared mirror. None: the mirror's newest tag.
    bundled_tag: str | None = None
    context_lines: int = 3


@dataclass
class Conflict:
    """A file left with inline conflict markers (or a ``.rej`` file) by the 3-way merge."""

    file: str
    markers: int


@dataclass
class VolumeChange:
    """A named volume the new template version no longer uses under the same name.

    ``kind`` is ``renamed`` (same purpose, new name: its data can be copied over) or
    ``dropped`` (no successor: its data stays in the old volume until removed by hand).
    """

    kind: str
    old: str
    new: str | None = None
    purpose: str | None = None
    #: Outcome of ``--migrate-volumes`` for a rename: None = not attempted.
    migrated: str | None = None
    #: The new volume's labels in the new compose file (a migration creates it with them).
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class RepoResult:
    """What happened to one repository."""

    path: str
    status: str
    reason: str | None = None
    old_version: str | None = None
    new_version: str | None = None
    template: str | None = None
    changes: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    volumes: list[VolumeChange] = field(default_factory=list)
    branch: str | None = None
    commit: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the repository ended updated (or would be) or already up to date."""
        return self.status in OK_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return asdict(self)


class _Refused(Exception):
    """Internal: the repository is left alone, for the reason given."""


#: Why a project is "up to date" when it was made with a newer devkit (a colleague's, another
#: image's): nothing this devkit can bring, and a postCreateCommand hook must not fail over it.
_NEWER_DEVKIT = "made with a newer devkit's template; this devkit's is {}"


class _UpToDate(Exception):
    """Internal: nothing to do (an optional message says why)."""


# --------------------------------------------------------------------------- git helpers


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """git in a user's repository: their identity and config, no optional locks, no prompt."""
    return git.run(cwd, *args, check=check)


def valid_branch_name(name: str) -> bool:
    """Whether git accepts ``name`` as a new branch's name (``git check-ref-format --branch``)."""
    if name.startswith("-"):
        return False
    return _git(Path("."), "check-ref-format", "--branch", name, check=False).returncode == 0


# --------------------------------------------------------------------------- versions


def _template_tags(src: str) -> tuple[str, ...]:
    """The template's tags (read once per process); an unreadable template is refused."""
    try:
        return template.tags(src)
    except DevkitError as exc:
        raise _Refused(exc.message) from None


# --------------------------------------------------------------------------- compose volumes


def _compose_volumes(text: str | None) -> dict[str, dict[str, Any]]:
    """Top-level named volumes of a compose file: key -> {name, purpose}; {} if unreadable."""
    if not text:
        return {}
    try:
        volumes = compose.named_volumes(compose.parse(text, "compose file"), "compose file")
    except DevkitError:
        return {}  # not a compose file we can read: no volume changes to report
    return {
        v.key: {
            "name": v.name or v.key,
            "purpose": v.labels.get(PURPOSE_LABEL) or v.key,
            "labels": v.labels,
        }
        for v in volumes
    }


def volume_changes(before: str | None, after: str | None) -> list[VolumeChange]:
    """Volumes of the old compose file that the new one renames or drops.

    A volume is *renamed* when a new volume has the same purpose label (or the same compose
    key) under another name; otherwise it is *dropped*. New volumes need no migration.
    """
    old = _compose_volumes(before)
    if not old or (after and _CONFLICT_START.search(after.encode())):
        # With conflict markers the new file cannot be read; the conflict is reported instead.
        return []
    new = _compose_volumes(after)
    old_names = {v["name"] for v in old.values()}
    new_names = {v["name"] for v in new.values()}
    changes: list[VolumeChange] = []
    for key, spec in old.items():
        if spec["name"] in new_names:
            continue
        successor = next((v for v in new.values() if v["purpose"] == spec["purpose"]), new.get(key))
        if successor is not None and successor["name"] not in old_names:
            changes.append(
                VolumeChange(
                    "renamed",
                    spec["name"],
                    successor["name"],
                    spec["purpose"],
                    labels=successor["labels"],
                )
            )
        else:
            changes.append(VolumeChange("dropped", spec["name"], None, spec["purpose"]))
    return changes


def _read_compose(root: Path, rev: str | None) -> tuple[str | None, str | None]:
    """(path, text) of the project's compose file at ``rev`` (None = the work tree)."""
    for rel in compose.PATHS:
        if rev is None:
            path = root / rel
            if path.is_file():
                return rel, path.read_text(encoding="utf-8", errors="replace")
        else:
            shown = _git(root, "show", f"{rev}:./{rel}", check=False)
            if shown.returncode == 0:
                return rel, shown.stdout
    return None, None


# --------------------------------------------------------------------------- one repository


def _same_path(a: str, b: str) -> bool:
    return Path(a).expanduser().absolute() == Path(b).expanduser().absolute()


def _is_bundled_src(src: str, mirror: str | None) -> bool:
    """Whether an answers file's ``_src_path`` points at a bundled-template mirror."""
    if not mirror or not is_local_path(src):
        return False
    return _same_path(src, mirror) or Path(src).parts[-2:] == ("templates", "bundled")


def _ref_in(src: str, ref: str) -> bool:
    if ref in _template_tags(src):
        return True
    # `_commit` can also be a `git describe` string or a hash; let git decide for local repos.
    if is_local_path(src) and Path(src).expanduser().is_dir():
        target = re.sub(r"-\d+-g([0-9a-f]+)$", "", ref)
        probe = _git(
            Path(src).expanduser(),
            "rev-parse",
            "-q",
            "--verify",
            f"{target}^{{commit}}",
            check=False,
        )
        return probe.returncode == 0
    return True  # a remote template: Copier will say if the ref is missing


def _target_version(source: str, options: UpdateOptions) -> str | None:
    """The version to update to: this devkit's for the bundled template, else the newest tag."""
    mirror = options.bundled_mirror
    if options.bundled_tag and mirror and _same_path(source, mirror):
        return options.bundled_tag
    return template.newest(_template_tags(source))


def _choose_source(
    project: Path, recorded: str, old_ref: str, options: UpdateOptions
) -> tuple[str, bool]:
    """The template source to update from, and whether it replaces the recorded one."""
    mirror = options.bundled_mirror
    if _is_bundled_src(recorded, mirror):
        assert mirror is not None
        if _ref_in(mirror, old_ref):
            return mirror, not _same_path(recorded, mirror)
        if Path(recorded).expanduser().is_dir() and _ref_in(recorded, old_ref):
            # Another mirror on disk still has the old version: teach this machine's mirror
            # (it has the newest version) and merge between the two there.
            from devkit.template import import_version

            try:
                import_version(recorded, old_ref, Path(mirror))
            except DevkitError as exc:
                raise _Refused(f"cannot copy version {old_ref} from {recorded}: {exc}") from None
            template.tags.cache_clear()
            return mirror, not _same_path(recorded, mirror)
        newest = _target_version(mirror, options)
        old_key = template.version_key(old_ref)
        new_key = template.version_key(newest) if newest else None
        if old_key is not None and new_key is not None and old_key > new_key:
            raise _UpToDate(_NEWER_DEVKIT.format(newest))
        raise _Refused(
            f"bundled template version {old_ref} is unknown to this devkit's template mirror; "
            f"fetch it from a `devkit template export` made where it is known: "
            f"git -C {mirror} fetch EXPORT refs/tags/{old_ref}:refs/tags/{old_ref}"
        )
    if is_local_path(recorded) and not Path(recorded).expanduser().is_absolute():
        # Copier records a template path as it was typed; a relative one only makes sense
        # from the project's folder.
        beside = (project / recorded).resolve()
        if beside.is_dir() and _ref_in(str(beside), old_ref):
            return str(beside), True
    if is_local_path(recorded) and not Path(recorded).expanduser().exists():
        raise _Refused(f"template {recorded} (recorded in {ANSWERS_FILE}) does not exist here")
    if not _ref_in(recorded, old_ref):
        raise _Refused(f"template {recorded} has no version {old_ref} to merge from")
    return recorded, False


def _read_answers(project: Path) -> dict[str, Any]:
    path = project / ANSWERS_FILE
    if not path.is_file():
        raise _Refused(f"not made from a Copier template (no {ANSWERS_FILE})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _Refused(f"{ANSWERS_FILE} cannot be read: {one_line(exc)}") from None
    if not isinstance(data, dict) or not data.get("_src_path"):
        raise _Refused(f"{ANSWERS_FILE} records no template (_src_path)")
    if not data.get("_commit"):
        raise _Refused(f"{ANSWERS_FILE} records no template version (_commit)")
    return data


def _keep_recorded_src(project: Path, recorded: str, used: str) -> None:
    """Put the recorded ``_src_path`` back after an update from this machine's mirror."""
    path = project / ANSWERS_FILE
    text = path.read_text(encoding="utf-8")
    line = re.compile(r"^_src_path: .*$", re.MULTILINE)
    match = line.search(text)
    if not match or yaml.safe_load(match.group(0)).get("_src_path") != used:
        return
    replacement = yaml.safe_dump({"_src_path": recorded}, width=10_000).strip()
    write_atomic(path, text[: match.start()] + replacement + text[match.end() :])


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


def migrate_volumes(
    results: Iterable[RepoResult],
    copy: Callable[[str, str, dict[str, str]], str],
) -> None:
    """Copy each renamed volume's data into its new name with ``copy(old, new, labels)``.

    ``labels`` are the new volume's labels from the new compose file.

    ``copy`` returns a short outcome ("copied", "nothing to copy", ...) and raises
    :class:`DevkitError` on failure; the outcome (or error) is recorded on the change. Nothing
    is ever deleted; dropped volumes are left as they are.
    """
    for res in results:
        if res.status not in (UPDATED, CONFLICTS):
            continue
        for change in res.volumes:
            if change.kind != "renamed" or change.new is None:
                continue
            try:
                change.migrated = copy(change.old, change.new, change.labels)
            except DevkitError as exc:
                change.migrated = f"failed: {exc}"


def summary(results: Iterable[RepoResult]) -> dict[str, int]:
    """How many repositories ended in each status."""
    counts: dict[str, int] = {}
    for res in results:
        counts[res.status] = counts.get(res.status, 0) + 1
    return counts


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
