"""One repository's update: checks, Copier's 3-way merge, and what it changed, or nothing at all.

:func:`update_repo` never raises: it returns a :class:`~devkit.update.result.RepoResult` saying
what happened (updated, up to date, conflicts, refused with a reason, failed with a one-line
error). Safety rules, checked before anything is written:

* not a folder, not in a git repository, no ``.copier-answers.yml``, uncommitted or untracked
  changes, the template or its recorded version cannot be found → refused, nothing touched
  (status checks use ``git --no-optional-locks`` so not even the index is rewritten);
* already at the newest version → up to date, nothing touched;
* ``pretend`` runs the real update in a throw-away clone of the repository and reports what
  would change there, so the repository itself is never written;
* when Copier fails half-way the work tree is put back to ``HEAD`` (it was clean before).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from devkit import copier_api, git, versions
from devkit.update.result import (
    CONFLICT_START,
    CONFLICTS,
    FAILED,
    NEWER_DEVKIT,
    REFUSED,
    UP_TO_DATE,
    UPDATED,
    WOULD_UPDATE,
    Conflict,
    Refused,
    RepoResult,
    UpdateOptions,
    UpToDate,
)
from devkit.update.source import (
    choose_source,
    keep_recorded_src,
    read_answers,
    same_path,
    target_version,
)
from devkit.update.volume_migration import read_compose, volume_changes


def valid_branch_name(name: str) -> bool:
    """Whether git accepts ``name`` as a new branch's name (``git check-ref-format --branch``)."""
    if name.startswith("-"):
        return False
    return git.run(Path("."), "check-ref-format", "--branch", name, check=False).returncode == 0


def _changed_files(top: Path) -> list[str]:
    """`git status --porcelain` of the work tree, as "M path" lines."""
    out = git.run(top, "status", "--porcelain", "--untracked-files=all").stdout
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
            count = len(CONFLICT_START.findall(path.read_bytes()))
        except OSError:
            continue
        if count:
            found.append(Conflict(rel, count))
    return found


def _current_ref(top: Path) -> str:
    branch = git.run(top, "symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
    return branch or git.run(top, "rev-parse", "HEAD").stdout.strip()


def _restore(top: Path, previous: str | None, branch: str | None) -> None:
    """Undo a failed update: the work tree was clean at HEAD before it started."""
    git.run(top, "reset", "--hard", "-q", check=False)
    git.run(top, "clean", "-fdq", check=False)
    if branch and previous:
        git.run(top, "checkout", "-q", previous, check=False)
        git.run(top, "branch", "-q", "-D", branch, check=False)


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
    except Refused as exc:
        result.status, result.reason = REFUSED, str(exc)
    except UpToDate as exc:
        result.status, result.reason = UP_TO_DATE, str(exc) or None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # one broken repository never stops the others
        result.status, result.reason = FAILED, copier_api.describe(exc)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _update(given: Path, options: UpdateOptions, result: RepoResult) -> None:
    if not given.exists():
        raise Refused("no such folder")
    if not given.is_dir():
        raise Refused("not a folder")
    project = given.resolve()
    probe = git.run(project, "rev-parse", "--show-toplevel", check=False)
    if probe.returncode != 0:
        raise Refused("not a git repository")
    top = Path(probe.stdout.strip())
    answers = read_answers(project)
    recorded, old_ref = str(answers["_src_path"]), str(answers["_commit"])
    result.old_version = old_ref
    result.template = recorded
    dirty = git.run(top, "status", "--porcelain", "--untracked-files=normal").stdout.splitlines()
    if dirty:
        raise Refused(f"uncommitted changes ({len(dirty)} path(s)); commit or stash them first")
    if git.run(top, "rev-parse", "-q", "--verify", "HEAD", check=False).returncode != 0:
        raise Refused("the repository has no commit yet")

    source, remapped = choose_source(project, recorded, old_ref, options)
    newest = target_version(source, options)
    if newest is None:
        raise Refused(f"template {source} has no version tags (like v1.0.0)")
    result.new_version = newest
    old_key, new_key = versions.version_key(old_ref), versions.version_key(newest)
    if old_key is not None and new_key is not None and old_key >= new_key:
        mirror = options.bundled_mirror
        newer_devkit = old_key > new_key and mirror is not None and same_path(source, mirror)
        raise UpToDate(NEWER_DEVKIT.format(newest) if newer_devkit else "")
    if (
        options.branch
        and git.run(
            top, "rev-parse", "-q", "--verify", f"refs/heads/{options.branch}", check=False
        ).returncode
        == 0
    ):
        raise Refused(f"branch {options.branch} already exists")

    if options.pretend:
        _pretend(top, project, source, remapped, options, result)
        return

    previous = _current_ref(top)
    # Everything that writes is inside the try, down to switching back to the previous
    # branch: a failure or Ctrl-C at any point leaves the repository exactly as it was.
    try:
        if options.branch:
            git.run(top, "checkout", "-q", "-b", options.branch)
        _merge(top, project, source, remapped, options, result)
        if options.commit or options.branch:
            _commit(top, old_ref, newest, result)
        if options.branch:
            git.run(top, "checkout", "-q", previous)
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
    git.run(top, "add", "--all")
    # --no-verify: commit hooks (formatters, linters) of fifty repositories are not ours to run
    # in an unattended fleet update; the branch is for review anyway.
    git.run(top, "commit", "-q", "--no-verify", "-m", message)
    result.commit = git.run(top, "rev-parse", "HEAD").stdout.strip()


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
        git.run(
            Path(tmp), "clone", "-q", "--no-local", "--depth=1", "--no-tags", str(top), str(clone)
        )
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
    _, before = read_compose(project, "HEAD")
    # The bundled template is trusted (as `devkit new` trusts it); any other template's tasks,
    # migrations and Jinja extensions are refused, since nobody reviews them in a fleet run.
    trusted = options.bundled_mirror is not None and same_path(source, options.bundled_mirror)
    copier_api.update(
        project,
        template=source if remapped else None,  # it stands in for the recorded _src_path
        vcs_ref=str(result.new_version),  # exactly the version reported, not Copier's newest
        data=options.data,
        context_lines=options.context_lines,
        trusted=trusted,
    )
    if remapped:
        keep_recorded_src(project, str(result.template), source)
    result.changes = _changed_files(top)
    result.conflicts = _conflicts(top, result.changes)
    _, after = read_compose(project, None)
    result.volumes = volume_changes(before, after)
