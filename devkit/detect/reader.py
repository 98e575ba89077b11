"""Reading a repository's files for detection: parsed once, never executed, never fatal.

A file that cannot be read or parsed gives one warning line naming it (kept in
:attr:`Repo.warnings`) and ``None``; detection goes on with the other files. Paths are
repository-relative POSIX strings throughout, as they appear in the report.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# tomllib is in the standard library from Python 3.11; tomli is the same parser for 3.10.
tomllib: Any = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")

#: Folders never searched: installed dependencies, environments, VCS data, build output.
SKIP_DIRS = frozenset(
    {".git", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", "target", "dist", "build", ".yarn", ".pnpm-store",
     "vendor", ".direnv", ".cache"}
)  # fmt: skip

#: Larger files are not read (a generated lock file of this size is still far below it).
MAX_BYTES = 64 * 1024 * 1024


class Repo:
    """One repository's files, read on demand and cached, with the warnings reading gave."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.warnings: list[str] = []
        self._text: dict[str, str | None] = {}
        self._parsed: dict[tuple[str, str], Any] = {}

    def warn(self, message: str) -> None:
        """Record one warning line (each only once)."""
        if message not in self.warnings:
            self.warnings.append(message)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def is_file(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def is_dir(self, rel: str) -> bool:
        return (self.root / rel).is_dir()

    def text(self, rel: str) -> str | None:
        """The file's text, or None if it is missing or unreadable (which warns)."""
        if rel in self._text:
            return self._text[rel]
        path = self.root / rel
        text: str | None = None
        if path.is_file():
            try:
                if path.stat().st_size > MAX_BYTES:
                    self.warn(f"{rel}: larger than {MAX_BYTES // 2**20} MB, not read")
                else:
                    text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                self.warn(f"{rel}: not UTF-8 text, not read")
            except OSError as exc:
                self.warn(f"{rel}: cannot be read ({exc.strerror or exc}), skipped")
        self._text[rel] = text
        return text

    def toml(self, rel: str) -> dict[str, Any] | None:
        """The TOML file as a dict, or None (missing, or unparsable: one warning)."""

        def parse(text: str) -> Any:
            try:
                return tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                self.warn(f"{rel}: not valid TOML ({exc}); its settings are not used")
                return None

        data = self._parse(rel, "toml", parse)
        return data if isinstance(data, dict) else None

    def json(self, rel: str, *, comments: bool = False) -> Any:
        """The JSON file's data, or None (missing, or unparsable: one warning).

        ``comments``: JSON with comments and trailing commas (devcontainer.json, tsconfig).
        """

        def parse(text: str) -> Any:
            if comments:
                from devkit.doctor import strip_jsonc

                text = strip_jsonc(text)
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                self.warn(
                    f"{rel}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                    "its settings are not used"
                )
                return None

        return self._parse(rel, "jsonc" if comments else "json", parse)

    def yaml(self, rel: str) -> Any:
        """The YAML file's data, or None (missing, or unparsable: one warning)."""
        import yaml

        def parse(text: str) -> Any:
            try:
                return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
                self.warn(f"{rel}: not valid YAML{at}; its settings are not used")
                return None

        return self._parse(rel, "yaml", parse)

    def _parse(self, rel: str, kind: str, parse: Any) -> Any:
        key = (rel, kind)
        if key not in self._parsed:
            text = self.text(rel)
            self._parsed[key] = None if text is None else parse(text)
        return self._parsed[key]

    def line_of(self, rel: str, pattern: str, *, start: int = 1) -> int | None:
        """The 1-based line of the first match of the regular expression ``pattern``."""
        text = self.text(rel)
        if text is None:
            return None
        for number, line in enumerate(text.splitlines()[start - 1 :], start):
            if re.search(pattern, line):
                return number
        return None

    def key_line(self, rel: str, key: str, *, table: str | None = None) -> int | None:
        """The line of ``key =`` (TOML) or ``"key":`` (JSON), after ``[table]`` if given."""
        start = 1
        if table is not None:
            found = self.line_of(rel, rf"^\s*\[{re.escape(table)}\]\s*(#.*)?$")
            if found is None:
                return None
            start = found
        quoted = re.escape(key)
        if rel.endswith((".json", ".jsonc")):  # JSON may put several keys on one line
            return self.line_of(rel, rf'"{quoted}"\s*:', start=start)
        return self.line_of(rel, rf'^\s*("{quoted}"|{quoted})\s*[=:]', start=start)

    def glob(self, pattern: str) -> list[str]:
        """Files matching a glob relative to the root, sorted; below the pattern's fixed
        folders (``.yarn/plugins`` in ``.yarn/plugins/**``), :data:`SKIP_DIRS` are skipped."""
        prefix = re.split(r"/[^/]*[*?\[]", "/" + pattern, maxsplit=1)[0].strip("/")
        fixed = len(prefix.split("/")) if prefix else 0
        found = []
        for path in self.root.glob(pattern):
            rel = path.relative_to(self.root)
            if any(part in SKIP_DIRS for part in rel.parts[fixed:-1]):
                continue
            if path.is_file():
                found.append(rel.as_posix())
        return sorted(found)

    def walk(self, max_depth: int) -> Iterator[str]:
        """Every file down to ``max_depth`` folders below the root, skipping :data:`SKIP_DIRS`."""
        stack: list[tuple[Path, int]] = [(self.root, 0)]
        while stack:
            folder, depth = stack.pop()
            try:
                entries = sorted(folder.iterdir(), key=lambda p: p.name)
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir() and not entry.is_symlink():
                    if depth < max_depth and entry.name not in SKIP_DIRS:
                        stack.append((entry, depth + 1))
                elif entry.is_file():
                    yield entry.relative_to(self.root).as_posix()


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a table/object, else an empty one (parsed files hold anything)."""
    return value if isinstance(value, dict) else {}
