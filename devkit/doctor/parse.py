"""JSON with comments and YAML, parsed with the line numbers findings point at.

devcontainer.json is JSONC; compose files are YAML. Both parsers raise :class:`LineError`
with the line of the first problem, which the audit reports as DK000.
"""

from __future__ import annotations

import json
import re
from typing import Any

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
    """Parse JSONC text; returns (data, comment-free text). Raises DevkitError."""
    text = strip_jsonc(raw)
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise LineError(f"invalid JSON: {exc.msg}", exc.lineno) from exc


class LineError(DevkitError):
    """A file that cannot be parsed; ``line`` is the 1-based line of the problem, if known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def parse_yaml_lines(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse YAML text once; returns (data, {key path: 1-based line}). Raises DevkitError."""
    lines: dict[tuple[Any, ...], int] = {}

    def walk(n: Any, key: tuple[Any, ...]) -> None:
        lines.setdefault(key, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                child = (*key, k.value)
                lines[child] = k.start_mark.line + 1
                walk(v, child)
        elif isinstance(n, yaml.SequenceNode):
            for idx, item in enumerate(n.value):
                walk(item, (*key, idx))

    # What yaml.safe_load does, keeping the node tree in between: its marks give the lines.
    # The lines are taken before constructing, which flattens `<<:` merges in the tree.
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            walk(node, ())
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LineError(
            f"invalid YAML: {exc}".splitlines()[0], mark.line + 1 if mark else None
        ) from exc
    finally:
        loader.dispose()
    return data, lines


def json_key_line(text: str, key: str) -> int | None:
    """1-based line of the first ``"key":`` in JSON text."""
    pattern = re.escape(json.dumps(key)) + r"\s*:"
    match = re.search(pattern, text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def text_line(text: str, needle: str) -> int | None:
    """1-based line of the first occurrence of ``needle`` in ``text``."""
    pos = text.find(needle)
    return None if pos < 0 else text.count("\n", 0, pos) + 1
