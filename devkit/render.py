"""Rendering a project from the Copier template, all or nothing.

Copier renders into a staging folder next to the target (same file system, so moving is a
rename); only a complete, successful render is moved into place. An error or Ctrl-C while
rendering leaves the target exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from devkit import copier_api
from devkit.answers import read_ca_file
from devkit.errors import DevkitError
from devkit.template import TemplateSource

#: Where the ``ca_certificates`` file's certificates go in the rendered project.
CA_DEST = Path(".devcontainer") / "certs" / "extra-ca.crt"


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote: the target and every file, relative to it, sorted.

    ``overwritten`` are files that existed and were replaced; ``kept`` are the template's
    starter files (``_skip_if_exists``) that already existed and were left alone.
    """

    target: Path
    files: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    version: str | None = None


def _relative_files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()
    )


def check_target(target: Path, *, force: bool) -> None:
    """Refuse early what :func:`render` would refuse anyway, before a wizard asks anything.

    A target that is a file, or (without ``force``) one that already holds a ``.devcontainer/``
    folder: the files in it are listed. :func:`render` checks again, naming exactly the files
    the chosen answers would overwrite.
    """
    target = target.absolute()
    if target.exists() and not target.is_dir():
        raise DevkitError(f"{target} exists and is not a folder")
    folder = target / ".devcontainer"
    if not force and folder.exists():
        present = [f".devcontainer/{f}" for f in _relative_files(folder)] if folder.is_dir() else []
        raise DevkitError(
            f"{target} already holds a .devcontainer/ folder "
            f"({', '.join(present) if present else 'empty'})",
            hint="pass --force to overwrite the dev container files in it",
        )


def render(
    answers: Mapping[str, Any],
    target: Path,
    *,
    source: TemplateSource,
    force: bool = False,
    trusted: bool = False,
) -> RenderResult:
    """Render ``answers`` with the template ``source`` into ``target``.

    ``answers`` must already be validated (:func:`devkit.answers.check`). A target that holds a
    ``.devcontainer/`` folder is refused unless ``force``; the error lists what would be
    overwritten. ``trusted`` lets Copier run the template's tasks and extensions (the bundled
    template is trusted; someone else's is not unless Copier's own settings trust it).
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
        # ...): the project's own copy always wins, as with `copier copy` into the folder.
        kept = sorted(f for f in existing if skip_if_exists(f))
        for rel in kept:
            (out / rel).unlink()
        files = _relative_files(out)
        overwritten = sorted(existing - set(kept))
        blocked = [f for f in files if (target / f).is_dir() and not (target / f).is_symlink()]
        if blocked:
            raise DevkitError(
                f"cannot write {', '.join(blocked)} in {target}: "
                "a folder of that name is in the way"
            )
        if not force and (target / ".devcontainer").exists():
            listing = ", ".join(overwritten) if overwritten else "nothing (but it is in the way)"
            raise DevkitError(
                f"{target} already holds a .devcontainer/ folder; would overwrite: {listing}",
                hint="pass --force to overwrite those files",
            )
        if not force and overwritten:
            # No .devcontainer/ yet, but e.g. a hand-written .dockerignore: never clobber silently.
            raise DevkitError(
                f"{target} already has files devkit would overwrite: {', '.join(overwritten)}",
                hint="pass --force to overwrite them",
            )
        with _no_interrupts():
            _move_into_place(out, target, files)
        done = True
        return RenderResult(target, files, overwritten, kept, source.version)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not done:
            _remove(created)


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
