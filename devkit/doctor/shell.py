"""Shell scripts (RUN, lifecycle commands) read as simple commands, and the paths in them.

Plain text analysis: nothing is run. Scripts are split on ``&&``, ``||``, ``;``, ``|`` and
newlines; loops, functions and ``eval`` are not followed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import PurePosixPath

from devkit.dockerfile import substitute

_SEPARATORS = re.compile(r"&&|\|\||[;|\n]")
_WRAPPERS = {"sudo", "env", "time", "exec", "command", "nice", "nohup", "xargs"}
# Shell keywords that may start a simple command (`if [ -f x ]; then pnpm install; fi`).
_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "("}


def commands(script: str, variables: Mapping[str, str | None] | None = None) -> list[list[str]]:
    """Split a shell script into simple commands (word lists), leading VAR=x and sudo removed.

    With ``variables`` (ARG/ENV values), ``$VAR`` in each word is substituted, and plain shell
    assignments (``u=dev; mkdir /home/$u``) are followed through the script.
    """
    result: list[list[str]] = []
    local: dict[str, str | None] = dict(variables or {})
    script = script.replace("\\\n", " ")
    for part in _SEPARATORS.split(script):
        part = part.strip().lstrip("({").strip()
        if not part or part.startswith("#"):
            continue
        try:
            words = shlex.split(part, comments=True)
        except ValueError:
            words = part.split()
        if variables is not None:
            words = [substitute(w, local) if "$" in w else w for w in words]
        assignment = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
        if words and all(assignment.match(w) for w in words):
            for w in words:
                m = assignment.match(w)
                if m:
                    local[m.group(1)] = m.group(2)
            continue
        while words and (
            assignment.match(words[0]) or words[0] in _WRAPPERS or words[0] in _KEYWORDS
        ):
            words = words[1:]
        if words:
            result.append(words)
    return result


def program(word: str) -> str:
    """The program a command word runs (``/opt/venv/bin/pip`` → ``pip``)."""
    return PurePosixPath(word).name


def safe_split(text: str) -> list[str]:
    """Shell words of ``text``; plain whitespace splitting when its quotes do not close."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def opt(words: list[str], names: tuple[str, ...]) -> str | None:
    """The value of the first option in ``names`` (``-d DIR``, ``--home=DIR``), if given."""
    for i, w in enumerate(words):
        for name in names:
            if w == name and i + 1 < len(words):
                return words[i + 1]
            if name.startswith("--") and w.startswith(name + "="):
                return w.split("=", 1)[1]
    return None


def brace_expand(word: str) -> list[str]:
    """bash's brace expansion of one word: ``/a/{b,c}`` → ``/a/b``, ``/a/c``."""
    match = re.search(r"\{([^{}]*,[^{}]*)\}", word)
    if not match:
        return [word]
    out: list[str] = []
    for alt in match.group(1).split(","):
        out.extend(brace_expand(word[: match.start()] + alt + word[match.end() :]))
    return out


def norm_path(path: str) -> str:
    """An absolute path word without quotes or a trailing slash (relative ones: only the slash)."""
    path = path.strip().strip("\"'")
    return "/" + path.strip("/") if path.startswith("/") else path.rstrip("/")


def related_paths(a: str, b: str) -> bool:
    """Equal, or one contains the other (at a path boundary)."""
    a, b = norm_path(a), norm_path(b)
    if not a.startswith("/") or not b.startswith("/") or a == "/" or b == "/":
        return False
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")
