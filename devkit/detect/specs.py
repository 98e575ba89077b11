"""Version texts and version ranges, as each ecosystem writes them, turned into predicates.

* versions: ``3.12.1``, ``v22.9.0``, ``go1.25.5``, ``1.8`` (Java 8) → tuples of ints;
* Python: PEP 440 specifiers (``>=3.10,<4``) through :mod:`packaging`, and Poetry's
  (``^3.9``, ``~3.9``, ``>=3.9 <4``, ``||``);
* Node: npm's semver ranges (``^20.19.0 || >=22.12``, ``18.x``, ``>= 18 < 23``, ``1 - 3``);
* Go, Rust, Java, .NET: a minimum (``go 1.25.0``, ``rust-version``, ``<release>17``).

Prereleases are not modelled: a release line is judged by its released versions only.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Version = tuple[int, ...]
Predicate = Callable[[Version], bool]

_VERSION = re.compile(r"^\s*(?:v|go|python-?|node-?)?(\d+(?:\.\d+){0,3})\s*$", re.IGNORECASE)


def parse_version(text: str) -> Version | None:
    """``3.12.1`` → (3, 12, 1); ``v22`` → (22,); ``go1.25.5`` → (1, 25, 5); else None."""
    match = _VERSION.match(text)
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def show(version: Version) -> str:
    return ".".join(str(p) for p in version)


def java_version(text: str) -> Version | None:
    """Java's numbering: ``1.8`` is 8, ``17.0.2`` is 17.0.2, ``21-ea`` is not a release."""
    version = parse_version(text)
    if version and version[0] == 1 and len(version) > 1:
        return version[1:]
    return version


def prefix_match(pin: Version, version: Version) -> bool:
    """Whether ``version`` lies in the line ``pin`` names (``3.12`` holds 3.12.4)."""
    return version[: len(pin)] == pin


def at_least(minimum: Version) -> Predicate:
    return lambda v: _pad(v) >= _pad(minimum)


def _pad(v: Version, n: int = 4) -> Version:
    return v + (0,) * (n - len(v))


# --------------------------------------------------------------------------- Python


def python_spec(text: str) -> Predicate | None:
    """A predicate for a PEP 440 or Poetry constraint on Python's version, or None if unreadable."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version as PV

    alternatives = []
    for alt in text.split("||"):
        pep = _poetry_to_pep440(alt.strip())
        if pep is None:
            return None
        try:
            alternatives.append(SpecifierSet(pep))
        except InvalidSpecifier:
            return None

    def check(version: Version) -> bool:
        pv = PV(show(version))
        return any(s.contains(pv, prereleases=True) for s in alternatives)

    return check


def _poetry_to_pep440(text: str) -> str | None:
    """Poetry's ``^3.9``/``~3.9``/``3.9.*``/space-separated constraints as PEP 440."""
    if text in ("", "*"):
        return ""
    parts = [p for p in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", text) if p]
    out = []
    for part in parts:
        if part.startswith("^"):
            base = parse_version(part[1:])
            if base is None:
                return None
            out.append(f">={show(base)},<{show(_caret_upper(base))}")
        elif part.startswith("~") and not part.startswith("~="):
            base = parse_version(part[1:])
            if base is None:
                return None
            upper = (base[0] + 1,) if len(base) == 1 else (base[0], base[1] + 1)
            out.append(f">={show(base)},<{show(upper)}")
        elif re.match(r"^\d", part):
            out.append(f"=={part}")
        else:
            out.append(part)
    return ",".join(out)


def _caret_upper(base: Version) -> Version:
    """The exclusive upper bound of ``^base``: the first non-zero part is bumped."""
    for i, part in enumerate(base):
        if part != 0 or i == len(base) - 1:
            return (*base[:i], part + 1)
    return (base[0] + 1,)


# --------------------------------------------------------------------------- Node (npm semver)

_COMPARATOR = re.compile(r"(<=|>=|<|>|=|\^|~>|~)?\s*v?((?:\d+|[xX*])(?:\.(?:\d+|[xX*])){0,2})")


def node_range(text: str) -> Predicate | None:
    """A predicate for an npm semver range (``engines.node``), or None if unreadable."""
    text = text.strip()
    if text in ("", "*", "x", "X", "latest"):
        return lambda v: True
    alternatives: list[list[tuple[str, Version]]] = []
    for alt in text.split("||"):
        alt = alt.strip()
        hyphen = re.fullmatch(r"v?([\d.xX*]+)\s+-\s+v?([\d.xX*]+)", alt)
        comparators: list[tuple[str, Version]] = []
        if hyphen:
            comparators += _expand(">=", hyphen.group(1)) + _expand("<=", hyphen.group(2))
        elif alt in ("", "*", "x", "X"):
            comparators = []
        else:
            consumed = 0
            for match in _COMPARATOR.finditer(alt):
                if alt[consumed : match.start()].strip():
                    return None
                consumed = match.end()
                comparators += _expand(match.group(1) or "=", match.group(2))
            if alt[consumed:].strip() or consumed == 0:
                return None
        alternatives.append(comparators)

    def check(version: Version) -> bool:
        v = _pad(version, 3)[:3]
        return any(all(_compare(v, op, bound) for op, bound in alt) for alt in alternatives)

    return check


def _expand(op: str, text: str) -> list[tuple[str, Version]]:
    """One comparator with a possibly partial version as plain ``op (x, y, z)`` comparators."""
    parts: list[int] = []
    for piece in text.split("."):
        if piece in ("x", "X", "*"):
            break
        parts.append(int(piece))
    base = tuple(parts)
    full = len(base) == 3
    lower = _pad(base, 3)[:3]
    if not base:
        return [] if op in ("=", ">=", "<=", "^", "~", "~>") else [("<", (0, 0, 0))]
    upper_line = (*base[:-1], base[-1] + 1)
    if op == "=":
        return [("=", lower)] if full else [(">=", lower), ("<", _pad(upper_line, 3))]
    if op == "^":
        return [(">=", lower), ("<", _pad(_caret_upper(base), 3))]
    if op in ("~", "~>"):
        tilde_upper = (base[0] + 1,) if len(base) == 1 else (base[0], base[1] + 1)
        return [(">=", lower), ("<", _pad(tilde_upper, 3))]
    if op == ">":
        return [(">", lower)] if full else [(">=", _pad(upper_line, 3))]
    if op == "<=":
        return [("<=", lower)] if full else [("<", _pad(upper_line, 3))]
    return [(op, lower)]  # >= and <


def _compare(v: Version, op: str, bound: Version) -> bool:
    return {
        "=": v == bound,
        ">=": v >= bound,
        "<=": v <= bound,
        ">": v > bound,
        "<": v < bound,
    }[op]
