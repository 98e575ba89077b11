"""Shell scripts (RUN, lifecycle commands) read as simple commands, and the paths in them.

Plain text analysis: nothing is run. Scripts are split on ``&&``, ``||``, ``;``, ``|`` and
newlines; loops, functions and ``eval`` are not followed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

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
    for tokens in _simple_commands(script):
        words = list(tokens)
        if variables is not None:
            words = [substitute(w, local) if "$" in w else w for w in words]
        if words and all(_ASSIGNMENT.match(w) for w in words):
            for w in words:
                m = _ASSIGNMENT.match(w)
                if m:
                    local[m.group(1)] = m.group(2)
            continue
        while words and (
            _ASSIGNMENT.match(words[0]) or words[0] in _WRAPPERS or words[0] in _KEYWORDS
        ):
            words = words[1:]
        if words:
            result.append(words)
    return result


_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


@functools.lru_cache(maxsize=4096)
def _simple_commands(script: str) -> tuple[tuple[str, ...], ...]:
    """The words of each simple command of ``script``, before any substitution.

    Cached: the rules of one audit read the same RUN several times (installs, toolchains,
    users and paths).
    """
    found: list[tuple[str, ...]] = []
    for part in _SEPARATORS.split(script.replace("\\\n", " ")):
        part = part.strip().lstrip("({").strip()
        if part and not part.startswith("#"):
            found.append(tuple(split_words(part)))
    return tuple(found)


# A shell word: unquoted characters, '…', "…" (backslash escapes inside) and \x, glued together.
_WORD = re.compile(r"""(?:[^\s'"\\]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.?|['"])+""", re.S)
_PIECE = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.?)|([^'"\\]+|['"])""", re.S)
_DQ_ESCAPE = re.compile(r"""\\([\\"$`\n])""")


def split_words(text: str) -> list[str]:
    """POSIX shell words of one command: quotes removed, backslash escapes applied, a word
    starting with ``#`` ending the command (a comment). A quote that never closes is taken
    literally. What :func:`shlex.split` does, in a regular expression: RUN scripts can be
    megabytes long, and shlex reads them a character at a time.
    """
    words: list[str] = []
    for match in _WORD.finditer(text):
        raw = match.group(0)
        if raw.startswith("#"):
            break
        if not any(c in raw for c in "'\"\\"):
            words.append(raw)
            continue
        out: list[str] = []
        for piece in _PIECE.finditer(raw):
            single, double, escaped, plain = piece.groups()
            if single is not None:
                out.append(single)
            elif double is not None:
                out.append(_DQ_ESCAPE.sub(r"\1", double))
            elif escaped is not None:
                out.append(escaped)
            else:
                out.append(plain)
        words.append("".join(out))
    return words


def program(word: str) -> str:
    """The program a command word runs (``/opt/venv/bin/pip`` → ``pip``)."""
    return word.rstrip("/").rsplit("/", 1)[-1]


def safe_split(text: str) -> list[str]:
    """Shell words of ``text`` (:func:`split_words`)."""
    return split_words(text)


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
