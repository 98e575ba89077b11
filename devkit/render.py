"""Rendering a project from the Copier template, all or nothing.

Copier renders into a staging folder next to the target (same file system, so moving is a
rename); only a complete, successful render is moved into place. An error or Ctrl-C while
rendering leaves the target exactly as it was.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import signal
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

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
        skip_if_exists = _copier_copy(answers, out, source=source, trusted=trusted)
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


def _copier_copy(
    answers: Mapping[str, Any], dst: Path, *, source: TemplateSource, trusted: bool
) -> Callable[[str], bool]:
    """Run Copier's Python API non-interactively; translate its errors into DevkitError.

    Returns a predicate telling which rendered paths are the template's ``_skip_if_exists``.
    """
    import copier
    from copier import errors as copier_errors

    src = source.src_path
    if "://" not in src and Path(src).expanduser().exists():
        # Record an absolute path in .copier-answers.yml so `copier update` works from anywhere.
        src = str(Path(src).expanduser().resolve())
    try:
        with warnings.catch_warnings():
            # Copier warns about dirty/shallow sources and the like; they are not the user's
            # business when rendering a known version.
            warnings.simplefilter("ignore")
            worker = copier.run_copy(
                src,
                dst,
                data=dict(answers),
                vcs_ref=source.vcs_ref,
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=trusted,
                cleanup_on_error=True,
            )
        return _skip_matcher(worker)
    except copier_errors.UnsafeTemplateError as exc:
        raise DevkitError(
            f"the template {source.src_path} uses tasks, migrations or extensions: {exc}",
            hint="trust it in Copier's settings.yml ('trust:' list) if you know it is safe",
        ) from None
    except copier_errors.CopierAnswersInterrupt:
        raise KeyboardInterrupt from None
    except copier_errors.CopierError as exc:
        raise DevkitError(f"template {source.src_path}: {_one_line(exc)}") from None
    except (ValueError, OSError, subprocess.SubprocessError) as exc:
        # Copier reports a missing template folder, an unknown git ref or a failed clone as
        # plain ValueError/OSError/subprocess errors.
        raise DevkitError(f"cannot render template {source.src_path}: {_one_line(exc)}") from None
    except Exception as exc:
        if type(exc).__module__.startswith(("plumbum", "jinja2", "pydantic")):
            raise DevkitError(
                f"cannot render template {source.src_path}: {_one_line(exc)}"
            ) from None
        raise


def _skip_matcher(worker: Any) -> Callable[[str], bool]:
    """The template's ``_skip_if_exists`` patterns as a predicate on relative paths."""
    match = getattr(worker, "match_skip", None)
    if callable(match):
        return lambda rel: bool(match(Path(rel)))
    # Older/newer Copier without the matcher: plain glob patterns from the template config.
    patterns = list(getattr(getattr(worker, "template", None), "skip_if_exists", []) or [])
    return lambda rel: any(
        fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(Path(rel).name, p) for p in patterns
    )


def _one_line(exc: BaseException) -> str:
    stderr = getattr(exc, "stderr", None)
    if isinstance(stderr, bytes):
        stderr = stderr.decode(errors="replace")
    if isinstance(stderr, str) and stderr.strip():
        # A failed git command (plumbum's ProcessExecutionError, CalledProcessError): git's
        # own first complaint is what the user can act on, not the whole command dump.
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
        argv = getattr(exc, "argv", None) or getattr(exc, "cmd", None)
        what = ""
        if isinstance(argv, (list, tuple)) and len(argv) > 1:
            what = f"{Path(str(argv[0])).name} {argv[1]} failed: "
        return what + (fatal or lines)[0]
    text = " ".join(str(exc).split())
    return text if len(text) <= 400 else text[:397] + "..."
