"""The Go stack: go.mod's ``go`` line (the minimum) and ``toolchain`` line (a pin), go.work.

Go 1.21 and later refuse a module whose ``go`` line is newer than themselves (unless they may
download a toolchain, which a dev container should not need), so the line is a hard minimum.
"""

from __future__ import annotations

import re

from devkit.detect.context import Context
from devkit.detect.model import PIN, RANGE, Constraint, Source, Stack

_GO_LINE = re.compile(r"^go\s+(\S+)\s*$")
_TOOLCHAIN_LINE = re.compile(r"^toolchain\s+(\S+)\s*$")


def detect(ctx: Context) -> Stack | None:
    """The Go stack, or None without a go.mod or go.work at the root."""
    repo, pins, ci = ctx.repo, ctx.pins, ctx.ci
    roots = [f for f in ("go.work", "go.mod") if repo.is_file(f)]
    if not roots:
        return None
    stack = Stack("go", evidence=roots)
    toolchains: list[Constraint] = []
    minimums: list[Constraint] = []
    modules = ["."]
    for rel in roots:
        text = repo.text(rel) or ""
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("//", 1)[0].strip()
            if (match := _TOOLCHAIN_LINE.match(line)) and match.group(1) != "default":
                toolchains.append(Constraint("go", match.group(1), PIN, Source(rel, number)))
            elif match := _GO_LINE.match(line):
                minimums.append(Constraint("go", match.group(1), RANGE, Source(rel, number)))
        if rel == "go.work":
            modules = _work_modules(text)
    # The toolchain line is what the go command itself switches to: it comes first.
    found = [*toolchains, *pins.get("go", []), *minimums, *ci.get("go", [])]
    stack.version = ctx.resolve("go", found)
    manifests = [f for f in ("go.work", "go.work.sum") if repo.is_file(f)]
    for module in modules:
        prefix = "" if module in (".", "./") else module.removeprefix("./").rstrip("/") + "/"
        manifests += [f"{prefix}{f}" for f in ("go.mod", "go.sum") if repo.is_file(f"{prefix}{f}")]
    stack.manifests = list(dict.fromkeys(manifests))
    return stack


def _work_modules(text: str) -> list[str]:
    """The module folders a go.work ``use``s (one line or a parenthesised block)."""
    modules: list[str] = []
    block = False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if line.startswith("use ("):
            block = True
            continue
        if block:
            if line == ")":
                block = False
            elif line:
                modules.append(line)
        elif line.startswith("use "):
            modules.append(line[4:].strip())
    return modules or ["."]
