"""The ``deps`` scenario's edit: one real, small package of the project's ecosystem added to its
dependency manifest the way its package manager would add it, and the lockfile brought in line
where the manager installs from it.

=========================  ==========================================================
manifest (manager)         what is added
=========================  ==========================================================
``requirements*.txt``      a line ``six>=1.16`` (pip has no ``add``: a user writes it)
``pyproject.toml`` (pip)   ``"six>=1.16"`` in ``[project] dependencies`` (as ``uv add``)
``pyproject.toml`` (uv)    the same, and ``uv.lock`` re-locked with ``uv lock``
``pyproject.toml`` poetry  ``[project] dependencies`` or ``[tool.poetry.dependencies]``,
                           and ``poetry.lock`` re-locked with ``poetry lock``
``package.json``           ``"ms": "^2.1.3"`` in ``dependencies`` (keys sorted, as npm
                           saves them), and ``package-lock.json`` / ``pnpm-lock.yaml`` /
                           ``yarn.lock`` updated by the manager (lockfile only)
other manifests            a comment line: no real entry (Go needs ``go.sum`` lines from a
                           module proxy, and so on)
=========================  ==========================================================

A package already named in the manifest is skipped for the next candidate. Every edit also
carries the run's token (a comment; in ``package.json``, which has no comments, a top-level
``"devkitBench"`` field), so each repeat changes the manifest's bytes and no build can reuse the
layers of an earlier repeat.

A lockfile is updated by running its manager on the host, in a scratch copy of the manifest and
lockfile (never in the user's tree). When the manager is not on ``PATH`` or fails, the edit falls
back to a network-free one (a comment, or the ``devkitBench`` field) and says why: with a stale
lock a frozen install (``npm ci``, ``uv sync --frozen``) would fail or not install the package.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devkit.errors import DevkitError

#: Small pure-Python packages with no dependencies of their own, in order of preference.
PYPI_CANDIDATES = (("six", ">=1.16"), ("iniconfig", ">=2.0"), ("text-unidecode", ">=1.3"))
#: Tiny npm packages with no dependencies of their own.
NPM_CANDIDATES = (("ms", "^2.1.3"), ("is-number", "^7.0.0"), ("escape-html", "^1.0.3"))

#: Lockfile, and the command that updates it without installing, per manager.
LOCK_COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "uv": ("uv.lock", ("uv", "lock")),
    "poetry": ("poetry.lock", ("poetry", "lock")),
    "npm": (
        "package-lock.json",
        ("npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"),
    ),
    "pnpm": ("pnpm-lock.yaml", ("pnpm", "install", "--lockfile-only", "--ignore-scripts")),
    "yarn": ("yarn.lock", ("yarn", "install", "--mode=update-lockfile")),
}
#: How long a lockfile update may take before the edit falls back.
LOCK_TIMEOUT = 300

#: Runs a lock command in a folder; returns (exit code, output). Replaced in tests.
LockRunner = Callable[[list[str], Path], tuple[int, str]]


@dataclass
class DependencyEdit:
    """What the ``deps`` scenario writes: new content per file (the manifest first)."""

    files: dict[Path, bytes]
    description: str
    #: The manager whose manifest is edited (pip, uv, poetry, npm, pnpm, yarn, go, …).
    manager: str
    #: The entry added (``six>=1.16``), or None when no real package was added.
    package: str | None = None
    #: The lockfile updated with it, if any.
    lockfile: Path | None = None
    notes: list[str] = field(default_factory=list)


def manager_of(manifest: Path) -> str:
    """The package manager that owns ``manifest``, from the files beside it."""
    name, folder = manifest.name, manifest.parent
    if name.endswith(".txt"):
        return "pip"
    if name == "pyproject.toml":
        if (folder / "uv.lock").is_file():
            return "uv"
        text = _read(manifest)
        if (folder / "poetry.lock").is_file() or re.search(r"^\[tool\.poetry", text, re.M):
            return "poetry"
        return "pip"
    if name == "package.json":
        if (folder / "pnpm-lock.yaml").is_file():
            return "pnpm"
        if (folder / "yarn.lock").is_file():
            return "yarn"
        try:
            declared = json.loads(_read(manifest)).get("packageManager", "")
        except (json.JSONDecodeError, AttributeError):
            declared = ""
        for manager in ("pnpm", "yarn"):
            if isinstance(declared, str) and declared.startswith(manager + "@"):
                return manager
        return "npm"
    return {"go.mod": "go", "Cargo.toml": "cargo", "Gemfile": "bundler"}.get(name, name)


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def _enc(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def choose_package(text: str, candidates: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """The first candidate whose name the manifest does not mention yet."""
    lowered = text.lower()
    for name, spec in candidates:
        if not re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", lowered):
            return name, spec
    raise DevkitError(
        "the manifest already names every package devkit bench could add "
        f"({', '.join(n for n, _ in candidates)}); pass --dep-line"
    )


class DependencyPlan:
    """Decides the ``deps`` edit once per run (the lockfile update is the slow part) and
    applies it with a fresh token each time (:meth:`edit`)."""

    def __init__(
        self, manifest: Path, line: str | None = None, runner: LockRunner | None = None
    ) -> None:
        self.manifest = manifest
        self.line = line
        self.manager = manager_of(manifest)
        self._runner = runner or run_lock_command
        self._lock: tuple[Path, bytes] | None = None
        self._fallback: str | None = None
        self._package: tuple[str, str] | None = None
        if line is None:
            self._prepare()

    def _prepare(self) -> None:
        text = _read(self.manifest)
        if self.manager in ("pip", "uv", "poetry"):
            self._package = choose_package(text, PYPI_CANDIDATES)
        elif self.manager in ("npm", "pnpm", "yarn"):
            self._package = choose_package(text, NPM_CANDIDATES)
        else:
            return
        if real_edit(self.manifest, self.manager, self._package, "lock") is None:
            self._package = None
            return
        lock = LOCK_COMMANDS.get(self.manager)
        if lock is None or not (self.manifest.parent / lock[0]).is_file():
            return
        lock_path = self.manifest.parent / lock[0]
        new_lock, why = self._relock(lock_path, lock[1])
        if new_lock is None:
            self._fallback = why
            self._package = None
        else:
            self._lock = (lock_path, new_lock)

    def _relock(self, lock_path: Path, command: tuple[str, ...]) -> tuple[bytes | None, str]:
        """The lockfile after adding the package, made in a scratch copy."""
        if shutil.which(command[0]) is None:
            return None, f"{lock_path.name} cannot be updated: {command[0]} is not on PATH"
        assert self._package is not None
        edited = real_edit(self.manifest, self.manager, self._package, "lock")
        assert edited is not None
        with tempfile.TemporaryDirectory(prefix="devkit-bench-lock-") as tmp:
            scratch = Path(tmp)
            (scratch / self.manifest.name).write_bytes(edited)
            shutil.copyfile(lock_path, scratch / lock_path.name)
            for extra in (".npmrc", ".yarnrc.yml", ".python-version", "README.md"):
                if (self.manifest.parent / extra).is_file():
                    shutil.copyfile(self.manifest.parent / extra, scratch / extra)
            code, output = self._runner(list(command), scratch)
            if code != 0:
                last = [ln for ln in output.splitlines() if ln.strip()][-1:] or ["no output"]
                return None, (
                    f"`{' '.join(command)}` could not update {lock_path.name} "
                    f"(exit {code}: {last[0].strip()[:200]})"
                )
            return (scratch / lock_path.name).read_bytes(), ""

    def edit(self, token: str) -> DependencyEdit:
        """The edit for one build, carrying ``token``."""
        path = self.manifest
        text = _read(path)
        sep = "" if not text or text.endswith("\n") else "\n"
        if self.line is not None:
            return DependencyEdit(
                {path: _enc(text + sep + self.line + "\n")},
                f"added {self.line!r}",
                self.manager,
                package=self.line,
            )
        if self._package is not None:
            data = real_edit(path, self.manager, self._package, token)
            assert data is not None
            name, spec = self._package
            files = {path: data}
            desc = f"added {self.manager} package '{name}{spec}'"
            lockfile = None
            if self._lock is not None:
                lockfile, lock_data = self._lock
                files[lockfile] = lock_data
                desc += f", {lockfile.name} updated by `{LOCK_COMMANDS[self.manager][1][0]}`"
            if path.name == "package.json":
                desc += " (and a 'devkitBench' field that makes each run's manifest differ)"
            return DependencyEdit(files, desc, self.manager, f"{name}{spec}", lockfile)
        data, desc = network_free_edit(path, token)
        why = self._fallback or _no_real_entry(self.manager)
        return DependencyEdit({path: data}, f"{desc}: {why}", self.manager)


def _no_real_entry(manager: str) -> str:
    if manager == "go":
        return (
            "no real module is added for Go (a new requirement needs go.sum lines from a "
            "module proxy); the layers from go.mod's COPY on rebuild as for one, minus the "
            "download"
        )
    if manager in ("pip", "uv", "poetry"):
        return "pyproject.toml has no dependencies list to add a package to"
    if manager in ("npm", "pnpm", "yarn"):
        return "no package could be added"
    return f"devkit bench adds no real package to {manager} manifests"


def real_edit(path: Path, manager: str, package: tuple[str, str], token: str) -> bytes | None:
    """The manifest with ``package`` added as ``manager`` would add it, or None when this
    manifest has no place for it (a pyproject.toml without a dependencies list)."""
    text = _read(path)
    sep = "" if not text or text.endswith("\n") else "\n"
    name, spec = package
    mark = f"added by devkit bench {token}"
    if path.name.endswith(".txt"):
        return _enc(text + sep + f"{name}{spec}  # {mark}\n")
    if path.name == "pyproject.toml":
        if manager == "poetry" and not re.search(r"^\[project\]", text, re.M):
            table = re.search(r"^\[tool\.poetry\.dependencies\][^\n]*\n", text, re.M)
            if table is None:
                return None
            insert = f'{name} = "{spec}"  # {mark}\n'
            return _enc(text[: table.end()] + insert + text[table.end() :])
        match = re.search(r"^dependencies\s*=\s*\[", text, re.M)
        if match is None:
            return None
        # One entry on a line of its own: valid TOML whether the list was empty, on one
        # line or on several (a comment may end the line; the rest of the list follows).
        insert = f'\n    "{name}{spec}",  # {mark}\n'
        return _enc(text[: match.end()] + insert + text[match.end() :])
    if path.name == "package.json":
        doc = _json_object(path, text)
        deps = doc.get("dependencies")
        if deps is not None and not isinstance(deps, dict):
            raise DevkitError(f"{path}: 'dependencies' is not an object")
        merged = dict(deps or {})
        merged[name] = spec
        doc["dependencies"] = dict(sorted(merged.items()))  # npm saves them sorted
        if token != "lock":
            doc["devkitBench"] = token
        return (json.dumps(doc, indent=_json_indent(text), ensure_ascii=False) + "\n").encode()
    return None


def network_free_edit(path: Path, token: str) -> tuple[bytes, str]:
    """An edit that changes the manifest's bytes but adds nothing to download."""
    text = _read(path)
    sep = "" if not text or text.endswith("\n") else "\n"
    name = path.name
    if name.endswith(".json"):
        doc = _json_object(path, text)
        doc["devkitBench"] = token
        new = json.dumps(doc, indent=_json_indent(text), ensure_ascii=False) + "\n"
        return new.encode(), "field 'devkitBench' added"
    if name == "pom.xml" or name.endswith(".csproj"):
        return _enc(text + sep + f"<!-- edited by devkit bench {token} -->\n"), "comment added"
    comment = "//" if name in ("go.mod", "build.gradle", "build.gradle.kts") else "#"
    return _enc(text + sep + f"{comment} edited by devkit bench {token}\n"), "comment added"


def _json_object(path: Path, text: str) -> dict[str, object]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DevkitError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise DevkitError(f"{path} is not a JSON object")
    return doc


def _json_indent(text: str) -> int:
    match = re.search(r"^\{\s*\n( +)\"", text)
    return len(match.group(1)) if match else 2


def run_lock_command(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run a lockfile update; (exit code, combined output). Never raises for the tool's own
    failure: the caller falls back and says why."""
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=LOCK_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return 124, f"no answer after {LOCK_TIMEOUT} s"
    except OSError as exc:
        return 127, str(exc)
    return proc.returncode, proc.stdout
