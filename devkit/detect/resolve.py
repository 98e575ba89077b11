"""Choosing one toolchain version from every constraint a repository states.

The rule: the newest release that satisfies every constraint.

* A **pin** (``.nvmrc``, ``.python-version``, go.mod's ``toolchain``, ``rust-toolchain``,
  ``global.json``, ``.tool-versions``, ``mise.toml``…) is the project's explicit choice and is
  taken as written. A range or another pin it contradicts is reported as a conflict; the pin
  is not silently replaced.
* Without a pin, the candidates are the release lines devkit knows (:mod:`.releases`) that
  satisfy every **range** (``requires-python``, ``engines.node``, go.mod's ``go``…) and, when
  possible, every **lock** constraint (a locked package's own ``engines.node``). Among them
  the newest line **CI** tests with wins (CI is the tie-breaker and upper bound: it proves the
  version works); else the newest line. Except: the line the default base image's
  distribution ships (:data:`.releases.DISTRIBUTION`, Debian 13's Python 3.13) wins when it
  fits every range and lock and CI, if any, tests with it too: it comes from apt, with no
  upstream download (which networks without access to python.org/astral cannot make).
* Lock constraints that no current release satisfies (old packages with an upper bound) are
  ignored: npm and pnpm only warn about those.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from devkit.detect import releases, specs
from devkit.detect.model import CI, LOCK, PIN, RANGE, Conflict, Constraint, Resolved, Source
from devkit.detect.specs import Predicate, Version

#: Why a range resolved to the distribution's own line.
DISTRO_REASON = f"the {releases.DISTRIBUTION_NAME} version, which fits (from apt, no download)"

#: Pins that are words, not numbers, kept as written (rustup channels).
_WORD_PINS = {"stable", "beta", "nightly"}


def resolve(
    tool: str, constraints: Sequence[Constraint], conflicts: list[Conflict], warnings: list[str]
) -> Resolved | None:
    """The version of ``tool`` the constraints call for (None when there are none).

    Conflicts found are appended to ``conflicts``; constraints that cannot be read are
    reported in ``warnings`` and ignored.
    """
    if not constraints:
        return None
    usable: list[tuple[Constraint, Predicate]] = []
    pins: list[tuple[Constraint, str]] = []
    ci_lines: list[tuple[Constraint, Version]] = []
    for c in constraints:
        if c.kind == PIN:
            value = _pin_value(tool, c.spec)
            if value is None:
                warnings.append(f"{c.source}: {c.spec!r} is not a {tool} version devkit knows")
            else:
                pins.append((c, value))
        elif c.kind == CI:
            version = _ci_version(tool, c.spec)
            if version is not None:
                ci_lines.append((c, version))
        else:
            predicate = _range(tool, c.spec)
            if predicate is None:
                warnings.append(
                    f"{c.source}: {c.spec!r} is not a {tool} version range devkit understands"
                )
            else:
                usable.append((c, predicate))
    ranges = [(c, p) for c, p in usable if c.kind == RANGE]
    locks = [(c, p) for c, p in usable if c.kind == LOCK and _current(tool, p)]
    kept = tuple(c for c in constraints if c.kind != LOCK) + tuple(c for c, _ in locks[:10])
    result: Resolved | None
    if pins:
        result = _from_pin(tool, pins, ranges, locks, kept, conflicts)
    else:
        result = _from_ranges(tool, ranges, locks, ci_lines, kept, conflicts, warnings)
    version = specs.parse_version(result.value) if result and result.value else None
    line = releases.line_of(tool, version) if version else None
    if result and line and line.eol:
        warnings.append(
            f"{tool} {result.value} ({result.source}) is past its end of life; "
            f"--data {tool}_version=VERSION chooses another"
        )
    return result


def _from_pin(
    tool: str,
    pins: list[tuple[Constraint, str]],
    ranges: list[tuple[Constraint, Predicate]],
    locks: list[tuple[Constraint, Predicate]],
    kept: tuple[Constraint, ...],
    conflicts: list[Conflict],
) -> Resolved:
    chosen, value = pins[0]
    version = specs.parse_version(value)
    for other, other_value in pins[1:]:
        other_version = specs.parse_version(other_value)
        same = value == other_value or (
            version is not None
            and other_version is not None
            and (
                specs.prefix_match(version, other_version)
                or specs.prefix_match(other_version, version)
            )
        )
        if not same:
            conflicts.append(
                Conflict(
                    f"{tool} version",
                    f"{chosen.source} pins {tool} {value} but {other.source} pins {other_value}; "
                    f"using {value}",
                    (str(chosen.source), str(other.source)),
                )
            )
    if version is not None:
        probe = _newest_in(tool, version)
        for c, predicate in [*ranges, *locks]:
            if not predicate(probe):
                # A pinned line ("26") installs its newest release: say so when only that
                # release is outside the range (engines: 26 <26.3.1).
                partly = probe != version and predicate(version)
                what = f"{value} (newest release {specs.show(probe)})" if partly else value
                conflicts.append(
                    Conflict(
                        f"{tool} version",
                        f"{chosen.source} pins {tool} {what}, which {c.source} does not allow "
                        f"({c.spec}); using {value}",
                        (str(chosen.source), str(c.source)),
                    )
                )
    return Resolved(value, chosen.source, "pinned", kept)


def _from_ranges(
    tool: str,
    ranges: list[tuple[Constraint, Predicate]],
    locks: list[tuple[Constraint, Predicate]],
    ci_lines: list[tuple[Constraint, Version]],
    kept: tuple[Constraint, ...],
    conflicts: list[Conflict],
    warnings: list[str],
) -> Resolved | None:
    lines = releases.LINES.get(tool)
    if lines is None:  # no release table (Rust): a minimum is met by the stable channel
        if ranges:
            return Resolved("stable", ranges[0][0].source, "newest stable release", kept)
        if ci_lines:
            c, version = ci_lines[-1]
            return Resolved(specs.show(version), c.source, "the version CI tests with", kept)
        return None
    ok = [line for line in lines if all(p(line.newest) for _, p in ranges)]
    if ranges and not ok:
        conflicts.append(
            Conflict(
                f"{tool} version",
                "no release satisfies every constraint: "
                + "; ".join(f"{c.source} says {c.spec}" for c, _ in ranges)
                + f"; following {ranges[0][0].source}",
                tuple(str(c.source) for c, _ in ranges),
            )
        )
        ok = [line for line in lines if ranges[0][1](line.newest)]
        if not ok:
            return None
    with_locks = [line for line in ok if all(p(line.newest) for _, p in locks)]
    if locks and not with_locks:
        warnings.append(
            f"no {tool} release line satisfies every locked package: "
            + ", ".join(f"{c.source} needs {c.spec}" for c, _ in locks[:3])
        )
    ok = with_locks or ok
    distro = releases.distribution_line(tool)
    tested = [
        (line, c)
        for c, version in ci_lines
        for line in ok
        if specs.prefix_match(line.line, version) or specs.prefix_match(version, line.line)
    ]
    if tested:
        line, c = max(tested, key=lambda pair: pair[0].line)
        on_distro = [c for line, c in tested if line is distro]
        if distro is not None and on_distro and line is not distro:
            return Resolved(specs.show(distro.line), on_distro[0].source, DISTRO_REASON, kept)
        return Resolved(
            specs.show(line.line), c.source, "newest version CI tests with that fits", kept
        )
    if not ranges and not locks:
        return None
    source = ranges[0][0].source if ranges else _binding(locks, lines)
    if distro is not None and distro in ok:
        return Resolved(specs.show(distro.line), source, DISTRO_REASON, kept)
    preferred = [line for line in ok if line.chosen_for_ranges] or ok
    return Resolved(specs.show(preferred[-1].line), source, "newest release line that fits", kept)


def _binding(locks: list[tuple[Constraint, Predicate]], lines: Sequence[releases.Line]) -> Source:
    """The locked package that rules out the most release lines (the one that decided), or
    the lock file itself when none rules out any."""
    constraint, predicate = max(locks, key=lambda pair: sum(not pair[1](x.newest) for x in lines))
    if all(predicate(x.newest) for x in lines):
        return Source(constraint.source.file, detail="engines of the locked packages")
    return constraint.source


def _pin_value(tool: str, spec: str) -> str | None:
    """A pin as the answer's value: ``v22.9.0`` → ``22.9.0``, ``lts/iron`` → ``20``."""
    text = spec.strip()
    lowered = text.lower()
    if tool == "node":
        if lowered in ("lts/*", "lts", "node", "stable", "latest", "current"):
            lts = [line for line in releases.NODE if line.chosen_for_ranges]
            return specs.show(lts[-1].line)
        if lowered.startswith("lts/"):
            major = releases.NODE_LTS_NAMES.get(lowered[4:])
            return str(major) if major else None
    if tool == "rust" and (lowered in _WORD_PINS or lowered.split("-", 1)[0] in _WORD_PINS):
        return lowered
    if tool == "java":  # vendor prefixes: temurin-21.0.2+13, openjdk-17; a JDK is a major
        match = re.search(r"\d+(?:\.\d+)*", text)
        version = specs.java_version(match.group(0)) if match else None
        return str(version[0]) if version else None
    version = specs.parse_version(text)
    return specs.show(version) if version else None


def _ci_version(tool: str, spec: str) -> Version | None:
    """A CI matrix entry as a version: ``3.12`` → (3, 12), ``20.x`` → (20,), ``lts/*`` → LTS."""
    text = spec.strip().lower().removesuffix(".x")
    if tool == "node" and (text.startswith("lts") or text in ("node", "latest", "current")):
        value = _pin_value("node", text)
        return specs.parse_version(value) if value else None
    if tool == "go" and text in ("stable", "oldstable"):
        lines = releases.GO
        return (lines[-1] if text == "stable" else lines[-2]).line
    if tool == "java":
        return specs.java_version(text)
    return specs.parse_version(text)


def _range(tool: str, spec: str) -> Predicate | None:
    if tool == "python":
        return specs.python_spec(spec)
    if tool == "node":
        return specs.node_range(spec)
    if tool == "java":
        minimum = specs.java_version(spec)
    elif tool == "dotnet":
        minimum = specs.parse_version(spec.lower().removeprefix("netcoreapp").removeprefix("net"))
    else:
        minimum = specs.parse_version(spec)
    return specs.at_least(minimum) if minimum else None


def _current(tool: str, predicate: Predicate) -> bool:
    """Whether a lock constraint allows the newest release line at all (else it is stale)."""
    lines = releases.LINES.get(tool)
    return bool(lines) and predicate(releases.newest_line(tool).newest)


def _newest_in(tool: str, version: Version) -> Version:
    """The newest known release in the line a pin names (``3.12`` → 3.12.12), else the pin."""
    line = releases.line_of(tool, version)
    return line.newest if line and len(version) <= len(line.line) else version
