"""JSON with comments and YAML, parsed with the line numbers findings point at.

devcontainer.json is JSONC; compose files are YAML. Both parsers raise :class:`LineError`
with the line of the first problem, which the audit reports as DK000.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

import yaml

from devkit.errors import DevkitError


def strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas → plain JSON, keeping line numbers.

    devcontainer.json is JSONC: ``//`` and ``/* */`` comments and trailing commas are
    allowed. Comments become spaces (newlines kept) so error positions stay true.
    """
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_string = False
            i += 1
        elif ch == '"':
            in_string = True
            out.append(ch)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            out.append("".join(c if c == "\n" else " " for c in text[i:end]))
            i = end
        else:
            out.append(ch)
            i += 1
    plain = "".join(out)
    # Trailing commas before } or ] (outside strings: strings were kept verbatim, and a
    # comma followed only by whitespace and a closing bracket cannot be inside one here
    # unless the string itself contains that text, which we accept as a tiny risk).
    return re.sub(r",(\s*[}\]])", r" \1", plain)


def parse_jsonc(raw: str) -> tuple[Any, str]:
    """Parse JSONC text; returns (data, comment-free text). Raises :class:`LineError`.

    A UTF-8 byte order mark before the text is skipped (editors on Windows write one).
    """
    text = strip_jsonc(raw.removeprefix("\ufeff"))
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise LineError(f"invalid JSON: {exc.msg}", exc.lineno) from exc
    except RecursionError:
        raise LineError(
            f"invalid JSON: nested more than {MAX_DEPTH} levels deep", _deep_json_line(text)
        ) from None


#: How deep JSON and YAML may nest. Real configuration nests a dozen levels; thousands
#: would exhaust Python's stack in the parsers (RecursionError) instead of giving a finding.
MAX_DEPTH = 200
#: How many nodes a YAML document may hold with its aliases expanded. Compose files hold
#: hundreds; a "billion laughs" document holds 10**9 from a few lines (Compose itself
#: refuses excessive aliasing too).
MAX_YAML_NODES = 100_000


def _deep_json_line(text: str) -> int | None:
    """The line where JSON ``text`` first nests deeper than :data:`MAX_DEPTH`."""
    depth = 0
    in_string = escaped = False
    for pos, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, pos) + 1
        elif ch in "]}":
            depth -= 1
    return None


class LineError(DevkitError):
    """A file that cannot be parsed; ``line`` is the 1-based line of the problem, if known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class Reset:
    """Compose's ``!reset`` tag: the value is removed (from what other files merged in)."""

    def __repr__(self) -> str:
        return "!reset"


#: The value of every ``!reset`` node.
RESET = Reset()


class OverrideList(list[Any]):
    """A sequence tagged ``!override``: it replaces what other files declared instead of
    being merged with it."""


class OverrideDict(dict[Any, Any]):
    """A mapping tagged ``!override`` (see :class:`OverrideList`)."""


class _ComposeLoader(yaml.SafeLoader):
    """The safe loader, plus Compose's merge tags, and limits on what aliases can do.

    A cyclic alias (``x: &a [*a]``) and a document whose aliases expand to more than
    :data:`MAX_YAML_NODES` nodes are refused at the alias (Compose refuses both too);
    nesting deeper than :data:`MAX_DEPTH` is refused where it happens.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._open: list[str] = []  # anchors whose node is being composed
        self._sizes: dict[int, int] = {}  # node id -> node count with aliases expanded
        self._counts: list[int] = []  # expanded node count of each open collection

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                _refuse(f"alias *{event.anchor} refers to itself", event)
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node), 1)
        else:
            if len(self._counts) >= MAX_DEPTH:
                _refuse(f"nested more than {MAX_DEPTH} levels deep", event)
            if event.anchor is not None:
                self._open.append(event.anchor)
            self._counts.append(0)
            try:
                node = super().compose_node(parent, index)
            finally:
                size = 1 + self._counts.pop()
                if event.anchor is not None:
                    self._open.pop()
            self._sizes[id(node)] = size
        if self._counts:
            self._counts[-1] += size
            if self._counts[-1] > MAX_YAML_NODES:
                _refuse(f"aliases expand to more than {MAX_YAML_NODES:,} nodes", event)
        return node


def _refuse(problem: str, event: Any) -> NoReturn:
    """Stop composing: ``problem`` at ``event``'s place in the text."""
    raise yaml.composer.ComposerError(None, None, problem, event.start_mark)


def _reset(loader: yaml.SafeLoader, node: yaml.Node) -> Reset:
    return RESET


def _override(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return OverrideList(loader.construct_sequence(node, deep=True))
    if isinstance(node, yaml.MappingNode):
        return OverrideDict(loader.construct_mapping(node, deep=True))
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_ComposeLoader.add_constructor("!reset", _reset)
_ComposeLoader.add_constructor("!override", _override)


def parse_yaml_lines(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse YAML text once; returns (data, {key path: 1-based line}). Raises :class:`LineError`.

    Compose's ``!reset`` and ``!override`` tags are understood (:data:`RESET`,
    :class:`OverrideList`, :class:`OverrideDict`).
    """
    lines: dict[tuple[Any, ...], int] = {}
    # What yaml.safe_load does, keeping the node tree in between: its marks give the lines.
    # The lines are taken before constructing, which flattens `<<:` merges in the tree.
    loader = _ComposeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _node_lines(node, lines)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LineError(
            f"invalid YAML: {exc}".splitlines()[0], mark.line + 1 if mark else None
        ) from exc
    except RecursionError:
        raise LineError(
            f"invalid YAML: nested more than {MAX_DEPTH} levels deep", loader.line + 1
        ) from None
    finally:
        loader.dispose()
    return data, lines


def _node_lines(root: yaml.Node, lines: dict[tuple[Any, ...], int]) -> None:
    """The line of every key path in the node tree (aliases followed: the loader bounded them)."""
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())]
    while stack:
        n, key = stack.pop()
        lines.setdefault(key, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in reversed(n.value):
                child = (*key, k.value)
                lines[child] = k.start_mark.line + 1
                stack.append((v, child))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((item, (*key, idx)) for idx, item in reversed(list(enumerate(n.value))))


def json_key_line(text: str, key: str) -> int | None:
    """1-based line of the first ``"key":`` in JSON text."""
    pattern = re.escape(json.dumps(key)) + r"\s*:"
    match = re.search(pattern, text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def text_line(text: str, needle: str) -> int | None:
    """1-based line of the first occurrence of ``needle`` in ``text``."""
    pos = text.find(needle)
    return None if pos < 0 else text.count("\n", 0, pos) + 1
