"""One audit of a repository: find and read its files, run every rule family of the registry,
and return the findings that no ``--ignore`` or inline comment silences."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from devkit.dockerfile import Dockerfile, parse_file, parse_text
from devkit.doctor import rules
from devkit.doctor.discover import discover
from devkit.doctor.model import SEVERITIES, WARNING, BuildKitProbe, ContextSize, Finding, Report
from devkit.doctor.parse import LineError
from devkit.doctor.project import Build, read_project
from devkit.errors import DevkitError, UsageError
from devkit.units import human_size


class Audit:
    """One audit run: reads the files, applies every rule, collects findings and sizes.

    It is the :class:`devkit.doctor.model.Run` the rule families and readers are given.
    """

    def __init__(self, root: Path, buildkit: BuildKitProbe | None) -> None:
        self.root = root
        self.buildkit = buildkit
        self.findings: list[Finding] = []
        self.contexts: list[ContextSize] = []
        self.files: set[str] = set()
        self.parsed: dict[Path, Dockerfile] = {}
        #: Source lines of every file read, by its name in findings: each file is read once,
        #: and the ``devkit-doctor: ignore=`` comments are looked up here.
        self.lines: dict[str, list[str]] = {}
        self._names: dict[Path, str] = {}

    def rel(self, path: Path) -> str:
        """``path`` relative to the root when it is inside (as findings name files)."""
        name = self._names.get(path)
        if name is None:
            try:
                name = path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                name = str(path)
            self._names[path] = name
        return name

    def add(
        self,
        rule: str,
        file: Path | str,
        line: int | None,
        message: str,
        severity: str | None = None,
    ) -> None:
        """Record a finding of rule id ``rule`` (at the rule's own severity unless given)."""
        about = rules.RULES[rule]
        name = file if isinstance(file, str) else self.rel(file)
        self.findings.append(Finding(rule, severity or about.severity, name, line, message, about))

    def read(self, path: Path) -> str:
        """The text of ``path``; raises :class:`LineError` when it cannot be read or is not
        UTF-8 (JSON and YAML files must be), which callers report as DK000 like any other
        file that cannot be parsed.
        """
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            # A finding like any file that cannot be parsed: the rest of the audit goes on.
            raise LineError(f"cannot read it: {exc.strerror or exc}", None) from exc
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            raise LineError(f"not UTF-8 text (byte {exc.start})", line) from None
        self.lines[self.rel(path)] = text.splitlines()
        return text

    def dockerfile(self, build: Build) -> Dockerfile | None:
        """Parse the Dockerfile ``build`` builds, once (DK000 and None when it cannot be).

        An inline one (compose ``dockerfile_inline``) is parsed from its text, numbered as
        the lines of the compose file that holds it.
        """
        key = build.key
        if key in self.parsed:
            return self.parsed[key]
        path = build.dockerfile.resolve()
        if build.inline is not None:
            try:
                parsed = parse_text(build.inline, path=path, build_args=build.args)
            except DevkitError as exc:
                self.add(
                    rules.DK000.id,
                    path,
                    build.origin[1] if build.origin else None,
                    "dockerfile_inline: " + str(exc).replace(f"{path}: ", ""),
                )
                return None
            self.parsed[key] = parsed
            return parsed
        self.files.add(self.rel(path))
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # parse_file says why it cannot be read
        if size > MAX_DOCKERFILE_BYTES:
            # Not wrong (Docker may well build it), just more than doctor reads: a warning,
            # and the rest of the report stays complete.
            self.add(
                rules.DK000.id,
                path,
                None,
                f"not audited: {human_size(size)}, more than the {human_size(MAX_DOCKERFILE_BYTES)}"
                " doctor reads of a Dockerfile",
                WARNING,
            )
            return None
        try:
            parsed = parse_file(path, build_args=build.args)
        except DevkitError as exc:
            message = str(exc).replace(f"cannot read {path}: ", "cannot read it: ")
            self.add(rules.DK000.id, path, None, message.replace(f"{path}: ", ""))
            return None
        self.parsed[key] = parsed
        self.lines[self.rel(path)] = parsed.lines
        return parsed

    def missing_dockerfile(self, build: Build) -> None:
        """DK000 for a declared Dockerfile that is not there (or a dangling symlink): the
        build would fail, and an audit that silently skips it would call the repo clean."""
        what = "is a dangling symlink" if build.dockerfile.is_symlink() else "does not exist"
        if build.dockerfile.exists():
            what = "is not a regular file"
        absolute = Path(os.path.normpath(build.dockerfile.absolute()))
        inside = absolute.is_relative_to(self.root)
        name = absolute.relative_to(self.root).as_posix() if inside else str(absolute)
        if build.origin is None:
            self.files.add(name)
            self.add(rules.DK000.id, name, None, f"Dockerfile {what}")
        else:
            self.add(
                rules.DK000.id,
                build.origin[0],
                build.origin[1],
                f"the build's Dockerfile {name} {what}",
            )

    def run(self) -> None:
        """Read the repository, parse every Dockerfile it builds, run every rule family."""
        project = read_project(self, *discover(self.root))
        for b in project.builds:
            if not b.exists():
                self.missing_dockerfile(b)
        for builds in project.built().values():
            self.dockerfile(builds[0])
        for family in rules.FAMILIES:
            family.check(self, project)


#: The largest Dockerfile an audit reads: 80 times the largest of 60 real repositories
#: (12 kB); a generated 50 MB one took minutes to read word by word.
MAX_DOCKERFILE_BYTES = 1_000_000

#: ``# devkit-doctor: ignore=DK002,DK006`` on a finding's line or the line above it.
_SUPPRESS = re.compile(r"devkit-doctor:\s*ignore=([A-Za-z0-9, ]+)")


def audit(
    path: str | Path,
    *,
    buildkit: BuildKitProbe | None = rules.buildkit_status,
    ignore: Iterable[str] = (),
) -> Report:
    """Audit the repository at ``path``; return every finding, sorted by file and line.

    ``buildkit`` is called (at most once, only when there is a Dockerfile) for rule DK001;
    pass ``None`` to skip that rule, or a fake returning :class:`BuildKitStatus` in tests.
    ``ignore`` lists rule ids to leave out. A finding is also left out when its line, or the
    line above it, has a comment ``devkit-doctor: ignore=<ID>[,<ID>…]``.
    Raises :class:`DevkitError` when ``path`` is not a directory or a rule id is unknown.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise DevkitError(f"{root}: no such directory")
    if not root.is_dir():
        raise DevkitError(f"{root} is not a directory (give the repository's folder)")
    try:
        with os.scandir(root):
            pass
    except OSError as exc:  # else "nothing to audit" would read as a clean bill of health
        raise DevkitError(f"cannot read {root}: {exc.strerror or exc}") from exc
    skip = {rule.strip().upper() for rule in ignore if rule.strip()}
    unknown = sorted(skip - set(rules.RULES))
    if unknown:
        # A usage error (exit 2): exit 1 means "the audit found errors" to a CI script.
        known = ", ".join(rules.RULES)
        raise UsageError(f"unknown rule id {', '.join(unknown)} (known: {known})")
    auditor = Audit(root.resolve(), buildkit)
    auditor.run()
    order = {sev: i for i, sev in enumerate(SEVERITIES)}
    kept = [
        f
        for f in dict.fromkeys(auditor.findings)
        if f.rule not in skip and not _suppressed(root.resolve(), f, auditor.lines)
    ]
    findings = sorted(kept, key=lambda f: (f.file, f.line or 0, order[f.severity], f.rule))
    return Report(
        root=root.resolve(),
        findings=findings,
        contexts=auditor.contexts,
        files=sorted(auditor.files),
    )


def _suppressed(root: Path, finding: Finding, cache: dict[str, list[str]]) -> bool:
    """Whether an inline ``devkit-doctor: ignore=`` comment silences ``finding``.

    ``cache`` holds the lines of the files the audit read; any other file is read here once.
    """
    if not finding.line:
        return False
    if finding.file not in cache:
        try:
            cache[finding.file] = (root / finding.file).read_text(errors="replace").splitlines()
        except OSError:
            cache[finding.file] = []
    text = cache[finding.file]
    for number in (finding.line - 1, finding.line):  # the line above, and the line itself
        if 1 <= number <= len(text):
            match = _SUPPRESS.search(text[number - 1])
            if match and finding.rule in {r.strip().upper() for r in match.group(1).split(",")}:
                return True
    return False
