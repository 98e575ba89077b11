"""The toolchain release lines this devkit version knows, to pick "the newest that satisfies".

A range such as ``requires-python >=3.10`` or ``engines.node >=22.12`` names no version; the
detector picks the newest *line* below that satisfies every constraint (the template installs
the newest release of that line). Each line carries its newest release known when this table
was last updated, which is what a range is checked against (``^20.19`` holds for line 20
because 20.20.2 exists). Lines marked ``chosen_for_ranges=False`` (Node's odd-numbered
"current" lines, Java's non-LTS ones) are used only when a project pins them or its CI tests
with them. Update the table with each devkit release; a line newer than the table still works
when pinned (the pin is taken as written).
"""

from __future__ import annotations

from dataclasses import dataclass

from devkit.detect.specs import Version


@dataclass(frozen=True)
class Line:
    """One release line (``3.12``, ``24``, ``1.25``) and its newest release known here.

    ``chosen_for_ranges``: a bare range may resolve to it (not Node's odd lines); ``eol``:
    its maintainers no longer fix it (detection warns when it is chosen).
    """

    line: Version
    newest: Version
    chosen_for_ranges: bool = True
    eol: bool = False


def _lines(*rows: tuple[str, ...]) -> tuple[Line, ...]:
    """Rows of (line, newest release, flags…); flags: "odd" (never picked for a bare range),
    "eol" (end of life)."""
    return tuple(
        Line(
            tuple(int(p) for p in row[0].split(".")),
            tuple(int(p) for p in row[1].split(".")),
            chosen_for_ranges="odd" not in row[2:],
            eol="eol" in row[2:],
        )
        for row in rows
    )


#: Oldest first. Python lines are minor versions; uv and Debian name them the same way.
PYTHON = _lines(
    ("3.8", "3.8.20", "eol"), ("3.9", "3.9.25", "eol"), ("3.10", "3.10.19"),
    ("3.11", "3.11.14"), ("3.12", "3.12.12"), ("3.13", "3.13.9"), ("3.14", "3.14.0"),
)  # fmt: skip

#: Node majors; even ones become LTS, odd ones are short-lived "current" releases.
NODE = _lines(
    ("16", "16.20.2", "eol"), ("17", "17.9.1", "odd", "eol"), ("18", "18.20.8", "eol"),
    ("19", "19.8.1", "odd", "eol"), ("20", "20.20.2", "eol"), ("21", "21.7.3", "odd", "eol"),
    ("22", "22.23.5"), ("23", "23.11.1", "odd", "eol"), ("24", "24.22.3"),
    ("25", "25.9.0", "odd", "eol"), ("26", "26.12.1"),
)  # fmt: skip

#: Go minor lines (Go's own "language version"); Go supports the two newest.
GO = _lines(
    ("1.21", "1.21.13", "eol"), ("1.22", "1.22.12", "eol"), ("1.23", "1.23.12", "eol"),
    ("1.24", "1.24.11", "eol"), ("1.25", "1.25.5", "eol"), ("1.26", "1.26.6"),
    ("1.27", "1.27.3"),
)  # fmt: skip

#: Java feature releases; only LTS ones are picked for a bare minimum.
JAVA = _lines(
    ("8", "8"), ("11", "11"), ("17", "17"), ("21", "21"), ("22", "22", "odd", "eol"),
    ("23", "23", "odd", "eol"), ("24", "24", "odd", "eol"), ("25", "25"),
)  # fmt: skip

#: .NET SDK channels; even ones are LTS.
DOTNET = _lines(
    ("6.0", "6.0.428", "eol"), ("8.0", "8.0.416"), ("9.0", "9.0.308", "odd"),
    ("10.0", "10.0.100"),
)  # fmt: skip

#: Per toolchain name (the ``<stack>`` of a ``<stack>_version`` answer).
LINES: dict[str, tuple[Line, ...]] = {
    "python": PYTHON,
    "node": NODE,
    "go": GO,
    "java": JAVA,
    "dotnet": DOTNET,
}

#: The lines the default base image's distribution ships (Debian 13, ``debian:trixie-slim``):
#: a range they satisfy resolves to them, so the toolchain comes from apt instead of an
#: upstream download (which a network without access to the upstream servers cannot make).
#: Lines past their end of life are never preferred (Debian 13's Node 20 and Go 1.24).
DISTRIBUTION = {"python": "3.13", "node": "20", "go": "1.24"}
DISTRIBUTION_NAME = "Debian 13"

#: Node's LTS code names, as ``.nvmrc`` may say them (``lts/iron``).
NODE_LTS_NAMES = {
    "argon": 4, "boron": 6, "carbon": 8, "dubnium": 10, "erbium": 12, "fermium": 14,
    "gallium": 16, "hydrogen": 18, "iron": 20, "jod": 22, "krypton": 24,
}  # fmt: skip

#: yarn 1 ("classic") is frozen; its last release is what ``yarn@1`` means.
YARN_CLASSIC = "1.22.22"


def newest_line(tool: str) -> Line:
    """The newest line of ``tool`` that a bare range may resolve to."""
    return [line for line in LINES[tool] if line.chosen_for_ranges][-1]


def distribution_line(tool: str) -> Line | None:
    """The default base image's own line of ``tool`` when it is still maintained, else None."""
    value = DISTRIBUTION.get(tool)
    if value is None:
        return None
    line = line_of(tool, tuple(int(p) for p in value.split(".")))
    return line if line is not None and not line.eol else None


def line_of(tool: str, version: Version) -> Line | None:
    """The known release line ``version`` belongs to, if any."""
    for line in LINES.get(tool, ()):
        if version[: len(line.line)] == line.line:
            return line
    return None
