"""Which Dockerfiles a run benches: :class:`Target` (Dockerfile, context, stage), how the
command line's paths resolve into targets (the default Dockerfile and its ``dev`` stage), and
the stable path each target's context is built from (:func:`context_alias`)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from devkit.dockerfile import parse_file
from devkit.errors import DevkitError, UsageError


@dataclass
class Target:
    """A Dockerfile to bench, with its build context and optional target stage."""

    name: str
    dockerfile: Path
    context: Path
    stage: str | None = None


def default_dockerfile(context: Path) -> tuple[Path, str | None]:
    """The Dockerfile to bench in ``context`` and its target stage.

    ``.devcontainer/Dockerfile`` (target ``dev`` when it has such a stage, as the rendered
    compose file builds), else ``Dockerfile``.
    """
    for rel in (Path(".devcontainer") / "Dockerfile", Path("Dockerfile")):
        path = context / rel
        if path.is_file():
            return path, _stage_if_present(path, "dev")
    raise DevkitError(
        f"no Dockerfile in {context} (looked for .devcontainer/Dockerfile and Dockerfile; "
        "pass --dockerfile)"
    )


def _stage_if_present(dockerfile: Path, stage: str) -> str | None:
    try:
        found = parse_file(dockerfile).stage(stage)
    except DevkitError:
        return None  # not a Dockerfile after all: its build says what is wrong
    return stage if found is not None else None


def make_targets(
    context: Path,
    dockerfile: Path | None = None,
    compare: Path | None = None,
    stage: str | None = None,
    compare_stage: str | None = None,
) -> list[Target]:
    """Resolve the CLI's paths into :class:`Target` s (main first, then ``--compare``)."""
    context = context.resolve()
    if not context.is_dir():
        raise DevkitError(f"{context} is not a directory")
    if dockerfile is None:
        main_df, default_stage = default_dockerfile(context)
    else:
        main_df = _existing(dockerfile, context, "Dockerfile")
        default_stage = None
    targets = [Target(_name(main_df, context), main_df, context, stage or default_stage)]
    if compare is not None:
        other = _existing(compare, context, "--compare Dockerfile")
        name = _name(other, context)
        if name == targets[0].name or other == main_df:
            raise UsageError("--compare names the same Dockerfile as the one benched")
        targets.append(Target(name, other, context, compare_stage))
    return targets


def _existing(path: Path, context: Path, what: str) -> Path:
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, context / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise DevkitError(f"{what} {path} does not exist")


def _name(dockerfile: Path, context: Path) -> str:
    try:
        return str(dockerfile.relative_to(context))
    except ValueError:
        return str(dockerfile)


def context_alias(target: Target) -> Path:
    """A stable symlink to the build context, one per (context, Dockerfile).

    BuildKit sends only what changed since the last build *from the same context path*, and
    keeps one snapshot per path. Two Dockerfiles built alternately from one folder (``--compare``)
    would each find the other's snapshot and re-send their whole context every time; through
    their own alias each is diffed against its own previous build, as in real use. The alias
    lives in devkit's data folder and is reused by later runs (no cache piles up).
    """
    from devkit.resources import data_dir

    key = hashlib.sha256(f"{target.context}\0{target.dockerfile}".encode()).hexdigest()[:16]
    folder = data_dir() / "bench" / "contexts"
    alias = folder / f"{target.context.name or 'root'}-{key}"
    try:
        if alias.is_symlink() and os.readlink(alias) == str(target.context):
            return alias
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():  # aliases of projects that are gone
            if old.is_symlink() and not old.exists():
                old.unlink(missing_ok=True)
        tmp = folder / f".{alias.name}.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(target.context, tmp, target_is_directory=True)
        os.replace(tmp, alias)
    except OSError:
        return target.context  # no symlinks here: measure as is
    return alias
