"""Rendering a project from the Copier template, all or nothing.

Copier renders into a staging folder next to the target (same file system, so moving is a
rename); only a complete, successful render is moved into place. An error or Ctrl-C while
rendering leaves the target exactly as it was.

Two policies for existing repositories live here: the template's starter manifests
(``requirements.txt``, ``package.json``…) are never written into a repository that has
dependency manifests of its own for that stack; and with ``force``, an existing dev container (the
``.devcontainer/`` folder, a root ``.devcontainer.json``) and every file the render replaces
are first moved into a backup folder beside them, so nothing old is lost.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from devkit import copier_api
from devkit.answer_files import read_ca_file
from devkit.errors import DevkitError
from devkit.template import TemplateSource

#: Where the ``ca_certificates`` file's certificates go in the rendered project.
CA_DEST = Path(".devcontainer") / "certs" / "extra-ca.crt"

#: An existing dev container: the folder, and the root file the Dev Containers tools also read.
DEVCONTAINER_PATHS = (".devcontainer", ".devcontainer.json")

#: The backup folder ``force`` moves old files into (a timestamp follows).
BACKUP_PREFIX = ".devcontainer.devkit-backup-"


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote: the target and every file, relative to it, sorted.

    ``overwritten`` are files that existed and were replaced; ``kept`` are the template's
    starter files (``_skip_if_exists``) that already existed and were left alone;
    ``skipped`` are starter files not written because the repository has dependency
    manifests of its own. ``backup`` is the folder (relative to the target) the old dev
    container and the replaced files were moved into, ``moved`` what went there, and
    ``carried`` the old scripts copied back into the new ``.devcontainer/``.
    """

    target: Path
    files: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    version: str | None = None
    skipped: list[str] = field(default_factory=list)
    backup: str | None = None
    moved: list[str] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)


def _relative_files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()
    )


def existing_devcontainer(target: Path) -> list[str]:
    """The files of an existing dev container in ``target`` (``.devcontainer/`` and a root
    ``.devcontainer.json``), relative to it; an empty folder is listed as itself."""
    found: list[str] = []
    folder = target / ".devcontainer"
    if folder.is_dir() and not folder.is_symlink():
        found += [f".devcontainer/{f}" for f in _relative_files(folder)] or [".devcontainer/"]
    elif folder.exists() or folder.is_symlink():
        found.append(".devcontainer")
    if (target / ".devcontainer.json").exists():
        found.append(".devcontainer.json")
    return found


def check_target(target: Path, *, force: bool) -> None:
    """Refuse early what :func:`render` would refuse anyway, before a wizard asks anything.

    A target that is a file, or (without ``force``) one that already holds a dev container:
    its files are listed. :func:`render` checks again, naming exactly the files the chosen
    answers would overwrite.
    """
    target = target.absolute()
    if target.exists() and not target.is_dir():
        raise DevkitError(f"{target} exists and is not a folder")
    present = existing_devcontainer(target) if target.is_dir() else []
    if not force and present:
        raise DevkitError(
            f"{target} already holds a dev container ({', '.join(present)})",
            hint=f"pass --force to replace it; the old files move to {BACKUP_PREFIX}<time>/",
        )


def render(
    answers: Mapping[str, Any],
    target: Path,
    *,
    source: TemplateSource,
    force: bool = False,
    trusted: bool = False,
    keep: Sequence[str] = (),
) -> RenderResult:
    """Render ``answers`` with the template ``source`` into ``target``.

    ``answers`` must already be validated (:func:`devkit.answers.check`). A target that holds a
    dev container is refused unless ``force``; the error lists what would be overwritten.
    With ``force``, the old dev container and every file the render replaces are moved into
    a backup folder first, and the files in ``keep`` (old ``.devcontainer/`` scripts that
    carried-over settings run) are copied back unless the render writes the same path.
    ``trusted`` lets Copier run the template's tasks and extensions (the bundled template is
    trusted; someone else's is not unless Copier's own settings trust it).
    """
    target = target.absolute()
    if target.exists() and not target.is_dir():
        raise DevkitError(f"{target} exists and is not a folder")
    ca_text = (
        read_ca_file(Path(answers["ca_certificates"])) if answers.get("ca_certificates") else None
    )
    parent = target.parent
    # The outermost folder this run creates, removed again if the run does not succeed.
    created = next((p for p in reversed([parent, *parent.parents]) if not p.exists()), None)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DevkitError(f"cannot create {parent}: {exc.strerror}") from None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.devkit-", dir=parent))
    except OSError as exc:
        _remove(created)
        raise DevkitError(f"cannot write in {parent}: {exc.strerror}") from None
    done = False
    try:
        out = staging / "project"
        skip_if_exists = copier_api.copy(
            _recorded_src(source.src_path),
            out,
            data=answers,
            vcs_ref=source.vcs_ref,
            trusted=trusted,
            shown=source.src_path,
        )
        if ca_text is not None:
            (out / CA_DEST).parent.mkdir(parents=True, exist_ok=True)
            (out / CA_DEST).write_text(ca_text, encoding="utf-8")
        existing = {
            f for f in _relative_files(out) if (target / f).exists() or (target / f).is_symlink()
        }
        # Starter files the template only provides when missing (requirements.txt, package.json,
        # ...): the project's own copy always wins, as with `copier copy` into the folder, and
        # a repository with dependency manifests of that stack gets none (issue 10: an empty
        # requirements.txt beside a real pyproject.toml hid the real manifests).
        starters = {f for f in _relative_files(out) if skip_if_exists(f)}
        kept = sorted(starters & existing)
        skipped = sorted(f for f in starters - existing if _has_own_manifests(target, f))
        for rel in kept + skipped:
            (out / rel).unlink()
        files = _relative_files(out)
        overwritten = sorted(existing - set(kept))
        old_devcontainer = existing_devcontainer(target) if target.is_dir() else []
        blocked = [
            f
            for f in files
            if (target / f).is_dir()
            and not (target / f).is_symlink()
            and not f.startswith(".devcontainer/")
        ]
        if blocked:
            raise DevkitError(
                f"cannot write {', '.join(blocked)} in {target}: "
                "a folder of that name is in the way"
            )
        if not force and old_devcontainer:
            listing = ", ".join(overwritten) if overwritten else "nothing (but it is in the way)"
            raise DevkitError(
                f"{target} already holds a dev container ({', '.join(old_devcontainer)}); "
                f"would overwrite: {listing}",
                hint=f"pass --force to replace it; the old files move to {BACKUP_PREFIX}<time>/",
            )
        if not force and overwritten:
            # No dev container yet, but e.g. a hand-written .dockerignore: never clobber silently.
            raise DevkitError(
                f"{target} already has files devkit would overwrite: {', '.join(overwritten)}",
                hint="pass --force to overwrite them (the old ones are kept in a backup folder)",
            )
        # What moves to the backup: the old dev container whole, and every other file replaced.
        to_move = [
            p for p in DEVCONTAINER_PATHS if (target / p).exists() or (target / p).is_symlink()
        ]
        to_move += [f for f in overwritten if not f.startswith(".devcontainer/")]
        backup = _backup_name(target) if to_move else None
        with _no_interrupts():
            if backup is not None:
                _move_to_backup(target, backup, to_move)
            _move_into_place(out, target, files)
            carried = _carry(target, backup, keep, files)
        done = True
        moved = sorted(f"{m}/" if (target / str(backup) / m).is_dir() else m for m in to_move)
        return RenderResult(
            target, files, overwritten, kept, source.version, skipped, backup, moved, carried
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not done:
            _remove(created)


def _has_own_manifests(target: Path, starter: str) -> bool:
    """Whether ``target`` already has dependency manifests of the stack ``starter`` is for
    (then that starter is not written; a stack the repository does not use yet gets one)."""
    from devkit.detect import own_manifests, stack_of

    stack = stack_of(starter)
    return target.is_dir() and stack is not None and bool(own_manifests(target, stack))


def _backup_name(target: Path) -> str:
    """A backup folder name in ``target`` that does not exist yet."""
    name = BACKUP_PREFIX + time.strftime("%Y%m%d-%H%M%S")
    candidate, n = name, 1
    while (target / candidate).exists():
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _move_to_backup(target: Path, backup: str, paths: list[str]) -> None:
    """Rename ``paths`` (relative to ``target``) into ``target/backup``, keeping their layout.

    Renames on one file system: nothing is copied. A failure moves back what was moved.
    """
    done: list[tuple[Path, Path]] = []
    try:
        (target / backup).mkdir()
        for rel in paths:
            dest = target / backup / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.rename(target / rel, dest)
            done.append((target / rel, dest))
    except OSError as exc:
        for original, dest in reversed(done):
            with contextlib.suppress(OSError):
                os.rename(dest, original)
        shutil.rmtree(target / backup, ignore_errors=True)
        raise DevkitError(
            f"cannot move the old files into {target / backup}: {exc.strerror or exc}"
        ) from None


def _carry(target: Path, backup: str | None, keep: Sequence[str], written: list[str]) -> list[str]:
    """Copy the old scripts in ``keep`` from the backup into place, unless rendered anew."""
    carried = []
    for rel in keep:
        source = target / backup / rel if backup else None
        if rel in written or source is None or not source.is_file():
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
        carried.append(rel)
    return carried


def _recorded_src(src: str) -> str:
    """Record an absolute path in .copier-answers.yml, so `copier update` works from anywhere."""
    if "://" not in src and Path(src).expanduser().exists():
        return str(Path(src).expanduser().resolve())
    return src


def _remove(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _move_into_place(out: Path, target: Path, files: list[str]) -> None:
    """Rename the finished render into ``target`` (one rename when the target is new)."""
    if not target.exists():
        os.rename(out, target)
        return
    for rel in files:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(out / rel, dest)


@contextmanager
def _no_interrupts() -> Iterator[None]:
    """Hold Ctrl-C back during the few renames that must not be split, then re-raise it."""
    try:
        previous = signal.getsignal(signal.SIGINT)
        received: list[int] = []

        def _defer(signum: int, frame: FrameType | None) -> None:
            received.append(signum)

        signal.signal(signal.SIGINT, _defer)
    except ValueError:  # not the main thread: signals cannot be touched, nothing to defer
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt
