"""Sizes and counts for people to read, one convention across every command.

Sizes are decimal (SI, 1000-based) with the unit names the docker CLI prints: ``B``, ``kB``,
``MB``, ``GB``, ``TB`` — so a size devkit shows can be compared with ``docker system df`` or
``docker image ls`` at a glance. Machine-readable output (``--json``) never goes through
here: it keeps raw integer bytes. A leaf: it imports nothing from devkit.
"""

from __future__ import annotations

#: One step up the unit ladder.
STEP = 1000
UNITS = ("B", "kB", "MB", "GB", "TB")


def human_size(n: float | None) -> str:
    """``999 B``, ``1.0 kB``, ``2.5 MB`` (one decimal above bytes); ``-`` when unknown."""
    if n is None:
        return "-"
    value, unit = float(n), UNITS[0]
    for bigger in UNITS[1:]:
        # Decide on the figure as shown, so 999,950 bytes reads "1.0 MB", not "1000.0 kB".
        if round(abs(value), 0 if unit == "B" else 1) < STEP:
            break
        value, unit = value / STEP, bigger
    return f"{value:.0f} B" if unit == "B" else f"{value:.1f} {unit}"


def plural(n: int, word: str) -> str:
    """``1 file``, ``2 files``, ``0 files`` (for words that take an ``s``)."""
    return f"{n} {word}{'' if n == 1 else 's'}"
