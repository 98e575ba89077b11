"""Build-context rules: no ``.dockerignore`` (DK008), bulk it leaves in (DK009), secrets sent
(DK010) and COPY of what it excludes (DK014); each context is measured once, as BuildKit
sends it (:mod:`devkit.buildcontext`), for these rules and the report's context table."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from devkit.buildcontext import Context, ignore_file, read_ignore
from devkit.dockerfile import Dockerfile
from devkit.doctor.facts import copies_everything, env_file_secrets
from devkit.doctor.model import ERROR, WARNING, ContextSize, Rule, Run
from devkit.doctor.project import Build, Project
from devkit.doctor.shell import safe_split
from devkit.errors import DevkitError
from devkit.units import human_size, plural


def check(run: Run, project: Project) -> None:
    """Measure every build's context once (per context and ``.dockerignore``) for DK008–DK010,
    then DK014 for each Dockerfile built from it."""
    sent_by_ctx: dict[tuple[Path, Path | None], set[str] | None] = {}
    copies_checked: set[tuple[Path, Path]] = set()
    # Contexts that some Dockerfile copies whole (COPY . …): secrets there reach a layer.
    copied_whole: set[Path] = set()
    for b in project.builds:
        df = run.parsed.get(b.key) if b.exists() else None
        if df is not None and any(
            ins.keyword in ("COPY", "ADD") and not ins.flag("from") and copies_everything(ins)
            for ins in df.instructions
        ):
            copied_whole.add(b.context.resolve())
    for b in project.builds:
        if not b.exists() or not b.context.is_dir():
            continue
        ignore = ignore_file(b.dockerfile, b.context)
        key2 = (b.context.resolve(), ignore.resolve() if ignore else None)
        if key2 not in sent_by_ctx:
            sent_by_ctx[key2] = _context(run, b.context, ignore, key2[0] in copied_whole)
        sent = sent_by_ctx[key2]
        df = run.parsed.get(b.key)
        key3 = (b.key, b.context.resolve())
        if ignore and sent is not None and df is not None and key3 not in copies_checked:
            copies_checked.add(key3)
            _copies(run, b, df, sent, ignore)


# --------------------------------------------------------------------------- DK008 - DK010

DK008 = Rule(
    "DK008",
    "no-dockerignore",
    WARNING,
    "Build context has no .dockerignore",
    "Everything in the context (.git, dependency folders, local secrets) is sent to the "
    "engine on every build and can end up in the image through COPY . .",
    "Add a .dockerignore excluding .git, dependency and build folders, .env and key files.",
)
DK009 = Rule(
    "DK009",
    "dockerignore-leaves-bulk",
    WARNING,
    ".dockerignore leaves .git or dependency folders in the context",
    "They are sent on every build (slow), and COPY . . invalidates the cache whenever they change.",
    "Add the listed paths to .dockerignore.",
)
DK010 = Rule(
    "DK010",
    "secrets-in-context",
    ERROR,
    ".env or key files in the build context",
    "Files in the context can be copied into an image layer by COPY . . and leak to "
    "everyone who can pull it.",
    "Add the listed files to .dockerignore; pass secrets with RUN --mount=type=secret.",
)


def _context(
    run: Run, context: Path, ignore: Path | None, copied_whole: bool = True
) -> set[str] | None:
    """DK008-DK010 for one build context; returns the paths BuildKit sends (None: unreadable).

    Which Dockerfile is built does not change what is sent (see :mod:`devkit.buildcontext`).
    """
    try:
        patterns = read_ignore(ignore) if ignore else []
    except DevkitError:
        patterns = []  # unreadable: measured as if it were empty
    ctx_rel = run.rel(context) or "."
    measured = Context(context)
    total_files, total_bytes = measured.total
    try:
        sent_now = measured.send(patterns)
    except OSError as exc:  # an unreadable folder: Docker could not send it either
        where = Path(exc.filename) if isinstance(exc.filename, str) else context
        run.add(
            "DK000",
            where,
            None,
            f"cannot read this part of build context {ctx_rel}: "
            f"{exc.strerror or exc} (Docker cannot send it either)",
        )
        return None
    except RecursionError:  # docker-py walks folders recursively
        run.add("DK000", context, None, f"build context {ctx_rel} nests folders too deep to read")
        return None
    sent, sent_files, sent_bytes = set(sent_now.paths), sent_now.files, sent_now.bytes
    ignore_rel = run.rel(ignore) if ignore else None
    run.contexts.append(
        ContextSize(ctx_rel, ignore_rel, total_files, total_bytes, sent_files, sent_bytes)
    )
    if ignore:
        run.files.add(ignore_rel or "")
    bulk = _bulky(context, sent)
    # a folder the .dockerignore re-includes by name (`!.git`: a build that reads the git
    # revision) is sent on purpose: DK009 has nothing to tell
    wanted = [b for b in bulk if any(_reincludes(p, b) for p in patterns)]
    # Inside .git or node_modules, test keys of libraries would only be noise: those
    # folders are reported as a whole (DK008/DK009).
    secrets = _secret_files(context, sent, skip=bulk, root=run.root)
    missing = ".dockerignore" if ctx_rel == "." else f"{ctx_rel}/.dockerignore"
    ignore_display = ignore_rel or missing
    if ignore is None:
        _no_ignore(run, measured, ctx_rel, ignore_display, bulk, secrets)
    elif bulk and [b for b in bulk if b not in wanted]:
        bulk = [b for b in bulk if b not in wanted]
        cut_bytes = measured.send([*patterns, *bulk]).bytes
        run.add(
            DK009.id,
            ignore,
            None,
            f"still sends {', '.join(bulk)}: context {ctx_rel} is {human_size(sent_bytes)}, "
            f"{human_size(cut_bytes)} with them ignored "
            f"(no .dockerignore: {human_size(total_bytes)})",
        )
    if secrets:
        shown = ", ".join(secrets[:8]) + (
            f" and {len(secrets) - 8} more" if len(secrets) > 8 else ""
        )
        # Only an error when a COPY . can put them into a layer; otherwise they "only"
        # travel to the builder (maybe a remote one) on every build.
        run.add(
            DK010.id,
            ignore_display,
            None,
            f"context {ctx_rel} sends secret-looking files: {shown}"
            + ("" if copied_whole else " (no COPY . copies them into an image yet)"),
            None if copied_whole else WARNING,
        )
    return sent


#: DK008 without .git or a dependency folder: only when a first .dockerignore would cut at
#: least this many bytes and this share of the context. Below that it changes nothing worth
#: a warning (in 60 real repositories, 1,115 of 1,127 such findings cut nothing at all).
MIN_SAVING_BYTES = 1_000_000
MIN_SAVING_SHARE = 0.10


def _no_ignore(
    run: Run,
    measured: Context,
    ctx_rel: str,
    where: str,
    bulk: list[str],
    secrets: list[str],
) -> None:
    """DK008 for a context without an ignore file, when one would save something real: it
    holds .git or a dependency folder, or the usual suspects are a real share of it. (Secret
    files are DK010's: reported there whatever their size.)"""
    total_files, total_bytes = measured.total
    if not bulk and total_bytes < MIN_SAVING_BYTES:
        return  # nothing to leave out could save enough
    cut = measured.send([*_SUGGESTED, *bulk, *secrets])
    saved_bytes, saved_files = total_bytes - cut.bytes, total_files - cut.files
    real = saved_bytes >= MIN_SAVING_BYTES and saved_bytes >= MIN_SAVING_SHARE * total_bytes
    if not bulk and not real:
        return
    what = ", ".join(bulk) if bulk else "the usual suspects"
    run.add(
        DK008.id,
        where,
        None,
        f"context {ctx_rel} sends {human_size(total_bytes)} in {plural(total_files, 'file')} "
        f"on every build; a .dockerignore leaving out {what} would send {human_size(cut.bytes)} "
        f"({human_size(saved_bytes)} and {plural(saved_files, 'file')} less)",
    )


# What DK008 suggests a first .dockerignore should exclude.
_SUGGESTED = [
    ".git",
    "**/node_modules",
    "**/.venv",
    "**/__pycache__",
    ".env",
    "**/*.pem",
    "**/*.key",
]
_BULK_DIRS = {".git", "node_modules", ".venv", ".tox", ".gradle", ".mypy_cache", ".pytest_cache"}


def _bulky(context: Path, sent: set[str]) -> list[str]:
    """Top-most .git / dependency folders that are sent."""
    found: list[str] = []
    for rel in sorted(sent, key=lambda p: (p.count("/"), p)):
        parts = PurePosixPath(rel).parts
        name = parts[-1]
        if any(rel.startswith(f + "/") for f in found):
            continue
        full = context / rel
        is_dir = full.is_dir() and not full.is_symlink()
        bulky = (
            (name in _BULK_DIRS and (is_dir or name == ".git"))
            or (name == "venv" and is_dir and (full / "pyvenv.cfg").is_file())
            or (
                name == "target"
                and is_dir
                and ((full.parent / "Cargo.toml").is_file() or (full.parent / "pom.xml").is_file())
            )
        )
        if bulky:
            found.append(rel)
    return found


def _reincludes(pattern: str, folder: str) -> bool:
    """Whether ``.dockerignore`` line ``pattern`` re-includes ``folder`` (or what is in it)
    by name: ``!.git``, ``!/.git/``, ``!.git/HEAD``."""
    if not pattern.startswith("!"):
        return False
    name = pattern[1:].strip().lstrip("/").removeprefix("./").rstrip("/")
    return name == folder or name.startswith(folder + "/")


_KEY_NAMES = re.compile(
    r"^(id_(rsa|dsa|ecdsa|ed25519)|.*\.(key|p12|pfx|jks|keystore)|\.netrc|\.pypirc|credentials\.json)$"
)
_ENV_NAME = re.compile(r"^\.env(\..+)?$")
_ENV_EXAMPLE = re.compile(r"\.(example|sample|template|dist|defaults?)$")


def _secret_files(
    context: Path, sent: set[str], skip: Iterable[str] = (), root: Path | None = None
) -> list[str]:
    """Sent files that hold secrets (.env files with a real secret value, private keys,
    tokens), outside ``skip`` and outside test folders (test keys and certificates are
    fixtures: in ``root``'s terms, under ``test/``, ``tests/``, ``testdata/``, ``fixtures/``…)."""
    found: list[str] = []
    skipped = tuple(f"{s}/" for s in skip)
    for rel in sorted(sent):
        if rel.startswith(skipped):
            continue
        full = context / rel
        if not full.is_file():
            continue
        name = full.name
        where = full.relative_to(root).parts if root and full.is_relative_to(root) else ()
        if any(_TEST_DIR.match(part) for part in (*where[:-1], *PurePosixPath(rel).parts[:-1])):
            continue
        secret = False
        if _ENV_NAME.match(name) and not _ENV_EXAMPLE.search(name):
            # a .env of service defaults and placeholders (POSTGRES_PASSWORD=postgres,
            # SECRET_KEY=changethis) is a template in all but name
            secret = bool(env_file_secrets(_head(full).decode("utf-8", errors="replace")))
        elif _KEY_NAMES.match(name):
            head = _head(full)
            secret = b"PRIVATE KEY" in head or not _PUBLIC_KEY.search(head)
        elif name.endswith(".pem") or name == ".npmrc":
            head = _head(full)
            secret = b"PRIVATE KEY" in head or b"_authToken" in head
        if secret and not any(rel.startswith(b + "/") for b in found):
            found.append(rel)
    return found


_TEST_DIR = re.compile(r"^(tests?|testdata|test[-_]?data|testing|fixtures?|spec|e2e)$", re.I)
# A public key under a secret-looking name (a repository's signing key.gpg.key, ssh .pub).
_PUBLIC_KEY = re.compile(
    rb"-----BEGIN (PGP PUBLIC KEY BLOCK|PUBLIC KEY|CERTIFICATE)|^(ssh-|ecdsa-)", re.MULTILINE
)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(65536)
    except OSError:
        return b""


# --------------------------------------------------------------------------- DK014

DK014 = Rule(
    "DK014",
    "copy-source-ignored",
    ERROR,
    "COPY/ADD of a path that .dockerignore excludes",
    "Excluded paths are never sent to the builder, so the step fails with "
    "'not found' although the file is right there in the repository.",
    "Remove or narrow the .dockerignore pattern (a later !path re-includes it), or stop "
    "copying the path.",
)


def _copies(run: Run, build: Build, df: Dockerfile, sent: set[str], ignore: Path) -> None:
    """DK014: COPY/ADD of a path that exists in the context but .dockerignore excludes."""
    ignore_rel = run.rel(ignore)
    for stage in df.stages:
        for ins in stage.instructions:
            if ins.keyword not in ("COPY", "ADD") or ins.flag("from") or ins.heredocs:
                continue
            words = ins.json_form() or safe_split(ins.args)
            for src in words[:-1]:
                if any(c in src for c in "*?[$") or "://" in src or src.startswith("git@"):
                    continue  # globs, variables and URLs are not checked
                rel = posixpath.normpath(src.lstrip("/")) if src else ""
                if rel in ("", ".") or rel.startswith("../"):
                    continue
                if (build.context / rel).exists() and rel not in sent:
                    run.add(
                        DK014.id,
                        df.path or build.dockerfile,
                        ins.line,
                        f"{ins.keyword} {src}: {ignore_rel} excludes it, so the build "
                        "fails with 'not found'",
                    )


RULES: tuple[Rule, ...] = (DK008, DK009, DK010, DK014)
