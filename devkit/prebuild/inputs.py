"""The content tag: a hash of everything that decides the dev image, and the record of it.

The inputs (:class:`Inputs`) are

* the Dockerfile's text (every byte: a comment counts, as ``docker build`` would show it);
* the target stage and the platforms, sorted (one tag names one manifest list);
* the build args the Dockerfile declares, each by the SHA-256 of its value (values may be
  tokens: they are never recorded);
* the digest of every external image the built stages read (``FROM``, ``COPY --from=image``,
  ``--mount=…,from=image``), after ``ARG`` substitution;
* each context file the built stages' ``COPY``/``ADD``/bind mounts pick, after the
  ``.dockerignore`` (:mod:`devkit.prebuild.sources`), by the SHA-256 of its bytes plus
  whether it is executable; a symbolic link by its target, a folder by being there. Other
  permission bits are left out: git does not keep them, so two checkouts of one commit
  (umask 022 and 002) get one tag;
* the URLs ``ADD`` fetches (their content is not hashed: pin it with ``ADD --checksum``,
  which is Dockerfile text).

The tag is ``<target>-<first 24 hex digits of the SHA-256 of the canonical JSON>``. The same
JSON is put on the image as a label, so an older tag can say what it was built from.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from devkit import buildcontext
from devkit.dockerfile import parse_text
from devkit.errors import DevkitError
from devkit.prebuild import sources
from devkit.prebuild.target import BuildTarget

#: Bumped when what goes into the tag changes, so old and new tags never collide.
SCHEMA = 1
#: Hex digits of the digest kept in the tag (96 bits).
TAG_DIGITS = 24
#: Longest label value written whole; a longer record keeps one digest per top-level folder
#: (a command-line argument may not exceed 128 KiB on Linux).
LABEL_LIMIT = 60_000
#: How a folder's files are named in a grouped record.
GROUP_SUFFIX = "/**"


@dataclass(frozen=True)
class Inputs:
    """The inputs behind one content tag (see the module docstring)."""

    dockerfile: str
    dockerfile_digest: str
    target: str | None
    platforms: tuple[str, ...]
    args: dict[str, str] = field(default_factory=dict)
    bases: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    remote: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The canonical record (also what the image label holds)."""
        return {
            "schema": SCHEMA,
            "dockerfile": self.dockerfile,
            "dockerfile_digest": self.dockerfile_digest,
            "target": self.target,
            "platforms": sorted(self.platforms),
            "args": dict(sorted(self.args.items())),
            "bases": dict(sorted(self.bases.items())),
            "files": dict(sorted(self.files.items())),
            "remote": sorted(self.remote),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as compact JSON with sorted keys: the bytes that are hashed."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of :meth:`to_json`, with the Dockerfile's path left out (moving
        the file without changing it does not change the image)."""
        data = self.to_dict()
        del data["dockerfile"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    @property
    def tag(self) -> str:
        """The content tag, e.g. ``dev-3f1c0a9be2d47710c5e8aa01``."""
        return f"{self.target or 'final'}-{self.digest[7 : 7 + TAG_DIGITS]}"

    def grouped(self) -> Inputs:
        """The same record with the files in each top-level folder as one entry
        (``src/**``: the digest of their paths and digests); top-level files stay."""
        return replace(self, files=group_files(self.files))

    def label(self) -> str:
        """The record as the image label holds it: :meth:`to_json`, grouped when longer
        than :data:`LABEL_LIMIT`."""
        text = self.to_json()
        return text if len(text) <= LABEL_LIMIT else self.grouped().to_json()

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Inputs:
        """The inputs recorded in ``data`` (a label or a saved ``--json``); a
        :class:`DevkitError` naming ``where`` when it is not such a record."""
        if isinstance(data, dict) and isinstance(data.get("inputs"), dict):
            data = data["inputs"]  # a saved `devkit prebuild --json`
        try:
            if data["schema"] != SCHEMA:
                raise DevkitError(
                    f"{where}: inputs recorded by another devkit (schema {data['schema']}, "
                    f"this one reads {SCHEMA})"
                )
            return cls(
                dockerfile=str(data["dockerfile"]),
                dockerfile_digest=str(data["dockerfile_digest"]),
                target=data["target"],
                platforms=tuple(map(str, data["platforms"])),
                args={str(k): str(v) for k, v in data["args"].items()},
                bases={str(k): str(v) for k, v in data["bases"].items()},
                files={str(k): str(v) for k, v in data["files"].items()},
                remote=tuple(map(str, data["remote"])),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise DevkitError(f"{where}: not a record of prebuild inputs ({exc!r})") from exc


def sha256_text(text: str) -> str:
    """``sha256:<hex>`` of ``text`` as UTF-8."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def collect(
    build: BuildTarget,
    platforms: tuple[str, ...],
    resolve_image: Callable[[str], str],
) -> Inputs:
    """The inputs of building ``build`` for ``platforms``.

    ``resolve_image(ref)`` returns the digest of an external image (from the engine or the
    registry: :mod:`devkit.prebuild.images`); it is injected so the tag can be computed and
    tested without an engine. Raises :class:`DevkitError` for an unreadable Dockerfile,
    context or ``.dockerignore``.
    """
    try:
        text = build.dockerfile.read_bytes().decode("utf-8", errors="surrogateescape")
    except OSError as exc:
        raise DevkitError(f"cannot read {build.dockerfile}: {exc.strerror or exc}") from exc
    df = parse_text(text, path=build.dockerfile, build_args=build.args)
    read = sources.reads(df, build.target, build.args)
    files: dict[str, str] = {}
    if read.sources:
        try:
            sent = buildcontext.sent(build.dockerfile, build.context)
        except OSError as exc:
            raise DevkitError(f"cannot read the build context {build.context}: {exc}") from exc
        for rel in sources.select(sent.paths, read.sources):
            files[rel] = file_digest(build.context, rel)
    return Inputs(
        dockerfile=build.rel(build.dockerfile),
        dockerfile_digest="sha256:"
        + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest(),
        target=build.target,
        platforms=tuple(sorted(set(platforms))),
        args={k: sha256_text(v) for k, v in build.args.items() if k in read.declared_args},
        bases={ref: resolve_image(ref) for ref in read.images},
        files=files,
        remote=tuple(sorted(set(read.remote))),
    )


def file_digest(root: Path, rel: str) -> str:
    """How one sent path counts: ``sha256:<hex>`` (``+x`` when executable),
    ``link:<target>`` or ``dir``."""
    path = root / rel
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            return "link:" + os.readlink(path)
        if stat.S_ISDIR(info.st_mode):
            return "dir"
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise DevkitError(f"cannot read {path}: {exc.strerror or exc}") from exc
    executable = "+x" if info.st_mode & stat.S_IXUSR else ""
    return f"sha256:{digest.hexdigest()}{executable}"


@dataclass(frozen=True)
class Change:
    """One input that differs between two records: ``kind`` is ``dockerfile``, ``target``,
    ``platforms``, ``arg``, ``base``, ``file`` or ``remote``; ``old``/``new`` are None when
    the input was added/removed."""

    kind: str
    name: str
    old: str | None
    new: str | None

    def describe(self) -> str:
        """One line, e.g. ``file requirements.txt changed``."""
        what = f"{self.kind} {self.name}".strip()
        if self.old is None:
            return f"{what} added"
        if self.new is None:
            return f"{what} removed"
        return f"{what} changed"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"kind": self.kind, "name": self.name, "old": self.old, "new": self.new}


def group_files(files: dict[str, str]) -> dict[str, str]:
    """``files`` with each top-level folder's entries folded into one ``folder/**`` entry."""
    groups: dict[str, dict[str, str]] = {}
    out: dict[str, str] = {}
    for rel, digest in files.items():
        top, sep, _ = rel.partition("/")
        if sep and not rel.endswith(GROUP_SUFFIX):
            groups.setdefault(top + GROUP_SUFFIX, {})[rel] = digest
        else:
            out[rel] = digest
    for key, members in groups.items():
        out[key] = sha256_text(json.dumps(members, sort_keys=True, separators=(",", ":")))
    return out


def diff(old: Inputs, new: Inputs) -> list[Change]:
    """What changed from ``old`` to ``new``, input by input (empty: the same tag).

    When either record was grouped by folder (a long label), both are compared that way.
    """
    if any(k.endswith(GROUP_SUFFIX) for k in [*old.files, *new.files]):
        old, new = old.grouped(), new.grouped()
    changes: list[Change] = []
    if old.dockerfile_digest != new.dockerfile_digest:
        changes.append(
            Change("dockerfile", new.dockerfile, old.dockerfile_digest, new.dockerfile_digest)
        )
    if old.target != new.target:
        changes.append(Change("target", "", old.target or "(final)", new.target or "(final)"))
    if sorted(old.platforms) != sorted(new.platforms):
        changes.append(
            Change(
                "platforms", "", ",".join(sorted(old.platforms)), ",".join(sorted(new.platforms))
            )
        )
    for kind, before, after in (
        ("arg", old.args, new.args),
        ("base", old.bases, new.bases),
        ("file", old.files, new.files),
    ):
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                changes.append(Change(kind, name, before.get(name), after.get(name)))
    for url in sorted(set(old.remote) ^ set(new.remote)):
        changes.append(
            Change(
                "remote",
                url,
                url if url in old.remote else None,
                url if url in new.remote else None,
            )
        )
    return changes
