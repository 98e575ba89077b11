"""`devkit bench`: what a Dockerfile costs to build, scenario by scenario.

Scenarios (in this order, per repeat):

``cold``
    No layer cache and empty cache mounts *for this Dockerfile only*: the build runs from a
    temporary copy of the Dockerfile whose ``--mount=type=cache`` ids carry a suffix unique to
    this run, Dockerfile and repeat, with ``--no-cache``. Nobody else's build cache is
    touched: at the end only cache-mount records whose description carries this run's token
    (appended to their RUN as a shell comment) are pruned.
``noop``
    The same build again, nothing changed. (Without ``cold``, the cache-mount ids are left as
    they are and each repeat starts with an unmeasured warm-up build, so this is still a real
    no-op.)
``source``
    One source file changed (a comment line appended), then undone. With ``--compare`` each
    Dockerfile gets its own token in the line, so neither reuses the other's fresh layers.
``deps``
    One entry added to the stack's dependency manifest (see :func:`dependency_edit`), then
    undone.

Every build goes through a docker CLI that really uses BuildKit (:mod:`devkit.buildkit`) with
``--progress=plain``; the output is parsed by :mod:`devkit.bench.progress` for steps total and
cached, and bytes of build context transferred. Image size and layer count come from the
engine (docker SDK). Images are tagged ``devkit-bench:<run>-...``, labelled
devkit's managed label and its bench label (value: the run's id; :mod:`devkit.labels`), and
removed right after measuring.

Each Dockerfile is built through its own stable symlink to the context
(:func:`context_alias`), so BuildKit diffs the context against that Dockerfile's previous
build rather than the other one's.

The user's tree is left exactly as it was (content, mode and timestamps), also when a build
fails or the run is interrupted: every edit goes through :class:`TreeGuard`, which journals
the originals so that even a killed run is undone by the next one (:func:`recover`).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devkit import buildcontext, engine
from devkit.bench.progress import BuildProgress, ProgressParser, Vertex
from devkit.buildkit import BuildKitInfo
from devkit.errors import DevkitError, UsageError
from devkit.fsutil import write_atomic
from devkit.labels import BENCH_LABEL, MANAGED_LABEL

SCENARIOS = ("cold", "noop", "source", "deps")
SCENARIO_TITLES = {
    "cold": "cold build",
    "noop": "no-op rebuild",
    "source": "source edit",
    "deps": "dependency change",
    "warmup": "warm-up build",
}
IMAGE_REPO = "devkit-bench"
JSON_FORMAT = 1
DEFAULT_THRESHOLD = 20.0

# Files whose change is a "source edit", and how to write a comment in them.
_COMMENT_STYLES: dict[str, tuple[str, str]] = {
    **{ext: ("# ", "") for ext in (".py", ".rb", ".sh", ".pl", ".r", ".ex", ".exs")},
    **{
        ext: ("// ", "")
        for ext in (
            ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".kt",
            ".cs", ".c", ".h", ".cc", ".cpp", ".hpp", ".scala", ".swift", ".php", ".dart",
        )
    },
    ".css": ("/* ", " */"),
    ".scss": ("// ", ""),
    ".html": ("<!-- ", " -->"),
    ".lua": ("-- ", ""),
    ".sql": ("-- ", ""),
    ".hs": ("-- ", ""),
}  # fmt: skip

# Dependency manifests in order of preference, with how one entry is added.
MANIFESTS = (
    "requirements.txt",
    "pyproject.toml",
    "package.json",
    "go.mod",
    "Cargo.toml",
    "pom.xml",
    "build.gradle.kts",
    "build.gradle",
    "Gemfile",
    "composer.json",
)
_MANIFEST_GLOBS = ("requirements*.txt", "*.csproj")


# --------------------------------------------------------------------------- results


@dataclass
class BuildResult:
    """One build of one Dockerfile in one scenario."""

    target: str
    scenario: str
    repeat: int
    wall_seconds: float
    steps_total: int
    steps_cached: int
    context_transferred: int
    context_size: int
    image_size: int | None
    layers: int | None
    edit: str | None = None
    slowest_steps: list[tuple[str, float]] = field(default_factory=list)

    @property
    def cache_hit_rate(self) -> float | None:
        return self.steps_cached / self.steps_total if self.steps_total else None


@dataclass
class Summary:
    """Median over repeats of one scenario for one Dockerfile."""

    target: str
    scenario: str
    runs: int
    wall_seconds: float
    wall_min: float
    wall_max: float
    steps_total: int
    steps_cached: int
    cache_hit_rate: float | None
    context_transferred: int
    context_size: int
    image_size: int | None
    layers: int | None
    edit: str | None


@dataclass
class Target:
    """A Dockerfile to bench, with its build context and optional target stage."""

    name: str
    dockerfile: Path
    context: Path
    stage: str | None = None


@dataclass
class Report:
    """Everything one ``devkit bench`` run measured."""

    context: str
    buildkit: str
    repeat: int
    targets: list[Target]
    results: list[BuildResult]
    started: float = field(default_factory=time.time)
    #: scenarios left out because there was nothing to edit, with the reason
    skipped: dict[str, str] = field(default_factory=dict)

    def summaries(self) -> list[Summary]:
        """Per (target, scenario): medians over repeats (in scenario order)."""
        out: list[Summary] = []
        for target in self.targets:
            for scenario in SCENARIOS:
                runs = [
                    r for r in self.results if r.target == target.name and r.scenario == scenario
                ]
                if runs:
                    out.append(_summarise(target.name, scenario, runs))
        return out

    def summary(self, target: str, scenario: str) -> Summary | None:
        for s in self.summaries():
            if s.target == target and s.scenario == scenario:
                return s
        return None

    def comparison(self) -> list[dict[str, Any]]:
        """Ratios other/main per scenario (only with two targets)."""
        if len(self.targets) < 2:
            return []
        main, other = self.targets[0].name, self.targets[1].name
        rows: list[dict[str, Any]] = []
        for scenario in SCENARIOS:
            a, b = self.summary(main, scenario), self.summary(other, scenario)
            if a is None or b is None:
                continue
            rows.append(
                {
                    "scenario": scenario,
                    "wall_ratio": _ratio(b.wall_seconds, a.wall_seconds),
                    "context_size_ratio": _ratio(a.context_size, b.context_size),
                    "context_transferred_ratio": _ratio(
                        a.context_transferred, b.context_transferred
                    ),
                    "image_size_ratio": _ratio(a.image_size, b.image_size),
                    "cache_hit_rate": [a.cache_hit_rate, b.cache_hit_rate],
                }
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document (also what ``--baseline`` reads back)."""
        return {
            "format": JSON_FORMAT,
            "tool": "devkit bench",
            "context": self.context,
            "buildkit": self.buildkit,
            "repeat": self.repeat,
            "started": self.started,
            "targets": [
                {
                    "name": t.name,
                    "dockerfile": str(t.dockerfile),
                    "context": str(t.context),
                    "stage": t.stage,
                }
                for t in self.targets
            ],
            "summaries": [asdict(s) for s in self.summaries()],
            "comparison": self.comparison(),
            "skipped": self.skipped,
            "builds": [asdict(r) | {"cache_hit_rate": r.cache_hit_rate} for r in self.results],
        }

    def to_csv(self) -> str:
        """One row per (target, scenario) summary."""
        buffer = io.StringIO()
        names = [f for f in Summary.__dataclass_fields__]
        writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for s in self.summaries():
            writer.writerow(asdict(s))
        return buffer.getvalue()


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def _summarise(target: str, scenario: str, runs: list[BuildResult]) -> Summary:
    walls = [r.wall_seconds for r in runs]

    def med(values: Iterable[int]) -> int:
        return int(statistics.median(list(values)))

    total = med(r.steps_total for r in runs)
    cached = med(r.steps_cached for r in runs)
    sizes = [r.image_size for r in runs if r.image_size is not None]
    layers = [r.layers for r in runs if r.layers is not None]
    return Summary(
        target=target,
        scenario=scenario,
        runs=len(runs),
        wall_seconds=statistics.median(walls),
        wall_min=min(walls),
        wall_max=max(walls),
        steps_total=total,
        steps_cached=cached,
        cache_hit_rate=(cached / total) if total else None,
        context_transferred=med(r.context_transferred for r in runs),
        context_size=med(r.context_size for r in runs),
        image_size=sizes[-1] if sizes else None,
        layers=layers[-1] if layers else None,
        edit=runs[-1].edit,
    )


# --------------------------------------------------------------------------- baseline


@dataclass
class Regression:
    target: str
    scenario: str
    baseline_seconds: float
    seconds: float

    @property
    def percent(self) -> float:
        return (self.seconds / self.baseline_seconds - 1.0) * 100.0


def load_baseline(path: Path) -> dict[str, Any]:
    """Read an earlier ``--json`` file; one clear error if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DevkitError(f"baseline {path} does not exist") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DevkitError(f"baseline {path} is not a devkit bench JSON file: {exc}") from exc
    if not isinstance(data, dict) or data.get("tool") != "devkit bench":
        raise DevkitError(f"baseline {path} is not a devkit bench JSON file (no 'tool' key)")
    if data.get("format") != JSON_FORMAT or not isinstance(data.get("summaries"), list):
        raise DevkitError(f"baseline {path} has an unknown format {data.get('format')!r}")
    return data


def regressions(report: Report, baseline: dict[str, Any], threshold: float) -> list[Regression]:
    """Scenarios whose median wall time is more than ``threshold`` % slower than the baseline.

    Scenarios are matched by target name and scenario; the main Dockerfile also matches the
    baseline's main Dockerfile when the names differ (benching a renamed file). Raises
    DevkitError when no scenario matches at all.
    """
    found: list[Regression] = []
    old: dict[tuple[str, str], float] = {}
    base_targets = [t.get("name") for t in baseline.get("targets", []) if isinstance(t, dict)]
    for entry in baseline["summaries"]:
        try:
            old[(str(entry["target"]), str(entry["scenario"]))] = float(entry["wall_seconds"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DevkitError(f"baseline summary entry is malformed: {entry!r}") from exc
    compared = 0
    for summary in report.summaries():
        key = (summary.target, summary.scenario)
        if key not in old and base_targets and summary.target == report.targets[0].name:
            key = (str(base_targets[0]), summary.scenario)
        if key not in old or old[key] <= 0:
            continue
        compared += 1
        if summary.wall_seconds > old[key] * (1.0 + threshold / 100.0):
            found.append(
                Regression(summary.target, summary.scenario, old[key], summary.wall_seconds)
            )
    if not compared:  # a check that compared nothing must not pass as "no regression"
        raise DevkitError(
            "the baseline has no scenario of this run to compare with (it has "
            + (", ".join(f"{t} {s}" for t, s in old) or "none")
            + ")"
        )
    return found


# --------------------------------------------------------------------------- the tree


@dataclass
class _Original:
    data: bytes
    mode: int
    atime_ns: int
    mtime_ns: int


class TreeGuard:
    """Edits files of the user's tree and puts them back exactly (bytes, mode, times).

    Files are rewritten in place (same inode, the directory is not touched). ``restore()``
    runs on leaving the ``with`` block whatever happened, including KeyboardInterrupt.

    With a ``journal`` path, the originals are also written there (atomically, before the
    first edit) so that a run killed outright (``kill -9``, power loss) can be undone by
    :func:`recover` on the next run; the journal is deleted once everything is restored.
    """

    def __init__(self, journal: Path | None = None) -> None:
        self._originals: dict[Path, _Original] = {}
        self._edited_hash: dict[Path, str] = {}
        self.journal = journal

    def __enter__(self) -> TreeGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def write(self, path: Path, data: bytes) -> None:
        """Replace the content of an existing file, remembering the original first."""
        path = path.resolve()
        if path not in self._originals:
            st = path.stat()
            self._originals[path] = _Original(
                path.read_bytes(), st.st_mode, st.st_atime_ns, st.st_mtime_ns
            )
        self._edited_hash[path] = hashlib.sha256(data).hexdigest()
        self._save_journal()
        with open(path, "r+b") as fh:
            fh.write(data)
            fh.truncate()

    def restore(self) -> None:
        """Put every edited file back; raises DevkitError listing files that could not be."""
        failed: list[str] = []
        for path, original in list(self._originals.items()):
            try:
                _put_back(path, original)
                del self._originals[path]
                self._edited_hash.pop(path, None)
            except OSError as exc:
                failed.append(f"{path}: {exc}")
        if failed:
            raise DevkitError("could not restore edited files: " + "; ".join(failed))
        if self.journal is not None:
            self.journal.unlink(missing_ok=True)

    def _save_journal(self) -> None:
        if self.journal is None:
            return
        entries = [
            {
                "path": str(path),
                "data": base64.b64encode(o.data).decode("ascii"),
                "mode": o.mode,
                "atime_ns": o.atime_ns,
                "mtime_ns": o.mtime_ns,
                "edited_sha256": self._edited_hash.get(path),
            }
            for path, o in self._originals.items()
        ]
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        doc = {"pid": os.getpid(), "host": socket.gethostname(), "files": entries}
        write_atomic(self.journal, json.dumps(doc))


def _put_back(path: Path, original: _Original) -> None:
    with open(path, "r+b") as fh:
        fh.write(original.data)
        fh.truncate()
    os.chmod(path, original.mode & 0o7777)
    os.utime(path, ns=(original.atime_ns, original.mtime_ns))


def _still_running(pid: object, host: object) -> bool:
    """Whether the process that wrote a journal is alive (on this host; elsewhere: assume so)."""
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def context_alias(target: Target) -> Path:
    """A stable symlink to the build context, one per (context, Dockerfile).

    BuildKit sends only what changed since the last build *from the same context path*, and
    keeps one snapshot per path. Two Dockerfiles built alternately from one folder (``--compare``)
    would each find the other's snapshot and re-send their whole context every time; through
    their own alias each is diffed against its own previous build, as in real use. The alias
    lives in devkit's data folder and is reused by later runs (no cache piles up).
    """
    from devkit.resources import data_dir

    key = hashlib.sha256(f"{target.context}\0{target.dockerfile}".encode()).hexdigest()[:16]
    folder = data_dir() / "bench" / "contexts"
    alias = folder / f"{target.context.name or 'root'}-{key}"
    try:
        if alias.is_symlink() and os.readlink(alias) == str(target.context):
            return alias
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():  # aliases of projects that are gone
            if old.is_symlink() and not old.exists():
                old.unlink(missing_ok=True)
        tmp = folder / f".{alias.name}.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(target.context, tmp, target_is_directory=True)
        os.replace(tmp, alias)
    except OSError:
        return target.context  # no symlinks here: measure as is
    return alias


def journal_dir() -> Path:
    """Where in-flight edits are journaled (devkit's data folder)."""
    from devkit.resources import data_dir

    return data_dir() / "bench" / "journal"


def recover(folder: Path | None = None) -> tuple[list[Path], list[Path]]:
    """Undo edits left by a devkit bench run that was killed before it could restore them.

    A file is restored only while it still holds exactly what devkit wrote (checked by hash):
    a file changed since is left alone and reported. Returns (restored, left alone).
    """
    folder = folder or journal_dir()
    restored: list[Path] = []
    skipped: list[Path] = []
    if not folder.is_dir():
        return restored, skipped
    for journal in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(journal.read_text(encoding="utf-8"))
            entries = doc["files"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable: leave it for a human rather than guess
        if _still_running(doc.get("pid"), doc.get("host")):
            continue  # another devkit bench is running right now: its edits are its own
        for entry in entries:
            path = Path(entry["path"])
            try:
                current = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                skipped.append(path)
                continue
            if current != entry.get("edited_sha256"):
                if current != hashlib.sha256(base64.b64decode(entry["data"])).hexdigest():
                    skipped.append(path)
                continue
            original = _Original(
                base64.b64decode(entry["data"]),
                int(entry["mode"]),
                int(entry["atime_ns"]),
                int(entry["mtime_ns"]),
            )
            try:
                _put_back(path, original)
                restored.append(path)
            except OSError:
                skipped.append(path)
        journal.unlink(missing_ok=True)
    return restored, skipped


# --------------------------------------------------------------------------- the context


def context_files(target: Target) -> list[Path]:
    """The regular files the build context sends (:mod:`devkit.buildcontext` decides which)."""
    return buildcontext.sent(target.dockerfile, target.context).regular_files()


def pick_source_file(target: Target, files: Sequence[Path]) -> Path:
    """The file the ``source`` scenario edits: a source file in the context, not a manifest.

    Prefers files under ``src/`` and otherwise the first in path order, so repeated runs pick
    the same one.
    """
    manifests = set(MANIFESTS)
    candidates = []
    for path in files:
        rel = path.relative_to(target.context)
        if rel.parts and rel.parts[0] in (".devcontainer", ".git"):
            continue
        if path.suffix.lower() in _COMMENT_STYLES and path.name not in manifests:
            candidates.append(rel)
    if not candidates:
        raise DevkitError(
            f"no source file to edit in the build context {target.context} "
            "(pass --source-file PATH)"
        )
    candidates.sort(key=lambda rel: (rel.parts[0] != "src", len(rel.parts), str(rel)))
    return target.context / candidates[0]


def source_edit(path: Path, token: str) -> bytes:
    """The file's content with one comment line appended."""
    data = path.read_bytes()
    start, end = _COMMENT_STYLES.get(path.suffix.lower(), ("# ", ""))
    sep = b"" if not data or data.endswith(b"\n") else b"\n"
    return data + sep + f"{start}edited by devkit bench {token}{end}\n".encode()


def pick_manifest(target: Target, files: Sequence[Path]) -> Path:
    """The dependency manifest the ``deps`` scenario edits.

    A manifest named in the Dockerfile (it is copied before the install step) wins; else the
    first of :data:`MANIFESTS` found at the top of the context.
    """
    text = target.dockerfile.read_text(encoding="utf-8", errors="replace")
    top = [p for p in files if p.parent == target.context]
    names = {p.name: p for p in top}
    preferred = [n for n in MANIFESTS if n in names]
    globbed = sorted(
        p.name
        for p in top
        for g in _MANIFEST_GLOBS
        if Path(p.name).match(g) and p.name not in preferred
    )
    ordered = preferred + globbed
    for name in ordered:
        if re.search(rf"(^|[\s/\"'\[,]){re.escape(name)}($|[\s\"',\]])", text, re.MULTILINE):
            return names[name]
    if ordered:
        return names[ordered[0]]
    raise DevkitError(
        f"no dependency manifest ({', '.join(MANIFESTS)}) at the top of {target.context} "
        "(pass --dep-file PATH)"
    )


def dependency_edit(path: Path, token: str, line: str | None = None) -> tuple[bytes, str]:
    """The manifest's content with one entry added, and a description of the edit.

    Without ``line`` the entry is chosen so that installing it needs no network:

    * ``requirements*.txt`` / ``pyproject.toml``: ``pip`` (already installed wherever pip runs,
      so pip reports it satisfied without asking an index), with a comment carrying ``token``
      so that every run changes the file;
    * other manifests have no network-free real entry: a harmless top-level field
      (``package.json``, ``composer.json``) or a comment is added, which still invalidates the
      dependency layers exactly as an added entry does, minus the download of the new package.

    With ``line`` that line is appended verbatim (e.g. ``requests==2.32.3``).
    """
    data = path.read_bytes()
    text = data.decode("utf-8", errors="surrogateescape")
    sep = "" if not text or text.endswith("\n") else "\n"
    name = path.name
    if line is not None:
        return (text + sep + line + "\n").encode("utf-8", "surrogateescape"), f"added {line!r}"
    if name.endswith(".txt"):
        new = text + sep + f"pip  # added by devkit bench {token}\n"
        return new.encode("utf-8", "surrogateescape"), "added entry 'pip' (already installed)"
    if name == "pyproject.toml":
        match = re.search(r"^(dependencies\s*=\s*\[)", text, re.MULTILINE)
        if match:
            insert = f'\n    "pip",  # added by devkit bench {token}'
            new = text[: match.end()] + insert + text[match.end() :]
            desc = "added entry 'pip' to [project] dependencies"
            return new.encode("utf-8", "surrogateescape"), desc
        new = text + sep + f"# edited by devkit bench {token}\n"
        return new.encode("utf-8", "surrogateescape"), "comment added (no dependencies list)"
    if name.endswith(".json"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DevkitError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise DevkitError(f"{path} is not a JSON object")
        doc["devkitBench"] = token
        indent = _json_indent(text)
        new = json.dumps(doc, indent=indent, ensure_ascii=False) + "\n"
        return new.encode(), "field 'devkitBench' added (no network-free dependency entry)"
    if name in ("pom.xml",) or name.endswith(".csproj"):
        new = text + sep + f"<!-- edited by devkit bench {token} -->\n"
        return new.encode("utf-8", "surrogateescape"), "comment added"
    comment = "//" if name in ("go.mod", "build.gradle", "build.gradle.kts") else "#"
    new = text + sep + f"{comment} edited by devkit bench {token}\n"
    return new.encode("utf-8", "surrogateescape"), "comment added"


def _json_indent(text: str) -> int:
    match = re.search(r"^\{\s*\n( +)\"", text)
    return len(match.group(1)) if match else 2


# --------------------------------------------------------------------------- Dockerfile copy

_MOUNT = re.compile(r"--mount=(?P<spec>[^\s\\]+)")
_FLAGS = re.compile(r"^(?:--\S+\s+)*")


@dataclass
class IsolatedDockerfile:
    """A Dockerfile whose cache mounts have ids of their own (see :func:`isolate_cache_mounts`)."""

    text: str
    #: ids of cache mounts whose records carry ``suffix`` in their description (prunable).
    tagged: list[str] = field(default_factory=list)
    #: ids of cache mounts that cannot be told apart from other builds' (left in place).
    untagged: list[str] = field(default_factory=list)


def isolate_cache_mounts(dockerfile_text: str, suffix: str) -> IsolatedDockerfile:
    """Give every ``--mount=type=cache`` its own id ending in ``suffix``, and mark its RUN.

    A mount without ``id`` uses its target as id (BuildKit's default), so the new id is
    ``<target>-<suffix>``. The engine describes a cache-mount record as ``cached mount <target>
    from exec <command>`` (newer BuildKit adds ``with id "<id>"``): to recognise the records
    this copy creates, and only those, a shell comment `` # <suffix>`` is appended to the
    command of each RUN with a cache mount. Exec-form and heredoc RUNs cannot carry it
    without changing what runs: their mounts are listed in ``untagged``.
    """
    from dockerfile_parse import DockerfileParser

    lines = dockerfile_text.splitlines(keepends=True)
    result = IsolatedDockerfile(dockerfile_text)
    parser = DockerfileParser(fileobj=io.BytesIO(dockerfile_text.encode("utf-8")))
    for instruction in parser.structure:
        if instruction["instruction"] != "RUN":
            continue
        first, last = instruction["startline"], instruction["endline"]
        ids: list[str] = []

        def rewrite(match: re.Match[str], ids: list[str] = ids) -> str:
            parts = match.group("spec").split(",")
            fields = dict(p.split("=", 1) for p in parts if "=" in p)
            if fields.get("type") != "cache":
                return match.group(0)
            target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
            new_id = f"{fields.get('id') or target}-{suffix}"
            ids.append(new_id)
            if "id" in fields:
                parts = [f"id={new_id}" if p.startswith("id=") else p for p in parts]
            else:
                parts.append(f"id={new_id}")
            return "--mount=" + ",".join(parts)

        for n in range(first, last + 1):
            lines[n] = _MOUNT.sub(rewrite, lines[n])
        if not ids:
            continue
        command = _FLAGS.sub("", instruction["value"].strip(), count=1)
        if command.startswith("[") or "<<" in command:
            result.untagged += ids
            continue
        body = lines[last].rstrip("\r\n")
        lines[last] = f"{body} # {suffix}" + lines[last][len(body) :]
        result.tagged += ids
    result.text = "".join(lines)
    return result


# --------------------------------------------------------------------------- observer


class Observer:
    """Receives progress while the bench runs (the CLI draws its live view from this)."""

    def build_started(self, target: str, scenario: str, repeat: int, command: list[str]) -> None:
        """A build is about to start."""

    def vertex(self, target: str, scenario: str, vertex: Vertex, progress: BuildProgress) -> None:
        """A progress line updated ``vertex``."""

    def build_finished(self, result: BuildResult) -> None:
        """A build finished and was measured."""

    def planned(self, builds: int) -> None:
        """How many measured builds the run will make (warm-up builds not counted)."""

    def note(self, message: str) -> None:
        """Something the user may want to know (cleanup, restored files)."""


# --------------------------------------------------------------------------- the runner


@dataclass
class BenchOptions:
    """What to run (the CLI fills this from its arguments)."""

    repeat: int = 1
    #: None: every scenario, skipping (with a note) source/deps when there is nothing to edit.
    scenarios: tuple[str, ...] | None = None
    source_file: Path | None = None
    dep_file: Path | None = None
    dep_line: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


class Bench:
    """Runs the scenarios for one or two :class:`Target` s and returns a :class:`Report`."""

    def __init__(
        self,
        targets: Sequence[Target],
        info: BuildKitInfo,
        options: BenchOptions | None = None,
        observer: Observer | None = None,
    ) -> None:
        if not targets:
            raise DevkitError("nothing to bench")
        self.targets = list(targets)
        self.info = info.require()
        self.options = options or BenchOptions()
        self.observer = observer or Observer()
        self.run_id = uuid.uuid4().hex[:10]
        self._images: list[str] = []
        # Cache-mount ids this run gave its Dockerfile copies, prunable or not.
        self._tagged_ids: list[str] = []
        self._untagged_ids: list[str] = []
        self._client: Any = None
        self._context_paths: dict[str, Path] = {}

    # -- public

    def run(self) -> Report:
        """Run every scenario; the tree is restored and our images removed whatever happens."""
        from devkit.engine import connect

        scenarios = list(self.options.scenarios or SCENARIOS)
        for scenario in scenarios:
            if scenario not in SCENARIOS:
                raise DevkitError(f"unknown scenario {scenario!r} (one of {', '.join(SCENARIOS)})")
        restored, skipped = recover()
        for path in restored:
            self.observer.note(f"restored {path}, left edited by an interrupted devkit bench run")
        for path in skipped:
            self.observer.note(
                f"{path} was edited by an interrupted devkit bench run and changed since: "
                "left as it is (look for a line 'by devkit bench')"
            )
        main = self.targets[0]
        sent = {t.name: buildcontext.sent(t.dockerfile, t.context) for t in self.targets}
        files = {name: s.regular_files() for name, s in sent.items()}
        sizes = {name: s.bytes for name, s in sent.items()}
        report = Report(
            context=str(main.context),
            buildkit=self.info.describe(),
            repeat=self.options.repeat,
            targets=self.targets,
            results=[],
        )
        edits: dict[str, Path] = {}
        for scenario, given, pick in (
            ("source", self.options.source_file, pick_source_file),
            ("deps", self.options.dep_file, pick_manifest),
        ):
            if scenario not in scenarios:
                continue
            if given is not None:
                if not given.is_file():
                    raise DevkitError(
                        f"{given} (the file to edit for the {scenario} scenario) does not exist"
                    )
                edits[scenario] = given
                continue
            try:
                edits[scenario] = pick(main, files[main.name])
            except DevkitError as exc:
                if self.options.scenarios is not None:  # asked for by name: an error
                    raise
                scenarios.remove(scenario)
                report.skipped[scenario] = str(exc)
                self.observer.note(f"{SCENARIO_TITLES[scenario]} skipped: {exc}")
        self.observer.planned(len(scenarios) * self.options.repeat * len(self.targets))
        self._client = connect()
        self._context_paths = {t.name: context_alias(t) for t in self.targets}
        # Cache mounts get per-run ids only when a cold build is asked for; otherwise the
        # scenarios run against the user's own cache, as their rebuilds do.
        isolate = "cold" in scenarios
        workdir = Path(tempfile.mkdtemp(prefix=f"devkit-bench-{self.run_id}-"))
        try:
            journal = journal_dir() / f"{self.run_id}.json"
            with TreeGuard(journal) as tree:
                for rep in range(1, self.options.repeat + 1):
                    order = self.targets if rep % 2 else list(reversed(self.targets))
                    copies = {
                        t.name: self._dockerfile_copy(t, workdir / f"r{rep}-{i}", rep, isolate)
                        for i, t in enumerate(self.targets)
                    }
                    if not isolate and (rep == 1 or edits):
                        # Without a cold build first, "no-op" must still follow a build of
                        # this very tree (not of the previous repeat's last edit): warm the
                        # cache up, unmeasured.
                        for target in order:
                            if rep == 1:
                                self.observer.note(f"{target.name}: warm-up build (not measured)")
                            self._build(target, copies[target.name], "warmup", rep, 0)
                    for scenario in scenarios:
                        for target in order:
                            # Each Dockerfile gets its own edit (same line, its own token): with
                            # stages in common, the second would otherwise reuse the layers
                            # the first just built for the very same edit.
                            edit = self._apply(
                                scenario,
                                tree,
                                edits.get(scenario),
                                f"{rep}-{self.targets.index(target)}",
                            )
                            result = self._build(
                                target, copies[target.name], scenario, rep, sizes[target.name]
                            )
                            result.edit = edit
                            report.results.append(result)
                            self.observer.build_finished(result)
                        tree.restore()
        finally:
            try:
                self._cleanup()
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
                self._client.close()
        return report

    # -- scenario edits

    def _apply(self, scenario: str, tree: TreeGuard, path: Path | None, key: str) -> str | None:
        token = f"{self.run_id}-{key}"
        if path is None:
            return None
        if scenario == "source":
            tree.write(path, source_edit(path, token))
            return f"{self._rel(path)}: comment line appended"
        data, desc = dependency_edit(path, token, self.options.dep_line)
        tree.write(path, data)
        return f"{self._rel(path)}: {desc}"

    def _rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.targets[0].context.resolve()))
        except ValueError:
            return str(path)

    def _dockerfile_copy(self, target: Target, folder: Path, rep: int, isolate: bool) -> Path:
        """A copy of the Dockerfile (and its own .dockerignore), with per-run cache-mount ids
        when ``isolate``."""
        folder.mkdir(parents=True)
        new = target.dockerfile.read_text(encoding="utf-8")
        if isolate:
            # One suffix per Dockerfile and repeat: with --compare, B's cold build must not
            # find the cache mounts A's cold build just filled.
            index = self.targets.index(target)
            isolated = isolate_cache_mounts(new, f"{self._token}-{index}-{rep}")
            new = isolated.text
            self._tagged_ids += isolated.tagged
            self._untagged_ids += isolated.untagged
        copy = folder / target.dockerfile.name
        copy.write_text(new, encoding="utf-8")
        specific = target.dockerfile.with_name(target.dockerfile.name + ".dockerignore")
        if specific.is_file():
            shutil.copyfile(specific, folder / specific.name)
        return copy

    # -- one build

    def _build(
        self, target: Target, dockerfile: Path, scenario: str, rep: int, ctx_size: int
    ) -> BuildResult:
        index = self.targets.index(target)
        tag = f"{IMAGE_REPO}:{self.run_id}-{index}-{scenario}-{rep}"
        iidfile = dockerfile.parent / f"iid-{scenario}"
        argv = [
            *self.info.build_command(),
            "--progress=plain",
            "-f",
            str(dockerfile),
            "--iidfile",
            str(iidfile),
            "-t",
            tag,
            "--label",
            f"{MANAGED_LABEL}=true",
            "--label",
            f"{BENCH_LABEL}={self.run_id}",
        ]
        for key, value in self.options.labels.items():
            argv += ["--label", f"{key}={value}"]
        if target.stage:
            argv += ["--target", target.stage]
        if scenario == "cold":
            argv.append("--no-cache")
        argv.append(str(self._context_paths.get(target.name, target.context)))
        self.observer.build_started(target.name, scenario, rep, argv)
        parser = ProgressParser()
        tail: list[str] = []
        self._images.append(tag)
        started = time.monotonic()
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.info.build_env(),
            text=True,
            errors="replace",
            bufsize=1,
        )
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                tail = [*tail[-29:], line.rstrip("\n")]
                vertex = parser.feed(line)
                if vertex is not None:
                    self.observer.vertex(target.name, scenario, vertex, parser.progress)
            code = proc.wait()
        finally:
            _stop(proc)
        wall = time.monotonic() - started
        progress = parser.progress
        if code != 0:
            errors = progress.errors or [ln for ln in tail if ln.strip()][-3:]
            raise DevkitError(
                f"{target.name}: the {SCENARIO_TITLES[scenario]} build failed (exit {code}): "
                + " | ".join(e.strip() for e in errors)[-600:]
            )
        if progress.steps_total == 0:
            raise DevkitError(
                f"{target.name}: the build printed no BuildKit steps; is this BuildKit?"
            )
        size, layers = self._inspect(tag)
        self._remove_image(tag)
        slowest = sorted(
            ((v.instruction[:80], v.duration or 0.0) for v in progress.steps if not v.cached),
            key=lambda item: -item[1],
        )[:3]
        return BuildResult(
            target=target.name,
            scenario=scenario,
            repeat=rep,
            wall_seconds=round(wall, 3),
            steps_total=progress.steps_total,
            steps_cached=progress.steps_cached,
            context_transferred=progress.context_bytes,
            context_size=ctx_size,
            image_size=size,
            layers=layers,
            slowest_steps=slowest,
        )

    # -- engine side

    def _inspect(self, tag: str) -> tuple[int | None, int | None]:
        try:
            attrs = self._client.images.get(tag).attrs
        except engine.DOCKER_ERRORS:
            return None, None
        layers = attrs.get("RootFS", {}).get("Layers") or []
        return int(attrs.get("Size", 0)), len(layers)

    def _remove_image(self, tag: str) -> None:
        """Untag our image (never forced: an identical image someone else tagged survives)."""
        import docker.errors

        try:
            self._client.images.remove(tag, noprune=False)
        except docker.errors.ImageNotFound:
            pass
        except engine.DOCKER_ERRORS as exc:
            self.observer.note(f"could not remove {tag}: {engine.describe(exc)}")
            return
        if tag in self._images:
            self._images.remove(tag)

    def _cleanup(self) -> None:
        """Remove images this run made and the cache mounts its isolated builds created.

        A cache-mount record is pruned only when its description carries this run's token
        (see :func:`isolate_cache_mounts`): never one of another build, whenever it was made.
        """
        for tag in list(self._images):
            self._remove_image(tag)
        if self._untagged_ids:
            self.observer.note(
                "left in the build cache (exec-form or heredoc RUN: their records cannot be "
                "told apart from other builds'): cache mounts " + ", ".join(self._untagged_ids)
            )
        if not self._tagged_ids:
            return
        try:
            records = self._client.api.df().get("BuildCache") or []
        except engine.DOCKER_ERRORS as exc:
            # e.g. a busy engine taking longer than the client's timeout to size its cache
            self.observer.note(
                f"could not list the build cache to prune ours ({engine.describe(exc)}); "
                "left: cache mounts " + ", ".join(self._tagged_ids)
            )
            return
        pruned = 0
        for record in records:
            if record.get("Type") != "exec.cachemount" or record.get("InUse"):
                continue
            if self._token not in str(record.get("Description", "")):
                continue
            try:
                self._client.api.prune_builds(filters={"id": [record["ID"]]})
                pruned += 1
            except engine.DOCKER_ERRORS as exc:
                self.observer.note(
                    f"could not prune cache mount {record['ID']}: {engine.describe(exc)}"
                )
        if pruned:
            self.observer.note(f"pruned {pruned} cache mount(s) this run created")

    @property
    def _token(self) -> str:
        """Marks this run's cache-mount ids and the RUN commands that use them."""
        return f"devkit-bench-{self.run_id}"


def _stop(proc: subprocess.Popen[str]) -> None:
    """Make sure the docker CLI is gone (Ctrl-C: let it cancel the build cleanly first)."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- targets


def default_dockerfile(context: Path) -> tuple[Path, str | None]:
    """The Dockerfile to bench in ``context`` and its target stage.

    ``.devcontainer/Dockerfile`` (target ``dev`` when it has such a stage, as the rendered
    compose file builds), else ``Dockerfile``.
    """
    for rel in (Path(".devcontainer") / "Dockerfile", Path("Dockerfile")):
        path = context / rel
        if path.is_file():
            return path, _stage_if_present(path, "dev")
    raise DevkitError(
        f"no Dockerfile in {context} (looked for .devcontainer/Dockerfile and Dockerfile; "
        "pass --dockerfile)"
    )


def _stage_if_present(dockerfile: Path, stage: str) -> str | None:
    from devkit.dockerfile import parse_file

    try:
        found = parse_file(dockerfile).stage(stage)
    except DevkitError:
        return None  # not a Dockerfile after all: its build says what is wrong
    return stage if found is not None else None


def make_targets(
    context: Path,
    dockerfile: Path | None = None,
    compare: Path | None = None,
    stage: str | None = None,
    compare_stage: str | None = None,
) -> list[Target]:
    """Resolve the CLI's paths into :class:`Target` s (main first, then ``--compare``)."""
    context = context.resolve()
    if not context.is_dir():
        raise DevkitError(f"{context} is not a directory")
    if dockerfile is None:
        main_df, default_stage = default_dockerfile(context)
    else:
        main_df = _existing(dockerfile, context, "Dockerfile")
        default_stage = None
    targets = [Target(_name(main_df, context), main_df, context, stage or default_stage)]
    if compare is not None:
        other = _existing(compare, context, "--compare Dockerfile")
        name = _name(other, context)
        if name == targets[0].name or other == main_df:
            raise UsageError("--compare names the same Dockerfile as the one benched")
        targets.append(Target(name, other, context, compare_stage))
    return targets


def _existing(path: Path, context: Path, what: str) -> Path:
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, context / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise DevkitError(f"{what} {path} does not exist")


def _name(dockerfile: Path, context: Path) -> str:
    try:
        return str(dockerfile.relative_to(context))
    except ValueError:
        return str(dockerfile)
