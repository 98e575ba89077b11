"""Dockerfiles as data: stages, instructions with line numbers, flags, mounts and heredocs.

Parsing is done by the maintained ``dockerfile-parse`` library (line continuations, the
``# escape=`` directive, comments inside continued lines); this module adds what it lacks:

* **heredocs** (``RUN <<EOF`` … ``EOF``, ``COPY <<EOF /path``): ``dockerfile-parse`` reads the
  body lines as instructions of their own; here they become the :class:`Heredoc` bodies of the
  instruction that opened them, and the lines after the terminator are parsed again;
* **stages**: ``FROM`` lines split the file into :class:`Stage` objects, image names have the
  global ``ARG`` defaults (and any build arguments given) substituted, and a stage built
  ``FROM`` an earlier stage knows its parent;
* **flags** (``--mount=…``, ``--from=…``, ``--chown=…``) split from the arguments, and
  ``--mount`` values parsed into dictionaries.

The public API is small: :func:`parse_file`, :func:`parse_text`, :func:`substitute`, the
data classes :class:`Dockerfile`, :class:`Stage`, :class:`Instruction`, :class:`Heredoc`.
Which ``.dockerignore`` a build uses, and what it sends, is :mod:`devkit.buildcontext`.
Line numbers are 1-based, as editors show them.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

from devkit.errors import DevkitError

__all__ = [
    "Dockerfile",
    "Heredoc",
    "Instruction",
    "Stage",
    "parse_file",
    "parse_text",
    "substitute",
    "unresolved",
]

# `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` (BuildKit's heredoc syntax, Dockerfile 1.4+).
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_FLAG = re.compile(r"\s*--([A-Za-z][A-Za-z0-9-]*)(?:=((?:\"[^\"]*\"|'[^']*'|\S)*))?(?=\s|$)")
_VAR = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)
# Instructions that take flags before their arguments.
_FLAGGED = {"RUN", "COPY", "ADD", "FROM"}


@dataclass(frozen=True)
class Heredoc:
    """The body of one ``<<NAME`` … ``NAME`` heredoc; ``line`` is its first body line."""

    name: str
    body: str
    line: int


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction.

    ``keyword`` is upper-case (``RUN``); ``value`` is everything after it with continuation
    lines joined; ``flags`` are the leading ``--name=value`` options (RUN/COPY/ADD/FROM) in
    order; ``args`` is ``value`` without them; ``line``/``end_line`` span the instruction
    (including heredoc bodies) in the file.
    """

    keyword: str
    line: int
    end_line: int
    value: str
    args: str
    flags: tuple[tuple[str, str], ...] = ()
    heredocs: tuple[Heredoc, ...] = ()

    def flag(self, name: str) -> list[str]:
        """Every value given for ``--name`` (``--mount`` may appear several times)."""
        return [value for key, value in self.flags if key == name]

    def mounts(self) -> list[dict[str, str]]:
        """The ``RUN --mount=`` options as dictionaries, e.g. ``{"type": "cache", "target": …}``.

        ``type`` defaults to ``bind`` as in BuildKit; ``dst``/``destination`` are normalised
        to ``target`` and ``src`` to ``source``.
        """
        result = []
        for raw in self.flag("mount"):
            options: dict[str, str] = {"type": "bind"}
            for part in _unquote(raw).split(","):
                key, _, val = part.partition("=")
                key = key.strip().lower()
                key = {"dst": "target", "destination": "target", "src": "source"}.get(key, key)
                options[key] = val.strip()
            result.append(options)
        return result

    def json_form(self) -> list[str] | None:
        """The arguments of an exec-form instruction (``RUN ["a", "b"]``), else None."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        try:
            parsed = json.loads(text)
        except ValueError:
            return None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            return parsed
        return None

    def assignments(self) -> list[tuple[str, str | None]]:
        """``ARG``/``ENV``/``LABEL`` pairs: ``ENV A=1 B="x y"`` → ``[("A", "1"), ("B", "x y")]``.

        The legacy form ``ENV NAME value`` gives one pair; an ``ARG`` without default gives
        ``(name, None)``.
        """
        words = _split_words(self.args)
        if self.keyword == "ENV" and words and "=" not in words[0]:
            return [(words[0], self.args.strip()[len(words[0]) :].strip())]
        pairs: list[tuple[str, str | None]] = []
        for token in words:
            name, eq, val = token.partition("=")
            if name:
                pairs.append((name, _unquote(val) if eq else None))
        return pairs

    def script(self) -> str:
        """The command text a RUN executes: shell form, exec form joined, plus heredoc bodies."""
        exec_form = self.json_form()
        text = " ".join(exec_form) if exec_form is not None else self.args
        if self.heredocs:
            text = "\n".join([text, *(doc.body for doc in self.heredocs)])
        return text


@dataclass
class Stage:
    """One build stage: from its ``FROM`` line up to the next one.

    ``base`` is the image (or earlier stage) named by ``FROM``, with global ``ARG``s
    substituted; ``parent`` is the index of the earlier stage it builds on, if any.
    """

    index: int
    name: str | None
    base: str
    base_raw: str
    line: int
    instructions: list[Instruction] = field(default_factory=list)
    parent: int | None = None

    @property
    def label(self) -> str:
        """How the stage is named in messages: its name, else ``#index``."""
        return self.name or f"#{self.index}"


@dataclass
class Dockerfile:
    """A parsed Dockerfile."""

    path: Path | None
    stages: list[Stage]
    #: Global ``ARG``s (before the first ``FROM``) with their defaults (None: no default).
    global_args: dict[str, str | None]
    #: Every instruction in file order, including those before the first ``FROM``.
    instructions: list[Instruction]
    #: Parser directives from the top of the file (``syntax``, ``escape``, ``check``).
    directives: dict[str, str]
    #: The source lines (``lines[n - 1]`` is line ``n``), so a caller that points at a line
    #: or reads its comments need not read the file again.
    lines: list[str] = field(default_factory=list)

    @property
    def final_stage(self) -> Stage:
        """The last stage: what ``docker build`` produces without ``--target``."""
        return self.stages[-1]

    def stage(self, ref: str | int) -> Stage | None:
        """The stage named ``ref`` (case-insensitive) or with index ``ref``."""
        if isinstance(ref, int) or ref.isdigit():
            idx = int(ref)
            return self.stages[idx] if 0 <= idx < len(self.stages) else None
        for stage in self.stages:
            if stage.name and stage.name.lower() == ref.lower():
                return stage
        return None

    def chain(self, stage: Stage) -> list[Stage]:
        """``stage`` and the earlier stages it builds on, root first."""
        result = [stage]
        seen = {stage.index}
        while result[0].parent is not None and result[0].parent not in seen:
            parent = self.stages[result[0].parent]
            seen.add(parent.index)
            result.insert(0, parent)
        return result


def substitute(text: str, variables: Mapping[str, str | None]) -> str:
    """Replace ``$VAR``, ``${VAR}``, ``${VAR:-default}`` and ``${VAR:+alt}`` as Docker does.

    Unknown variables (and those without a value) become empty, except that ``${VAR:-x}``
    falls back to ``x``.
    """

    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        op, word = match.group(2), match.group(3) or ""
        value = variables.get(name)
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                return word
            return value
        if op in (":+", "+"):
            return word if value else ""
        return value or ""

    return _VAR.sub(repl, text)


def unresolved(text: str, variables: Mapping[str, str | None]) -> list[str]:
    """The variables ``text`` uses that :func:`substitute` would replace by nothing because
    ``variables`` gives them no value (``${VAR:-default}`` and ``${VAR:+alt}`` always resolve).
    A ``USER $UID`` or ``FROM $BASE`` with such a variable names something only the build
    (or the base image's config) knows."""
    missing: list[str] = []
    for match in _VAR.finditer(text):
        name = match.group(1) or match.group(4)
        if match.group(2) is None and variables.get(name) is None:
            missing.append(name)
    return missing


def parse_file(path: str | Path, build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """Parse the Dockerfile at ``path``; raise :class:`DevkitError` if it cannot be read."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise DevkitError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_text(text, path=path, build_args=build_args)


def parse_text(
    text: str, path: str | Path | None = None, build_args: Mapping[str, str] | None = None
) -> Dockerfile:
    """Parse Dockerfile ``text``; ``build_args`` override global ``ARG`` defaults in ``FROM``.

    Raises :class:`DevkitError` when there is no ``FROM`` instruction, or the text is binary.
    """
    where = str(path) if path is not None else "Dockerfile"
    # BuildKit and the classic builder skip a UTF-8 byte order mark before the first line.
    text = text.removeprefix("\ufeff")
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise DevkitError(f"{where}: a binary file (a NUL byte on line {line}), not a Dockerfile")
    lines = text.splitlines()
    directives = _directives(lines)
    instructions = _instructions(lines, 0, directives.get("escape"))
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    overrides = dict(build_args or {})
    for ins in instructions:
        if ins.keyword == "ARG" and not stages:
            for name, default in ins.assignments():
                global_args[name] = overrides.get(name, default)
        elif ins.keyword == "FROM":
            stages.append(_stage(ins, len(stages), stages, {**global_args, **overrides}))
        elif stages:
            stages[-1].instructions.append(ins)
    if not stages:
        raise DevkitError(f"{where}: no FROM instruction, so this is not a Dockerfile")
    return Dockerfile(
        path=Path(path) if path is not None else None,
        stages=stages,
        global_args=global_args,
        instructions=instructions,
        directives=directives,
        lines=lines,
    )


def _directives(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        match = re.match(r"^\s*#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$", line)
        if not match:
            break
        found[match.group(1).lower()] = match.group(2)
    return found


def _instructions(lines: list[str], offset: int, escape: str | None) -> list[Instruction]:
    """Instructions of ``lines`` (numbered from ``offset``), heredoc bodies folded in."""
    source = "\n".join(lines) + "\n"
    shift = 0
    if escape and offset:
        # A re-parsed tail must keep the file's escape character.
        source = f"# escape={escape}\n" + source
        shift = 1
    parser = DockerfileParser(fileobj=io.BytesIO(source.encode("utf-8")))
    entries = sorted(
        (e for e in parser.structure if e["instruction"] != "COMMENT"),
        key=lambda e: int(e["startline"]),
    )
    result: list[Instruction] = []
    skip_until = -1  # body lines of a heredoc already consumed (index into lines)
    for entry in entries:
        start, end = int(entry["startline"]) - shift, int(entry["endline"]) - shift
        if start <= skip_until:
            if end > skip_until:
                # The parser joined lines across a heredoc terminator: parse the rest again.
                rest = _instructions(lines[skip_until + 1 :], offset + skip_until + 1, escape)
                return result + rest
            continue
        keyword = str(entry["instruction"]).upper()
        value = str(entry["value"])
        flags, args = _split_flags(value) if keyword in _FLAGGED else ((), value)
        heredocs: list[Heredoc] = []
        last = end
        if keyword in ("RUN", "COPY", "ADD"):
            for match in _HEREDOC.finditer(args):
                strip_tabs, name = match.group(1) == "-", match.group(3)
                body: list[str] = []
                i = last + 1
                while i < len(lines):
                    candidate = lines[i].lstrip("\t") if strip_tabs else lines[i]
                    if candidate == name:
                        break
                    body.append(candidate)
                    i += 1
                heredocs.append(Heredoc(name, "\n".join(body), offset + last + 2))
                last = min(i, len(lines) - 1)
            skip_until = last if heredocs else skip_until
        result.append(
            Instruction(
                keyword=keyword,
                line=offset + start + 1,
                end_line=offset + last + 1,
                value=value,
                args=args,
                flags=flags,
                heredocs=tuple(heredocs),
            )
        )
    return result


def _split_flags(value: str) -> tuple[tuple[tuple[str, str], ...], str]:
    flags: list[tuple[str, str]] = []
    pos = 0
    while True:
        match = _FLAG.match(value, pos)
        if not match:
            break
        flags.append((match.group(1).lower(), match.group(2) or ""))
        pos = match.end()
    return tuple(flags), value[pos:].strip()


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _split_words(text: str) -> list[str]:
    """Whitespace-separated words, keeping quoted parts together (no shell evaluation)."""
    return re.findall(r"(?:\"[^\"]*\"|'[^']*'|[^\s\"']+)+", text)


def _stage(
    ins: Instruction, index: int, earlier: list[Stage], args: Mapping[str, str | None]
) -> Stage:
    words = _split_words(ins.args)
    base_raw = words[0] if words else ""
    name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    base = substitute(base_raw, args)
    parent = None
    for stage in earlier:
        if stage.name and stage.name.lower() == base.lower():
            parent = stage.index
    return Stage(index=index, name=name, base=base, base_raw=base_raw, line=ins.line, parent=parent)
