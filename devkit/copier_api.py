"""Every use of Copier in devkit, and :func:`describe`, the one translator of its errors.

``devkit new`` renders with :func:`copy` (Copier's public ``run_copy``), ``devkit update``
merges with :func:`update`, and template locations are spelled out with :func:`repo_url`.
Nothing else in devkit imports Copier (``devkit.cli.new`` only preloads it in a thread).

The one place that relies on Copier internals is :func:`update` (Copier has no public way to
say where the *old* version comes from: ``src_path`` only names the new one, the old one is
always the answers file's ``_src_path``, which may be another machine's path):

* ``Worker`` (``copier._main`` since 9.5, ``copier.main`` before; ``copier`` re-exports it
  only with a deprecation warning);
* ``Subproject.template`` is a ``functools.cached_property`` built from ``_src_path`` and
  ``_commit``, whose clone is removed by a hook in ``Subproject._cleanup_hooks``: filling the
  cache first, with the same ``_commit`` from ``template``, makes Copier use that clone.

:func:`repo_url` uses ``get_repo`` (``copier._vcs`` since 9.5, ``copier.vcs`` before), and
:func:`copy` reads the rendered template's ``_skip_if_exists`` matcher from the worker.

Checked against copier 9.4 and 9.19; pyproject pins ``copier>=9.4,<10``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import subprocess
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from devkit import git
from devkit.errors import DevkitError, one_line

#: Copier's modules a fresh worker process should import ahead of its first update.
PRELOAD_MODULES = ("copier._main",)


def copy(
    src: str,
    dst: Path,
    *,
    data: Mapping[str, Any],
    vcs_ref: str | None,
    trusted: bool,
    shown: str,
) -> Callable[[str], bool]:
    """Render the template ``src`` at ``vcs_ref`` into ``dst`` with ``data``, asking nothing.

    ``trusted`` lets Copier run the template's tasks and extensions. Copier's errors become
    :class:`DevkitError` naming the template as ``shown``; its prompt being interrupted is
    a ``KeyboardInterrupt``. Returns a predicate telling which rendered paths are the
    template's ``_skip_if_exists`` ones.
    """
    import copier
    from copier import errors as copier_errors

    try:
        with warnings.catch_warnings():
            # Copier warns about dirty/shallow sources and the like; they are not the user's
            # business when rendering a known version.
            warnings.simplefilter("ignore")
            worker = copier.run_copy(
                src,
                dst,
                data=dict(data),
                vcs_ref=vcs_ref,
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=trusted,
                cleanup_on_error=True,
            )
        return _skip_matcher(worker)
    except copier_errors.UnsafeTemplateError as exc:
        raise DevkitError(
            f"the template {shown} uses tasks, migrations or extensions: {exc}",
            hint="trust it in Copier's settings.yml ('trust:' list) if you know it is safe",
        ) from None
    except copier_errors.CopierAnswersInterrupt:
        raise KeyboardInterrupt from None
    except copier_errors.CopierError as exc:
        raise DevkitError(f"template {shown}: {describe(exc)}") from None
    except (ValueError, OSError, subprocess.SubprocessError) as exc:
        # Copier reports a missing template folder, an unknown git ref or a failed clone as
        # plain ValueError/OSError/subprocess errors.
        raise DevkitError(f"cannot render template {shown}: {describe(exc)}") from None
    except Exception as exc:
        if type(exc).__module__.startswith(("plumbum", "jinja2", "pydantic")):
            raise DevkitError(f"cannot render template {shown}: {describe(exc)}") from None
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


def update(
    project: Path,
    *,
    template: str | None,
    vcs_ref: str,
    data: Mapping[str, Any],
    context_lines: int,
    trusted: bool,
) -> None:
    """``copier update`` of ``project`` (a clean git work tree) to ``vcs_ref``, asking nothing.

    With ``template``, both template versions come from it (it stands in for the recorded
    ``_src_path``, see the module docstring); without, from the answers file. Conflicts are
    left inline, with ``context_lines`` of context. Copier's output is swallowed. Only a
    ``trusted`` template may run tasks, migrations and Jinja extensions: any other is refused
    with :class:`DevkitError`, since nobody reviews them in a fleet run. Other failures are
    Copier's, plumbum's or git's own exceptions (:func:`describe` words them).
    """
    from copier.errors import UnsafeTemplateError

    try:
        from copier._main import Worker
        from copier._template import Template
    except ImportError:  # copier < 9.5
        from copier.main import Worker
        from copier.template import Template

    settings: dict[str, Any] = {
        "vcs_ref": vcs_ref,
        "data": dict(data),
        "defaults": True,
        "overwrite": True,
        "conflict": "inline",
        "context_lines": context_lines,
        "unsafe": trusted,
        "quiet": True,
    }
    sink = io.StringIO()
    try:
        with (
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            with Worker(dst_path=project, src_path=template, **settings) as worker:
                if template is not None:
                    sub = worker.subproject
                    old = Template(url=template, ref=sub.last_answers["_commit"])
                    sub.__dict__["template"] = old
                    sub._cleanup_hooks.append(old._cleanup)
                worker.run_update()
    except UnsafeTemplateError:
        raise DevkitError(
            "the template uses tasks, migrations or Jinja extensions, which devkit does not run "
            "unattended; update this repository with `copier update --trust` after reviewing them"
        ) from None


def repo_url(src: str) -> str:
    """A template location as git understands it: Copier's spellings (``gh:org/repo``,
    ``git+https://…``, ``~/path``) expanded; anything else as it was."""
    try:
        from copier._vcs import get_repo
    except ImportError:  # copier < 9.5
        from copier.vcs import get_repo

    return get_repo(src) or src


def describe(exc: BaseException) -> str:
    """One line a user can act on, whatever Copier, plumbum, git or devkit itself threw.

    A failed command (plumbum's ``ProcessExecutionError``, ``CalledProcessError``) is named
    with its complaint (for git: the subcommand and git's own ``fatal:`` line), not the whole
    command dump; anything else is its message on one line, or its type's name.
    """
    stderr = getattr(exc, "stderr", None)
    if isinstance(stderr, bytes):
        stderr = stderr.decode(errors="replace")
    if isinstance(stderr, str) and stderr.strip():
        argv = getattr(exc, "argv", None) or getattr(exc, "cmd", None)
        if isinstance(argv, str):
            argv = argv.split()
        name = Path(str(argv[0])).name if isinstance(argv, (list, tuple)) and argv else ""
        if name == "git":
            assert isinstance(argv, (list, tuple))
            return one_line(f"git {git.subcommand(argv[1:])} failed: {git.complaint(stderr)}")
        first = next(line for line in stderr.splitlines() if line.strip())
        return one_line(f"{name} failed: {first}" if name else first)
    return one_line(str(exc)) or type(exc).__name__
