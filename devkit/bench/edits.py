"""What the ``source`` and ``deps`` scenarios change: which file of the build context each one
edits, and the source edit itself (a comment line appended). The dependency edit is
:mod:`devkit.bench.deps`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from devkit import buildcontext
from devkit.bench.targets import Target
from devkit.errors import DevkitError

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
