"""A backup carried through an OCI registry: ``devkit volumes push`` and ``pull``.

The backup file (the archive format of :mod:`devkit.volumes.archive`, verified before it
leaves) becomes the one file of a one-layer image that the engine imports from a tar —
nothing to build, no base image — labelled with the file's size and SHA-256
(:data:`~devkit.labels.VOLUME_BACKUP_LABEL`). The engine pushes and pulls it: the registry
sees an ordinary image, and the credentials are the engine's own (docker-py sends what the
docker CLI's login or credential helper holds; devkit never reads or prints one).

A pulled backup is copied out of a never-started container into a private file, checked
against the label, then restored with :func:`devkit.volumes.restore.restore`, which verifies
the archive (manifest, SHA-256, every member) before it touches a volume. The local image is
removed afterwards either way, so pushes and pulls leave nothing behind in the engine.
"""

from __future__ import annotations

import contextlib
import json
import re
import tarfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit import engine
from devkit.engine import docker_error
from devkit.errors import DevkitError, UsageError
from devkit.labels import MANAGED_LABEL, PURPOSE_LABEL, VOLUME_BACKUP_LABEL, extra_labels
from devkit.volumes import catalog, helper, transport
from devkit.volumes.archive import ProgressFn, reader
from devkit.volumes.backup import backup
from devkit.volumes.restore import RestoreResult, restore

#: The one file in a pushed image's layer: the backup, as written by the archive writer.
FILE = "devkit-volume-backup"
_CHUNK = 1 << 20
#: The status line a push ends with: "TAG: digest: sha256:… size: N".
_PUSHED = re.compile(r"^(\S+): digest: (sha256:[0-9a-f]{64}) size: \d+$")

#: Called with one line about the stage reached ("pushing …"), for a terminal's benefit.
StageFn = Callable[[str], None]


@dataclass
class PushResult:
    """A backup pushed: the reference, the registry's digest of it, what it holds."""

    ref: str
    digest: str
    volume: str
    size: int
    manifest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "ref": self.ref,
            "digest": self.digest,
            "volume": self.volume,
            "bytes": self.size,
            "manifest": self.manifest,
        }


@dataclass
class PullResult:
    """A backup pulled and restored: from where, and the restore."""

    ref: str
    digest: str | None
    restored: RestoreResult

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: the restore's, plus ``ref`` and ``digest``."""
        return {"ref": self.ref, "digest": self.digest, **self.restored.to_dict()}


def parse_ref(text: str, *, pull: bool = False) -> tuple[str, str]:
    """``REF`` as ``(repository, tag)``: the tag defaults to ``latest``; a pull may also
    name a digest (``repo@sha256:…``, returned as the tag part)."""
    from devkit.prebuild.registry import split_reference  # prebuild's import cost: only here

    repository, tag, digest = split_reference(text)
    if digest:
        if not pull:
            raise UsageError(f"{text!r}: push to a tag, not a digest")
        return repository, digest
    return repository, tag or "latest"


def explain(text: str, ref: str, action: str) -> DevkitError:
    """What the engine said about a registry, as prebuild reads the docker CLI's words."""
    from devkit.prebuild import registry

    return registry.explain(text, ref, action)


def _ref(repository: str, tag: str) -> str:
    return f"{repository}@{tag}" if tag.startswith("sha256:") else f"{repository}:{tag}"


# --------------------------------------------------------------------------- push


def push(
    client: Any,
    name: str,
    ref: str,
    *,
    compression: str = "zstd",
    level: int | None = None,
    progress: ProgressFn | None = None,
    on_stage: StageFn | None = None,
) -> PushResult:
    """Back up volume ``name``, verify the backup, and push it as the image ``ref``.

    The backup is written to a private file under the backups folder (removed afterwards),
    verified like a restore would, then imported as a one-file image and pushed. Success
    is only returned once the registry answers with the pushed manifest's digest. The
    local image is removed whatever happens.
    """
    repository, tag = parse_ref(ref)
    full = _ref(repository, tag)
    attrs = helper.get_volume(client, name)
    stage = on_stage or (lambda line: None)
    stage(f"asking {full.split('/', 1)[0]} about {full}")
    _preflight(client, full)  # credentials and names are refused before the backup is made
    with catalog.spool(".outgoing") as path:
        backup(client, name, output=path, compression=compression, level=level, progress=progress)
        stage(f"verifying the backup of {name}")
        manifest = reader.verify(path)
        size, sha = catalog.file_digest(path)
        label = {
            "volume": name,
            "purpose": (attrs.get("Labels") or {}).get(PURPOSE_LABEL),
            "bytes": size,
            "sha256": sha,
            "created": manifest.get("created"),
        }
        stage(f"importing {full} into the engine")
        _import(client, path, repository, tag, label)
    try:
        stage(f"pushing {full}")
        digest = _push(client, repository, tag, full)
    finally:
        _remove_image(client, full)
    return PushResult(full, digest, name, size, manifest)


def _import(client: Any, path: Path, repository: str, tag: str, label: dict[str, Any]) -> None:
    labels = {MANAGED_LABEL: "true", VOLUME_BACKUP_LABEL: json.dumps(label), **extra_labels()}
    changes = [f"LABEL {k}={json.dumps(v)}" for k, v in labels.items()]
    # The image is never run; a command only lets the engine create a container from it.
    changes.append('CMD ["/devkit-never-runs"]')
    try:
        client.api.import_image(
            src=_one_file_tar(path),
            repository=repository,
            tag=tag,
            changes=changes,
            stream_src=True,
        )
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"importing the backup as {repository}:{tag}", exc) from exc


def _one_file_tar(path: Path) -> Iterator[bytes]:
    """A tar holding ``path`` as :data:`FILE`, streamed (the backup is never held whole)."""
    info = tarfile.TarInfo(FILE)
    info.size = path.stat().st_size
    info.mode = 0o600
    yield info.tobuf(format=tarfile.PAX_FORMAT)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk
    yield b"\0" * (-info.size % 512) + b"\0" * 1024


def _preflight(client: Any, full: str) -> None:
    """Ask the registry (through the engine) about ``full`` before the backup is made: the
    engine retries a refused upload for about a minute before it gives up, so refused
    credentials or a refused name are raised now. Anything less clear (an absent tag, and
    also a connection error: for a loopback registry the engine reports its plain-HTTP
    fallback's error, not the real one) is left to the push to say."""
    try:
        client.api.inspect_distribution(full)
    except engine.DOCKER_ERRORS as exc:
        text = str(getattr(exc, "explanation", None) or exc)
        error = explain(text, full, "pushing")
        if str(error).startswith(f"the registry {full.split('/', 1)[0]} "):
            raise error from exc


def _push(client: Any, repository: str, tag: str, full: str) -> str:
    digest = None
    try:
        for line in client.api.push(repository, tag=tag, stream=True, decode=True):
            if line.get("error"):
                raise explain(str(line.get("error")), full, "pushing")
            aux = line.get("aux") or {}
            if aux.get("Digest"):
                digest = str(aux["Digest"])
            # The containerd image store sends no aux record, only the status line
            # "TAG: digest: sha256:… size: N".
            said = _PUSHED.match(str(line.get("status") or ""))
            if digest is None and said and said.group(1) == tag:
                digest = said.group(2)
    except engine.DOCKER_ERRORS as exc:
        raise explain(str(getattr(exc, "explanation", None) or exc), full, "pushing") from exc
    if digest is None:
        raise DevkitError(f"the push of {full} ended without the registry's digest")
    # Asked of the registry, not the engine: the tag is complete only when it names this.
    try:
        answer = client.api.inspect_distribution(full)
    except engine.DOCKER_ERRORS as exc:
        raise explain(str(getattr(exc, "explanation", None) or exc), full, "reading") from exc
    held = str((answer.get("Descriptor") or {}).get("digest") or "")
    if held != digest:
        raise DevkitError(
            f"the push of {full} finished, but the registry holds {held or 'nothing'} "
            f"under it instead of {digest}; push again"
        )
    return digest


# --------------------------------------------------------------------------- pull


@dataclass
class Pulled:
    """A backup pulled into a private file, checked against its image's label."""

    ref: str
    digest: str | None
    path: Path
    label: dict[str, Any]


@contextlib.contextmanager
def fetch(client: Any, ref: str, *, on_stage: StageFn | None = None) -> Iterator[Pulled]:
    """Pull ``ref`` and copy its backup into a private file (removed on exit), checked
    against the image's label (size and SHA-256). The pulled image is removed again unless
    the engine already had it."""
    repository, tag = parse_ref(ref, pull=True)
    full = _ref(repository, tag)
    stage = on_stage or (lambda line: None)
    had = engine.inspect_image(client, full) is not None
    stage(f"pulling {full}")
    try:
        _pull(client, repository, tag, full)
        image = engine.inspect_image(client, full) or {}
        label = _label(image, full)
        digests = image.get("RepoDigests") or []
        with catalog.spool(".incoming") as path:
            _copy_out(client, full, path)
            size, sha = catalog.file_digest(path)
            if size != label.get("bytes") or sha != label.get("sha256"):
                raise DevkitError(
                    f"{full}: the backup in the image is not the one its label describes "
                    f"({size} bytes, sha256 {sha[:12]}…; label: {label.get('bytes')} bytes, "
                    f"sha256 {str(label.get('sha256'))[:12]}…)"
                )
            yield Pulled(full, str(digests[0]).split("@")[-1] if digests else None, path, label)
    finally:
        if not had:
            _remove_image(client, full)


def pull(
    client: Any,
    ref: str,
    *,
    target: str | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    on_stage: StageFn | None = None,
    on_safety_backup: Callable[[Path], None] | None = None,
) -> PullResult:
    """Pull the backup ``ref`` and restore it into ``target`` (default: the volume it came
    from). A non-empty target is refused before anything is downloaded when it is named
    (and before the restore in any case) unless ``force``."""
    if target is not None:
        _refuse_full(client, target, force)
    with fetch(client, ref, on_stage=on_stage) as pulled:
        name = target or str(pulled.label.get("volume") or "")
        _refuse_full(client, name, force)
        restored = restore(
            client,
            pulled.path,
            target=name,
            force=force,
            progress=progress,
            on_safety_backup=on_safety_backup,
        )
    return PullResult(pulled.ref, pulled.digest, restored)


def _refuse_full(client: Any, name: str, force: bool) -> None:
    helper.check_name(name)
    if force or helper.inspect_volume(client, name) is None:
        return
    helper.refuse_in_use(client, name, "restore into")
    if not helper.is_empty(client, name):
        raise DevkitError(
            f"volume {name} is not empty; use --force to replace its contents "
            "(a safety backup is taken first), or name another volume"
        )


def _pull(client: Any, repository: str, tag: str, full: str) -> None:
    import docker.errors

    try:
        for line in client.api.pull(repository, tag=tag, stream=True, decode=True):
            if line.get("error"):
                raise _pull_error(str(line["error"]), full)
    except docker.errors.NotFound as exc:
        raise _pull_error(str(exc.explanation or exc), full) from exc
    except engine.DOCKER_ERRORS as exc:
        raise _pull_error(str(getattr(exc, "explanation", None) or exc), full) from exc


def _pull_error(text: str, full: str) -> DevkitError:
    low = text.lower()
    # The containerd image store says `failed to resolve reference "REF": REF: not found`.
    absent = "manifest unknown" in low or ("not found" in low and "manifest" in low)
    if absent or ("failed to resolve reference" in low and low.rstrip().endswith(": not found")):
        return DevkitError(f"the registry has no {full}")
    return explain(text, full, "pulling")


def _label(image: dict[str, Any], full: str) -> dict[str, Any]:
    labels = (image.get("Config") or {}).get("Labels") or {}
    try:
        label = json.loads(labels[VOLUME_BACKUP_LABEL])
    except (KeyError, TypeError, ValueError):
        label = None
    if not isinstance(label, dict):
        raise DevkitError(f"{full} is not a volume backup pushed by devkit")
    return label


def _copy_out(client: Any, image: str, path: Path) -> None:
    """The backup file out of a created (never started) container of ``image``."""
    name = f"devkit-helper-{uuid.uuid4().hex[:12]}"
    try:
        try:
            created = client.api.create_container(
                image,
                name=name,
                labels={MANAGED_LABEL: "true", **extra_labels()},
                network_disabled=True,
            )
        except engine.DOCKER_ERRORS as exc:
            raise docker_error(f"creating a container of {image}", exc) from exc
        held: list[Any] = []
        try:
            # (open_archive_into: an interrupt can never lose the open stream, which would
            # keep the container locked and the removal below waiting.)
            transport.open_archive_into(client.api, created["Id"], f"/{FILE}", held)
            with tarfile.open(fileobj=held[0].raw, mode="r|") as tar, path.open("wb") as out:
                member = tar.next()
                source = tar.extractfile(member) if member is not None else None
                if member is None or member.name != FILE or source is None:
                    raise DevkitError(f"{image} holds no {FILE}")
                while chunk := source.read(_CHUNK):
                    out.write(chunk)
        except (tarfile.TarError, OSError) as exc:
            raise DevkitError(f"copying the backup out of {image} failed: {exc}") from exc
        finally:
            for res in held:
                res.close()
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"copying the backup out of {image}", exc) from exc
    finally:
        with contextlib.suppress(*engine.DOCKER_ERRORS):
            client.api.remove_container(name, force=True, v=False)


def _remove_image(client: Any, ref: str) -> None:
    import docker.errors

    with contextlib.suppress(docker.errors.ImageNotFound, *engine.DOCKER_ERRORS):
        client.api.remove_image(ref, noprune=False)
