"""What a build of one target reads: its stages, base images and context files.

BuildKit builds only the stages the target depends on (its ``FROM`` chain, the stages named
by ``COPY --from`` and ``RUN --mount=…,from=``), and from the build context it transfers only
what those stages' instructions name:

* ``COPY``/``ADD`` sources without ``--from`` (wildcards allowed; a folder brings everything
  under it; ``--exclude`` leaves paths out). ``COPY <<EOF`` heredocs and ``ADD`` of a URL or
  git repository read nothing from the context (the heredoc is Dockerfile text; a URL is
  recorded as a remote input);
* ``RUN --mount=type=bind`` without ``from`` (``source`` defaults to the whole context).

``COPY --from=<image>`` and ``--mount=…,from=<image>`` name images, which count like base
images. Paths are matched against what the ``.dockerignore`` lets through
(:mod:`devkit.buildcontext`), so an ignored file never counts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from devkit.dockerfile import Dockerfile, Instruction, Stage, substitute
from devkit.errors import DevkitError

_REMOTE = re.compile(r"^(?:https?://|git@|git://|ssh://)", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    """One context path pattern an instruction reads (``"."``: the whole context)."""

    pattern: str
    line: int
    excludes: tuple[str, ...] = ()


@dataclass
class Reads:
    """What building one target reads, besides the Dockerfile text and the build args."""

    #: The stages built, in file order.
    stages: list[Stage] = field(default_factory=list)
    #: External images: ``FROM`` bases and ``--from`` images, after ``ARG`` substitution.
    images: list[str] = field(default_factory=list)
    #: Context path patterns the stages read.
    sources: list[Source] = field(default_factory=list)
    #: URLs and git repositories ``ADD`` fetches (their content is not hashed).
    remote: list[str] = field(default_factory=list)
    #: Names of every ``ARG`` the file declares (only those build args can matter).
    declared_args: set[str] = field(default_factory=set)


def reads(df: Dockerfile, target: str | None, build_args: dict[str, str]) -> Reads:
    """What building ``target`` (None: the final stage) of ``df`` reads.

    Raises :class:`DevkitError` when the target stage does not exist.
    """
    stage = df.stage(target) if target else df.final_stage
    if stage is None:
        names = ", ".join(s.label for s in df.stages)
        raise DevkitError(f"the Dockerfile has no stage {target!r} (stages: {names})")
    found = Reads(declared_args=_declared(df))
    needed: set[int] = set()
    _need(df, stage, build_args, needed)
    found.stages = [s for s in df.stages if s.index in needed]
    images: list[str] = []
    for each in found.stages:
        if each.parent is None and each.base.lower() != "scratch":
            images.append(each.base)
        variables = _variables(df, each, build_args)
        for ins in each.instructions:
            _read_instruction(df, each, ins, variables, found, images)
    found.images = sorted(set(images))
    return found


def _declared(df: Dockerfile) -> set[str]:
    return {
        name for ins in df.instructions if ins.keyword == "ARG" for name, _ in ins.assignments()
    }


def _need(df: Dockerfile, stage: Stage, build_args: dict[str, str], needed: set[int]) -> None:
    """Add ``stage`` and every stage it depends on to ``needed``."""
    if stage.index in needed:
        return
    needed.add(stage.index)
    if stage.parent is not None:
        _need(df, df.stages[stage.parent], build_args, needed)
    variables = _variables(df, stage, build_args)
    for ins in stage.instructions:
        for ref in _from_refs(ins, variables):
            other = _stage_ref(df, ref, stage)
            if other is not None:
                _need(df, other, build_args, needed)


def _from_refs(ins: Instruction, variables: dict[str, str | None]) -> list[str]:
    refs = []
    if ins.keyword in ("COPY", "ADD"):
        refs += [substitute(v, variables) for v in ins.flag("from")]
    if ins.keyword == "RUN":
        refs += [substitute(m["from"], variables) for m in ins.mounts() if m.get("from")]
    return refs


def _stage_ref(df: Dockerfile, ref: str, current: Stage) -> Stage | None:
    """The earlier stage ``ref`` names (by name or index), else None (an image)."""
    found = df.stage(ref)
    if found is not None and found.index < current.index:
        return found
    return None


def _variables(df: Dockerfile, stage: Stage, build_args: dict[str, str]) -> dict[str, str | None]:
    """The ``ARG``/``ENV`` values visible at the end of ``stage`` (and its parents), which
    BuildKit substitutes in ``COPY`` sources and ``--from`` values."""
    variables: dict[str, str | None] = {}
    for each in df.chain(stage):
        for ins in each.instructions:
            if ins.keyword == "ARG":
                for name, default in ins.assignments():
                    if name in build_args:
                        variables[name] = build_args[name]
                    elif default is not None:
                        variables[name] = substitute(default, variables)
                    else:
                        variables[name] = df.global_args.get(name)
            elif ins.keyword == "ENV":
                for name, value in ins.assignments():
                    variables[name] = substitute(value or "", variables)
    return variables


def _read_instruction(
    df: Dockerfile,
    stage: Stage,
    ins: Instruction,
    variables: dict[str, str | None],
    found: Reads,
    images: list[str],
) -> None:
    if ins.keyword in ("COPY", "ADD"):
        origin = [substitute(v, variables) for v in ins.flag("from")]
        if origin:
            if _stage_ref(df, origin[0], stage) is None:
                images.append(origin[0])
            return
        excludes = tuple(substitute(v, variables) for v in ins.flag("exclude"))
        for src in _copy_sources(ins):
            src = substitute(src, variables)
            if _REMOTE.match(src):
                if ins.keyword == "ADD":
                    found.remote.append(src)
                continue
            found.sources.append(Source(normalise(src), ins.line, excludes))
    elif ins.keyword == "RUN":
        for mount in ins.mounts():
            mount_from = substitute(mount.get("from", ""), variables)
            if mount_from:
                if mount["type"] in ("bind", "cache") and _stage_ref(df, mount_from, stage) is None:
                    images.append(mount_from)
                continue
            if mount["type"] == "bind":
                source = substitute(mount.get("source", "."), variables)
                found.sources.append(Source(normalise(source), ins.line))


def _copy_sources(ins: Instruction) -> list[str]:
    """The sources of a ``COPY``/``ADD`` (every argument but the destination, heredocs out)."""
    words = ins.json_form()
    if words is None:
        first_line = ins.args.split("\n", 1)[0]
        words = [_unquote(w) for w in re.findall(r"(?:\"[^\"]*\"|'[^']*'|\S)+", first_line)]
    sources = words[:-1]
    return [w for w in sources if not w.startswith("<<")]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def normalise(path: str) -> str:
    """A context path as the sent-path set spells it: no leading ``./`` or ``/``, no trailing
    ``/``; ``"."`` for the whole context."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts) or "."


def select(sent: Iterable[str], sources: Iterable[Source]) -> list[str]:
    """The sent paths (files, folders, symlinks) that ``sources`` pick, sorted.

    A source picks the paths it matches (``*`` and ``?`` stop at ``/`` as in Go's
    ``filepath.Match``; ``**`` crosses folders) and everything under a matched folder, less
    what its ``--exclude`` patterns match.
    """
    sent = sorted(sent)
    picked: set[str] = set()
    for source in sources:
        if source.pattern == ".":
            hits = [p for p in sent if not _excluded(p, source.excludes)]
        else:
            hits = [
                p
                for p in sent
                if _matches_or_under(p, source.pattern) and not _excluded(p, source.excludes)
            ]
        picked.update(hits)
    return sorted(picked)


def _matches_or_under(path: str, pattern: str) -> bool:
    parts = path.split("/")
    return any(_match(pattern, "/".join(parts[:n])) for n in range(1, len(parts) + 1))


def _excluded(path: str, patterns: tuple[str, ...]) -> bool:
    return any(_matches_or_under(path, normalise(p)) for p in patterns)


def _match(pattern: str, path: str) -> bool:
    return _compiled(pattern).fullmatch(path) is not None


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    """Go ``filepath.Match`` semantics (``*``/``?`` never match ``/``), plus ``**``."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                negate = body[:1] in ("^", "!")
                body = re.sub(r"([\\\]\[^])", r"\\\1", body[1:] if negate else body)
                out.append("[" + ("^" if negate else "") + body + "]")
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))
