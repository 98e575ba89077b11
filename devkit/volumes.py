"""Named volumes through the Docker SDK: create, list, back up, restore, copy and remove.

Data moves over the Engine API's archive endpoints (``get_archive``/``put_archive``) through
a *helper container* that is created but never started, from a tiny image devkit imports
from an empty tar when it is absent. No image is pulled and no docker CLI is needed, so it
works offline, against a remote engine (``DOCKER_HOST=tcp://…``/``ssh://…``) and with contexts.
"""

from __future__ import annotations

import contextlib
import io
import queue
import re
import tarfile
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from devkit import archive, compose, engine, fsutil
from devkit.engine import docker_error
from devkit.errors import DevkitError
from devkit.labels import HELPER_LABEL, MANAGED_LABEL, PROJECT_LABEL, PURPOSE_LABEL, extra_labels
from devkit.resources import data_dir

#: The helper image devkit imports from an empty tar (never pulled).
HELPER_IMAGE = "devkit/volume-helper:1"
#: Where the helper container mounts the volume.
MOUNT = "/volume"
REBASE = MOUNT.lstrip("/")
STREAM_CHUNK = 1 << 20
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")

ProgressFn = Callable[[int], None]


# --------------------------------------------------------------------------- helpers


def check_name(name: str) -> str:
    """Raise unless ``name`` is a valid Docker volume name."""
    if not _NAME_RE.match(name):
        raise DevkitError(
            f"invalid volume name {name!r}: use letters, digits, '_', '.', '-' "
            "(starting with a letter or digit)"
        )
    return name


def ensure_helper_image(client: Any) -> str:
    """The helper image, imported from an empty tar (labelled as devkit's) if absent."""
    import docker.errors

    try:
        client.images.get(HELPER_IMAGE)
        return HELPER_IMAGE
    except docker.errors.ImageNotFound:
        pass
    except engine.DOCKER_ERRORS as exc:
        raise docker_error("looking up the helper image", exc) from exc
    empty = io.BytesIO()
    with tarfile.open(fileobj=empty, mode="w"):
        pass
    repo, tag = HELPER_IMAGE.rsplit(":", 1)
    try:
        client.api.import_image_from_data(
            empty.getvalue(),
            repository=repo,
            tag=tag,
            changes=[f'LABEL {MANAGED_LABEL}="true" {PURPOSE_LABEL}="volume-helper"'],
        )
    except engine.DOCKER_ERRORS as exc:
        raise docker_error("making the helper image", exc) from exc
    return HELPER_IMAGE


@contextlib.contextmanager
def helper(client: Any, volume: str, *, read_only: bool = False) -> Iterator[Any]:
    """A created-but-never-started container with ``volume`` mounted at ``/volume``."""
    image = ensure_helper_image(client)
    try:
        container = client.containers.create(
            image,
            command=["/devkit-never-runs"],
            name=f"devkit-helper-{uuid.uuid4().hex[:12]}",
            volumes={volume: {"bind": MOUNT, "mode": "ro" if read_only else "rw"}},
            labels={MANAGED_LABEL: "true", HELPER_LABEL: "1", **extra_labels()},
            network_disabled=True,
        )
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"creating a helper container for volume {volume}", exc) from exc
    try:
        yield container
    finally:
        with contextlib.suppress(*engine.DOCKER_ERRORS):
            container.remove(force=True, v=False)


def _inspect(client: Any, name: str) -> dict[str, Any] | None:
    """The engine's description of a volume (``docker volume inspect``), None if absent."""
    import docker.errors

    check_name(name)
    try:
        attrs: dict[str, Any] = client.api.inspect_volume(name)
        return attrs
    except docker.errors.NotFound:
        return None
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"inspecting volume {name}", exc) from exc


def get_volume(client: Any, name: str) -> dict[str, Any]:
    """The engine's description of a volume (``docker volume inspect``)."""
    attrs = _inspect(client, name)
    if attrs is None:
        raise DevkitError(f"no such volume: {name}")
    return attrs


def volume_exists(client: Any, name: str) -> bool:
    """True when the engine has a volume called ``name``."""
    return _inspect(client, name) is not None


def _container_name(summary: dict[str, Any]) -> str:
    """A container's name from a container-list entry (its short id if it has none)."""
    names = summary.get("Names")
    return str(names[0]).lstrip("/") if names else str(summary["Id"][:12])


def users(client: Any, name: str, *, running_only: bool = False) -> list[str]:
    """Names of the containers (running or stopped, or only running) that mount the volume."""
    try:
        found = client.api.containers(all=not running_only, filters={"volume": name})
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"listing the containers that use {name}", exc) from exc
    return sorted(_container_name(c) for c in found)


def refuse_in_use(client: Any, name: str, action: str) -> None:
    """Raise naming the containers that use ``name``."""
    in_use = users(client, name)
    if in_use:
        raise DevkitError(
            f"cannot {action} volume {name}: it is used by container(s) {', '.join(in_use)}; "
            "remove them first (stopped containers count too)"
        )


def is_empty(client: Any, name: str) -> bool:
    """True when the volume holds nothing but its root directory (reads one or two headers).

    Only a complete answer counts as "empty": a stream that stops before the tar's end
    marker raises, so a hiccup of the engine never lets a restore overwrite data.
    """
    seen: list[str] = []
    walker = archive.TarWalker(lambda member: seen.append(member.name))
    with (
        helper(client, name, read_only=True) as container,
        contextlib.closing(_stream(client, name, container)) as stream,
    ):
        for chunk in stream:
            walker.feed(chunk)
            if len(seen) > 1 or walker.ended:
                break
    if len(seen) > 1:
        return False
    if not walker.ended:
        raise DevkitError(f"reading volume {name} failed: the engine's archive ended early")
    return True


def _create(client: Any, name: str, driver: str, labels: dict[str, str]) -> None:
    """Create volume ``name`` with devkit's managed label, ``labels`` and the extra labels."""
    all_labels = {MANAGED_LABEL: "true", **labels, **extra_labels()}
    try:
        client.api.create_volume(name=name, driver=driver, labels=all_labels)
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"creating volume {name}", exc) from exc


def create_volume(
    client: Any, name: str, *, labels: dict[str, str] | None = None, driver: str = "local"
) -> bool:
    """Create a volume with devkit's labels; returns False when it already existed."""
    if volume_exists(client, name):
        return False
    _create(client, name, driver, labels or {})
    return True


# --------------------------------------------------------------------------- projects


@dataclass
class VolumeSpec:
    """One top-level volume of a project's compose file."""

    key: str
    name: str
    labels: dict[str, str]
    driver: str = "local"


def compose_file(project_dir: Path) -> Path:
    """The project's compose file (see :mod:`devkit.compose` for the names and their order)."""
    path = compose.find(project_dir)
    if path is None:
        raise DevkitError(
            f"no .devcontainer/compose.yaml in {project_dir} (render one with `devkit new`)"
        )
    return path


def project_volumes(project_dir: Path) -> list[VolumeSpec]:
    """The named volumes a project's compose file declares (explicit ``name:`` required)."""
    path = compose_file(project_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DevkitError(f"cannot read {path}: {str(exc).splitlines()[0]}") from exc
    data = compose.parse(text, str(path))
    compose_project = data.get("name")
    specs = []
    for volume in compose.named_volumes(data, str(path)):
        if not volume.name:
            raise DevkitError(
                f"{path}: volume {volume.key!r} has no explicit 'name:'; devkit only manages "
                "volumes with an explicit name"
            )
        labels = dict(volume.labels)
        if compose_project:
            # The labels Compose itself puts on volumes it creates, so that `compose up`
            # accepts the volume devkit made first without a warning.
            labels.setdefault("com.docker.compose.project", str(compose_project))
            labels.setdefault("com.docker.compose.volume", volume.key)
        specs.append(VolumeSpec(volume.key, check_name(volume.name), labels, volume.driver))
    return specs


@dataclass
class CreateResult:
    name: str
    created: bool
    restored_from: Path | None = None
    warning: str | None = None


def create_project_volumes(
    client: Any, project_dir: Path, *, restore_latest: bool = False
) -> list[CreateResult]:
    """Create every volume the project's compose file declares (idempotent).

    With ``restore_latest`` a volume that is new or empty is seeded from its newest backup;
    a failed seed is reported as a warning, not raised, so a dev container still comes up.
    """
    specs = project_volumes(project_dir)
    try:
        existing = {v["Name"] for v in (client.api.volumes().get("Volumes") or [])}
    except engine.DOCKER_ERRORS as exc:
        raise docker_error("listing volumes", exc) from exc
    results = []
    backups: list[archive.BackupFile] | None = None
    for spec in specs:
        created = False
        if spec.name not in existing:
            _create(client, spec.name, spec.driver, spec.labels)
            created = True
        result = CreateResult(spec.name, created)
        if restore_latest:
            if backups is None:  # scan the backups folder once, and only when needed
                backups = find_backups()
            try:
                result.restored_from = seed_from_latest(client, spec.name, created, backups)
            except DevkitError as exc:
                result.warning = f"could not seed {spec.name}: {exc}"
        results.append(result)
    return results


def seed_from_latest(
    client: Any, name: str, created: bool, backups: list[archive.BackupFile] | None = None
) -> Path | None:
    """Restore the newest ordinary backup of ``name`` into it when the volume is new, or
    empty and used by no container; returns the backup used, None when nothing was done.

    Backups that hold nothing (only the root folder) are skipped without looking at the
    volume, so that the usual case on every start (volumes exist, backups of empty
    volumes) stays a few API calls. ``backups`` is a :func:`find_backups` result to reuse.
    """
    latest = _newest(find_backups() if backups is None else backups, name)
    if latest is None or latest.manifest["entry_count"] <= 1:
        return None
    # A volume that a (dev) container already uses is not "new": leave it alone, quietly,
    # as this runs on every start.
    if not created and (users(client, name) or not is_empty(client, name)):
        return None
    restore(client, latest.path, target=name)
    return latest.path


# --------------------------------------------------------------------------- listing


@dataclass
class VolumeInfo:
    """One volume as ``devkit volumes list`` shows it."""

    name: str
    project: str | None
    purpose: str | None
    driver: str
    size: int | None
    containers: list[str]
    created: str | None
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: every field (``size`` in raw bytes, None when not measured)."""
        return asdict(self)


def _df_volumes(client: Any) -> list[dict[str, Any]]:
    """Sizes of all volumes from one ``/system/df`` call (see :func:`_system_df_volumes`)."""
    data = _system_df_volumes(client.api)
    if data is None:
        data = client.api.df()
    return list(data.get("Volumes") or [])


def list_volumes(
    client: Any,
    *,
    project: str | None = None,
    purpose: str | None = None,
    include_all: bool = False,
    sizes: bool = True,
) -> list[VolumeInfo]:
    """Volumes with project, purpose, size and users, from three API calls in all.

    Sizes come from one ``df`` call for all volumes (the engine measures them); the users
    from one container listing. Only devkit's volumes unless ``include_all``.
    """
    filters: dict[str, Any] = {}
    if not include_all or project or purpose:
        wanted = [] if include_all else [MANAGED_LABEL]
        if project:
            wanted.append(f"{PROJECT_LABEL}={project}")
        if purpose:
            wanted.append(f"{PURPOSE_LABEL}={purpose}")
        filters["label"] = wanted
    try:
        volumes = client.api.volumes(filters=filters or None).get("Volumes") or []
        containers = client.api.containers(all=True)
        usage = {}
        if sizes and volumes:
            for v in _df_volumes(client):
                data = v.get("UsageData") or {}
                size = data.get("Size", -1)
                usage[v["Name"]] = size if isinstance(size, int) and size >= 0 else None
    except engine.DOCKER_ERRORS as exc:
        raise docker_error("listing volumes", exc) from exc
    used_by: dict[str, list[str]] = {}
    for c in containers:
        for mount in c.get("Mounts") or []:
            if mount.get("Type") == "volume" and mount.get("Name"):
                used_by.setdefault(mount["Name"], []).append(_container_name(c))
    out = []
    for v in volumes:
        labels = v.get("Labels") or {}
        out.append(
            VolumeInfo(
                name=v["Name"],
                project=labels.get(PROJECT_LABEL),
                purpose=labels.get(PURPOSE_LABEL),
                driver=v.get("Driver", "local"),
                size=usage.get(v["Name"]) if sizes else None,
                containers=sorted(used_by.get(v["Name"], [])),
                created=v.get("CreatedAt"),
                labels=dict(labels),
            )
        )
    return sorted(out, key=lambda i: (i.project or "", i.name))


# --------------------------------------------------------------------------- docker-py internals
# The only uses of docker-py's private ``APIClient`` methods (``_get``, ``_url``, ``_result``,
# ``_raise_for_status``, ``_version``, ``_get_raw_response_socket``,
# ``_disable_socket_timeout``) are in these two functions, each for something its public
# API cannot do. If a docker-py release changes them, only this section needs a look;
# tests/test_volumes.py exercises both on the real engine.


def _open_archive(api: Any, container_id: str, path: str) -> Any:
    """``GET /containers/{id}/archive`` as an open, streaming ``requests`` response.

    Why not ``api.get_archive()``: it hides the response, and closing its generator does
    not close the connection — but the engine keeps the container locked while an archive
    stream is open, so devkit must be able to hang up (``res.close()``). It also lets
    requests ask for gzip, and the engine then gzips the stream itself, single-threaded:
    many times slower than devkit's zstd. Here the plain tar is asked for.
    """
    res = api._get(
        api._url("/containers/{0}/archive", container_id),
        params={"path": path},
        stream=True,
        headers={"Accept-Encoding": "identity"},
    )
    api._raise_for_status(res)
    # As docker-py does for its own streams: a blocking socket (no per-read timeout
    # polling) is several times faster, and a big volume may take longer than the timeout.
    api._disable_socket_timeout(api._get_raw_response_socket(res))
    return res


def _system_df_volumes(api: Any) -> dict[str, Any] | None:
    """``GET /system/df?type=volume`` on engines with API 1.42+ (None on older ones).

    Why not ``api.df()``: it cannot pass ``type``, and without it the engine also measures
    every image, container and build cache entry, which is much slower on a busy machine.
    """
    try:
        version = tuple(int(p) for p in str(api._version).split(".")[:2])
    except ValueError:
        return None
    if version < (1, 42):
        return None
    result: dict[str, Any] = api._result(
        api._get(api._url("/system/df"), params={"type": "volume"}), True
    )
    return result


# --------------------------------------------------------------------------- backups on disk


def backups_dir() -> Path:
    """Where backups go by default: ``<devkit data dir>/backups``."""
    return data_dir() / "backups"


def _project_dir_name(labels: dict[str, str]) -> str:
    project = labels.get(PROJECT_LABEL) or "_no-project"
    return project if _NAME_RE.match(project) else "_no-project"


def default_backup_path(
    volume: str, labels: dict[str, str], compression: str, kind: str = "backup"
) -> Path:
    """``<backups>/<project>/<volume>--<UTC time>[.safety].tar.zst``"""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    ext = (".safety" if kind == "safety" else "") + archive.EXTENSIONS[compression]
    return backups_dir() / _project_dir_name(labels) / f"{volume}--{stamp}{ext}"


def find_backups(root: Path | None = None) -> list[archive.BackupFile]:
    """Every devkit backup under ``root`` (default: the backups folder), newest first.

    Only files whose trailer holds a valid devkit manifest count: anything else is ignored.
    """
    root = root or backups_dir()
    found = []
    if not root.is_dir():
        return []
    for path in root.rglob("*"):
        if path.name.startswith(".") or not path.is_file() or path.is_symlink():
            continue
        if not path.name.endswith(tuple(archive.EXTENSIONS.values())):
            continue
        try:
            manifest = archive.read_manifest(path)
        except DevkitError:
            continue
        st = path.stat()
        found.append(archive.BackupFile(path, manifest, st.st_size, {"mtime_ns": st.st_mtime_ns}))
    # Same-second backups get a "-2" suffix; the file's mtime orders those.
    found.sort(key=lambda b: (b.manifest["created"], b.extra["mtime_ns"]), reverse=True)
    return found


def latest_backup(volume: str, root: Path | None = None) -> archive.BackupFile | None:
    """The newest ordinary (not safety) backup of ``volume``, if any."""
    return _newest(find_backups(root), volume)


def _newest(backups: list[archive.BackupFile], volume: str) -> archive.BackupFile | None:
    """The first ordinary backup of ``volume`` in a :func:`find_backups` list (newest first)."""
    return next((b for b in backups if b.volume == volume and b.manifest["kind"] == "backup"), None)


def prune_backups(
    keep: int, *, root: Path | None = None, volume: str | None = None, dry_run: bool = False
) -> list[archive.BackupFile]:
    """Delete all but the newest ``keep`` backups per volume; returns what was (or would be)
    deleted. Files that are not devkit backups are never touched.

    Ordinary and safety backups are counted apart: a safety backup taken by
    ``restore --force`` must not push out the backups that ``--restore-latest`` seeds from,
    nor the other way round.
    """
    if keep < 0:
        raise DevkitError("--keep must be 0 or more")
    seen: dict[tuple[str, str], int] = {}
    doomed = []
    for backup in find_backups(root):
        if volume and backup.volume != volume:
            continue
        key = (backup.volume, backup.manifest["kind"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > keep:
            doomed.append(backup)
    if not dry_run:
        for backup in doomed:
            try:
                backup.path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise DevkitError(f"cannot delete {backup.path}: {exc.strerror}") from exc
    return doomed


# --------------------------------------------------------------------------- backup


def _stream(client: Any, name: str, container: Any) -> Generator[bytes, None, None]:
    """The volume's tar stream from the engine, in chunks of about 1 MiB.

    A reader thread (:func:`_prefetch`) pulls the HTTP response a few chunks ahead, so
    waiting for the engine overlaps with the consumer's compression. Close the generator
    (``contextlib.closing``) when done: that closes the HTTP response, which the engine
    needs before it lets the helper container go (it keeps the container locked while an
    archive stream is open).
    """
    try:
        res = _open_archive(client.api, container.id, f"{MOUNT}/.")
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"reading volume {name}", exc) from exc

    def chunks() -> Iterator[bytes]:
        # ~1 MiB at a time: urllib3 joins the engine's small (32 KiB) chunked-encoding pieces.
        while data := res.raw.read(STREAM_CHUNK, decode_content=True):
            yield data

    try:
        yield from _prefetch(chunks(), depth=8, thread_name="devkit-volume-reader")
    except DevkitError:
        raise
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"reading volume {name}", exc) from exc
    except Exception as exc:  # e.g. urllib3's ProtocolError when the engine hangs up
        raise DevkitError(f"reading volume {name} failed: {exc}") from exc
    finally:
        with contextlib.suppress(Exception):
            res.close()


def _prefetch(
    source: Iterator[bytes], depth: int = 4, thread_name: str = "devkit-restore-reader"
) -> Generator[bytes, None, None]:
    """Run ``source`` in a thread, ``depth`` chunks ahead of the consumer.

    Backup uses it so that waiting for the engine overlaps with compressing, restore so
    that decompressing and checking the next chunks overlaps with sending the current one
    to the engine; memory stays bounded (``depth`` chunks). Exceptions are re-raised in
    the consumer.
    """
    items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: tuple[str, Any]) -> None:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for chunk in source:
                if stop.is_set():
                    return
                hand_over(("data", chunk))
            hand_over(("end", None))
        except BaseException as exc:
            hand_over(("error", exc))

    thread = threading.Thread(target=produce, name=thread_name, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        # Free the producer if it waits on a full queue (the consumer stopped early).
        with contextlib.suppress(queue.Empty):
            while True:
                items.get_nowait()
        thread.join(timeout=30)


def _numbered(final: Path) -> Callable[[int], Path]:
    """Names for backups of one volume taken in the same second: ``<volume>--<time>-2.tar.zst``."""
    ext = "".join(final.suffixes[-2:])
    stem = final.name[: len(final.name) - len(ext)]
    return lambda n: final.with_name(f"{stem}-{n}{ext}")


@dataclass
class BackupResult:
    """A backup written: where (None when written to a stream) and its manifest."""

    path: Path | None
    manifest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: ``path`` and ``manifest``."""
        return {"path": str(self.path) if self.path else None, "manifest": self.manifest}


def backup(
    client: Any,
    name: str,
    *,
    output: Path | BinaryIO | None = None,
    compression: str = "zstd",
    level: int | None = None,
    kind: str = "backup",
    overwrite: bool = True,
    progress: ProgressFn | None = None,
) -> BackupResult:
    """Back up volume ``name`` into a file (default location when ``output`` is None or a
    directory) or a binary stream, without holding it in memory or writing an uncompressed
    copy. A file is written under a temporary name and renamed once complete and flushed;
    on any failure (or Ctrl-C) the partial file is removed."""
    archive.check_level(compression, level)
    attrs = get_volume(client, name)
    labels = attrs.get("Labels") or {}
    meta = {"name": name, "driver": attrs.get("Driver") or "local", "labels": labels}

    def write(out: BinaryIO) -> dict[str, Any]:
        with (
            helper(client, name, read_only=True) as container,
            contextlib.closing(_stream(client, name, container)) as chunks,
        ):
            return archive.write_backup(
                chunks,
                out,
                volume=meta,
                compression=compression,
                level=level,
                kind=kind,
                progress=progress,
            )

    if output is not None and not isinstance(output, Path):
        return BackupResult(None, write(output))
    if output is None:
        final = default_backup_path(name, labels, compression, kind)
        overwrite = False
    elif output.is_dir():
        final = output / default_backup_path(name, labels, compression, kind).name
        overwrite = False
    else:
        final = output
    try:
        # Backups hold shell history and caches that may carry tokens: owner-only folders.
        final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DevkitError(f"cannot create {final.parent}: {exc.strerror}") from exc
    atomic = fsutil.AtomicFile(
        final, overwrite=overwrite, private=True, alternative=_numbered(final)
    )
    with atomic as fh:
        manifest = write(fh)
    return BackupResult(atomic.path, manifest)


# --------------------------------------------------------------------------- restore


@dataclass
class RestoreResult:
    """A backup restored: into which volume, whether it was created, the safety backup taken."""

    volume: str
    manifest: dict[str, Any]
    created: bool
    safety_backup: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: ``volume``, ``created``, ``safety_backup``, ``manifest``."""
        return {
            "volume": self.volume,
            "created": self.created,
            "safety_backup": str(self.safety_backup) if self.safety_backup else None,
            "manifest": self.manifest,
        }


def _put(client: Any, container: Any, data: Iterator[bytes], name: str) -> None:
    """Extract a tar whose members are under ``volume/`` at the container's root."""
    try:
        ok = client.api.put_archive(container.id, "/", data)
    except DevkitError:
        raise
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"writing volume {name}", exc) from exc
    if not ok:
        raise DevkitError(f"writing volume {name} failed: the engine refused the archive")


def restore(
    client: Any,
    path: Path,
    *,
    target: str | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    on_safety_backup: Callable[[Path], None] | None = None,
) -> RestoreResult:
    """Restore the backup at ``path`` into ``target`` (default: the volume it came from).

    Order of checks, all before any volume is touched: the manifest and the SHA-256 of the
    whole payload, every tar member (no absolute or ``..`` paths, nothing written through a
    symlink, no device nodes), then the target: not used by any container, and empty unless
    ``force`` — with ``force`` a safety backup of the current contents is taken first and the
    volume is recreated empty (same driver, options and labels) before the restore.
    A new target volume gets the labels recorded in the backup. ``progress`` is called with
    byte counts for both passes (check, then write): ``2 * uncompressed_bytes`` in all.
    """
    if target is not None:
        check_name(target)  # before reading the whole backup
    manifest = archive.verify(path, progress=progress)
    name = check_name(target or manifest["volume"]["name"])
    created = False
    safety: Path | None = None
    attrs = _inspect(client, name)
    if attrs is not None:
        refuse_in_use(client, name, "restore into")
        if not is_empty(client, name):
            if not force:
                raise DevkitError(
                    f"volume {name} is not empty; use --force to replace its contents "
                    "(a safety backup is taken first) or --to NEW_NAME"
                )
            result = backup(client, name, kind="safety", compression="zstd")
            safety = result.path
            if on_safety_backup is not None and safety is not None:
                on_safety_backup(safety)
            _recreate(client, attrs)
            if not is_empty(client, name):
                # e.g. a local volume bound to a host folder (o=bind,device=…): removing
                # the volume does not remove the folder's files.
                raise DevkitError(
                    f"volume {name} still holds data after being recreated (its driver keeps "
                    f"it elsewhere, options {attrs.get('Options') or {}}); empty it by hand. "
                    f"Nothing was restored; its contents are also in {safety}"
                )
    else:
        _create(client, name, manifest["volume"]["driver"], manifest["volume"]["labels"])
        created = True
    try:
        with helper(client, name) as container:
            # The member rules are applied again on the second pass, so a file swapped
            # between check and write cannot slip an unsafe member through.
            stream = archive.iter_tar(
                path,
                manifest,
                progress=progress,
                on_member=archive.MemberPolicy().check,
                rebase=REBASE,
            )
            _put(client, container, _prefetch(stream), name)
    except BaseException:
        if created:  # do not leave a half-filled new volume that looks restored
            with contextlib.suppress(*engine.DOCKER_ERRORS):
                client.api.remove_volume(name)
        raise
    return RestoreResult(name, manifest, created, safety)


def _recreate(client: Any, attrs: dict[str, Any]) -> None:
    """Remove and recreate a volume empty, with the same driver, options and labels."""
    name = attrs["Name"]
    try:
        client.api.remove_volume(name)
        client.api.create_volume(
            name=name,
            driver=attrs.get("Driver") or "local",
            driver_opts=attrs.get("Options") or None,
            labels=attrs.get("Labels") or None,
        )
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"emptying volume {name}", exc) from exc


# --------------------------------------------------------------------------- copy / remove


@dataclass
class CopyResult:
    """A volume copied: from where, to where, whether ``target`` was created, and the size of
    the tar stream that carried the data."""

    source: str
    target: str
    created: bool
    tar_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: every field."""
        return asdict(self)


def copy_volume(
    client: Any,
    source: str,
    target: str,
    *,
    labels: dict[str, str] | None = None,
    progress: ProgressFn | None = None,
) -> CopyResult:
    """Copy the data of volume ``source`` into volume ``target``.

    ``target`` is created when missing — with ``source``'s driver and labels (except Docker
    Compose's ``com.docker.compose.*``), updated with ``labels`` (e.g. a new
    purpose label) — or must exist and be empty. Ownership,
    modes, symlinks, hard links and mtimes are kept (the tar stream goes straight from one
    helper container to the other, nothing touches the local disk). ``source`` may be used
    by stopped containers but not by a running one; ``target`` by no container at all.
    Returns what was done (:class:`CopyResult`).
    Raises :class:`DevkitError` (unknown source, target not empty, volume in use, engine errors).
    """
    src = get_volume(client, source)
    check_name(target)
    _refuse_running(client, source)
    exists = volume_exists(client, target)
    if exists:
        refuse_in_use(client, target, "copy into")
        if not is_empty(client, target):
            raise DevkitError(f"cannot copy into volume {target}: it is not empty")
    sent = _transfer(
        client, source, src, target, create=not exists, labels=labels, progress=progress
    )
    return CopyResult(source, target, not exists, sent)


#: What :func:`migrate` reports when it copied, and when there was nothing to copy.
MIGRATED = "copied (old volume kept)"
NOTHING_TO_MIGRATE = "nothing to copy: no such volume here"


def migrate(client: Any, old: str, new: str, labels: dict[str, str]) -> str:
    """Move a renamed volume's data from ``old`` into ``new`` (``devkit update
    --migrate-volumes``); returns the outcome in a few words for the user.

    ``old`` is never changed or removed. Two cases are outcomes, not errors: ``old`` does not
    exist on this engine (the project never ran here: :data:`NOTHING_TO_MIGRATE`), and ``new``
    already holds data (its container already ran: ``"not copied: <new> already holds
    data"``). Otherwise the data is copied as by :func:`copy_volume`, ``new`` being created
    with ``labels`` (:data:`MIGRATED`); a volume in use or an engine error raises
    :class:`DevkitError`.
    """
    src = _inspect(client, old)
    if src is None:
        return NOTHING_TO_MIGRATE
    check_name(new)
    exists = volume_exists(client, new)
    # Looked at once: the emptiness of ``new`` decides the outcome and guards the copy.
    if exists and not is_empty(client, new):
        return f"not copied: {new} already holds data"
    _refuse_running(client, old)
    if exists:
        refuse_in_use(client, new, "copy into")
    _transfer(client, old, src, new, create=not exists, labels=labels)
    return MIGRATED


def _refuse_running(client: Any, source: str) -> None:
    # Reading a volume that only stopped containers use is safe; a running one may change
    # under the copy.
    running = users(client, source, running_only=True)
    if running:
        raise DevkitError(
            f"cannot copy volume {source}: running container(s) {', '.join(running)} use it; "
            "stop them first"
        )


def _transfer(
    client: Any,
    source: str,
    src: dict[str, Any],
    target: str,
    *,
    create: bool,
    labels: dict[str, str] | None,
    progress: ProgressFn | None = None,
) -> int:
    """Stream ``source``'s files into ``target`` (checked by the caller), creating ``target``
    first when ``create`` — and removing it again if the copy does not complete. Returns the
    bytes of tar stream sent."""
    if create:
        # Compose's own labels say which compose project/key created the source; the copy was
        # not created by Compose, and carrying them over makes Compose misattribute it.
        inherited = {
            k: v
            for k, v in (src.get("Labels") or {}).items()
            if not k.startswith("com.docker.compose.")
        }
        _create(client, target, src.get("Driver") or "local", {**inherited, **(labels or {})})
    sent = 0
    try:
        with (
            helper(client, source, read_only=True) as reader,
            helper(client, target) as writer,
            contextlib.closing(_stream(client, source, reader)) as stream,
        ):

            def chunks() -> Iterator[bytes]:
                nonlocal sent
                for chunk in stream:
                    sent += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
                    yield chunk

            _put(client, writer, archive.rebase(chunks(), REBASE), target)
    except BaseException:
        if create:
            with contextlib.suppress(*engine.DOCKER_ERRORS):
                client.api.remove_volume(target)
        raise
    return sent


def remove_volume(client: Any, name: str) -> None:
    """Remove a volume that no container uses."""
    import docker.errors

    get_volume(client, name)
    refuse_in_use(client, name, "remove")
    try:
        client.api.remove_volume(name)
    except docker.errors.NotFound:
        pass
    except engine.DOCKER_ERRORS as exc:
        raise docker_error(f"removing volume {name}", exc) from exc
