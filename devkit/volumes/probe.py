"""What an engine does with a volume's data, found out once per engine by trying it.

Engines that speak the Docker Engine API differ where it matters most and say nothing about
it: every call answers success. Measured (docs/volumes.md#engines): Docker 20.10 and 26 read
and write volume archives exactly, but refuse an upload *at the mount point* holding a
relative symlink that points above it; Podman 4.3 and 5 read every owner as root (0:0),
leave out the volume's root entry and show hard-linked symlinks as symlinks, and accept an
upload at ``/`` with a 200 without writing anything into the volume, while an upload at the
mount point is exact.

So, before devkit moves data through an engine for the first time, :func:`probe` writes a
small known tree (owners, modes with setuid/sticky bits, a fixed mtime, a hard link, a
hard-linked symlink, symlinks pointing inside, above and to an absolute path) into a scratch
volume, each way of uploading in turn (:data:`~devkit.volumes.transport.PUT_ROOT`, then
:data:`~devkit.volumes.transport.PUT_MOUNT`), and reads it back through the API and from the
volume's folder on this machine. Only a read that returns the tree exactly counts, and an
upload counts only once an exact read has seen its result. The answer
(:class:`Capabilities`) is cached per engine in ``<data dir>/engine-caps.json``, keyed by
where the engine is and its kind and version: a new engine version is probed again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from devkit import engine, fsutil
from devkit.engine import EngineInfo
from devkit.errors import DevkitError
from devkit.labels import HELPER_LABEL
from devkit.resources import data_dir
from devkit.volumes import helper, mountpoint, transport
from devkit.volumes.archive import TarWalker, rebase
from devkit.volumes.archive.digest import Entry, differences, first_difference

# Re-exported: callers ask the probe for its answer's type and read modes.
from devkit.volumes.capabilities import READ_API as READ_API
from devkit.volumes.capabilities import READ_MOUNT as READ_MOUNT
from devkit.volumes.capabilities import Capabilities as Capabilities

#: The cache file, in devkit's data folder.
CACHE_NAME = "engine-caps.json"
#: Bumped when the probe changes, so that older answers are not trusted (3: Podman 5.4's
#: first-use chown is settled before writing; version 2 cached 5.4 as refusing every write).
PROBE_VERSION = 3

_UID, _GID, _MTIME = 4242, 4243, 1_000_000_000


def _tree() -> list[tuple[str, bytes, dict[str, Any]]]:
    """The probe's tree: (name, tar type, attributes) in the engines' walking order."""
    reg, dirt, sym, lnk = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
    return [
        ("./", dirt, {"mode": 0o751, "uid": _UID + 2}),
        ("./abs", sym, {"linkname": "/etc/passwd", "mode": 0o777}),
        ("./d", dirt, {"mode": 0o750}),
        ("./d/f", reg, {"mode": 0o640, "data": b"abc"}),
        ("./d/h", lnk, {"linkname": "./d/f", "mode": 0o640}),
        ("./d/x", reg, {"mode": 0o4755, "data": b"#!/bin/sh\n"}),
        ("./s", sym, {"linkname": "d/f", "mode": 0o777}),
        ("./t", dirt, {"mode": 0o1777, "gid": _GID + 1}),
        ("./up", sym, {"linkname": "../../../outside", "mode": 0o777}),
    ]


def _links_tree() -> list[tuple[str, bytes, dict[str, Any]]]:
    """Uploaded second: a hard link to a symlink (``ln symlink other``). Podman 4.3 links it
    to the file the symlink points to and chmods that file to 0777 (or fails, when the
    symlink points outside the volume)."""
    return [
        ("./hs", tarfile.DIRTYPE, {"mode": 0o755}),
        ("./hs/f", tarfile.REGTYPE, {"mode": 0o640, "data": b"abc"}),
        ("./hs/l", tarfile.SYMTYPE, {"linkname": "f", "mode": 0o777}),
        ("./hs/l2", tarfile.LNKTYPE, {"linkname": "./hs/l", "mode": 0o777}),
    ]


def probe_tar(tree: list[tuple[str, bytes, dict[str, Any]]] | None = None) -> bytes:
    """The probe's tree as a tar stream (members ``./…``, as a backup holds them)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, attrs in tree or _tree():
            info = tarfile.TarInfo(name)
            info.type = kind
            info.uid, info.gid, info.mtime = attrs.get("uid", _UID), attrs.get("gid", _GID), _MTIME
            info.mode = attrs["mode"]
            info.linkname = attrs.get("linkname", "")
            data = attrs.get("data")
            info.size = len(data) if data is not None else 0
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def expected_entries(tree: list[tuple[str, bytes, dict[str, Any]]] | None = None) -> list[Entry]:
    """The probe's tree as the entries an exact read gives back."""
    return _read_entries(iter([probe_tar(tree)]))


def describe(caps: Capabilities) -> list[str]:
    """What ``devkit volumes engine`` prints: one line per fact."""
    info = caps.engine
    lines = [f"engine   {info.name} (Engine API {info.api_version}) at {info.host}"]
    if caps.read_api:
        lines.append("backup   exact, read through the engine's archive endpoint")
    elif caps.read_mount:
        lines.append(
            "backup   exact, read from the volume's folder on this machine (the engine's "
            f"archive endpoint is not exact: {caps.notes.get('read_api', '?')})"
        )
    else:
        lines.append(
            "backup   refused: the engine's archive endpoint is not exact "
            f"({caps.notes.get('read_api', '?')}) and its volumes' folders cannot be read here"
        )
    if caps.put is None:
        why = "; ".join(v for k, v in caps.notes.items() if k.startswith("put")) or "?"
        lines.append(f"restore  refused: no upload could be seen to arrive intact ({why})")
    else:
        where = "at / (members under volume/)" if caps.put == "root" else "at the mount point"
        check = "the volume's folder" if caps.read_mount else "the engine's archive endpoint"
        lines.append(f"restore  upload {where}, then checked against the backup from {check}")
        if not caps.hardlinked_symlinks:
            seen = caps.notes.get("hardlinked_symlinks", "?")
            lines.append(f"         refused for data holding a hard link to a symlink ({seen})")
        if not caps.root_owner:
            seen = caps.notes.get("root_owner", "?")
            lines.append(f"         refused for a root folder not owned by 0:0 ({seen})")
    when = caps.probed.replace("T", " ").replace("Z", " UTC")
    source = "remembered from" if caps.cached else "probed"
    lines.append(f"probe    {source} {when} (took {caps.seconds:.2f} s); cache {cache_path()}")
    return lines


# ---------------------------------------------------------------------- the cache


def cache_path() -> Path:
    """``<devkit data dir>/engine-caps.json``."""
    return data_dir() / CACHE_NAME


def _key(info: EngineInfo) -> str:
    return f"{info.host}|{info.kind}|{info.version}|{info.api_version}"


def _read_cache() -> dict[str, Any]:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("probe_version") != PROBE_VERSION:
        return {}
    engines = data.get("engines")
    return engines if isinstance(engines, dict) else {}


def _write_cache(key: str, caps: Capabilities) -> None:
    engines = _read_cache()
    engines[key] = caps.to_dict()
    engines[key].pop("cached", None)
    path = cache_path()
    # Best effort: a cache that cannot be written costs another probe next time, no more.
    with contextlib.suppress(DevkitError, OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"probe_version": PROBE_VERSION, "engines": engines}, indent=1)
        fsutil.write_atomic(path, text + "\n")


_memo: dict[str, Capabilities] = {}


def capabilities(client: Any, *, reprobe: bool = False) -> Capabilities:
    """The engine's :class:`Capabilities`: from this process's memory, else the cache file,
    else (or with ``reprobe``) by probing it now (about a second) and caching the answer."""
    info = engine.identify(client)
    key = _key(info)
    if not reprobe:
        if key in _memo:
            return _memo[key]
        cached = _read_cache().get(key)
        if cached is not None:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                caps = Capabilities.from_dict(cached)
                caps = Capabilities(**{**caps.__dict__, "cached": True})
                _memo[key] = caps
                return caps
    caps = probe(client, info)
    _write_cache(key, caps)
    _memo[key] = caps
    return caps


def forget() -> None:
    """Drop this process's memory of probed engines (the cache file stays)."""
    _memo.clear()


# ---------------------------------------------------------------------- the probe


def _read_entries(stream: Iterator[bytes]) -> list[Entry]:
    found: list[Entry] = []
    walker = TarWalker(lambda m: found.append(Entry.of(m)))
    for chunk in stream:
        walker.feed(chunk)
    walker.finish()
    return found


def _api_entries(client: Any, name: str) -> list[Entry]:
    with (
        helper.container(client, name, read_only=True) as container,
        contextlib.closing(transport.stream(client, name, container)) as chunks,
    ):
        return _read_entries(chunks)


def _mount_entries(client: Any, name: str) -> list[Entry] | str:
    """The volume's tree read from its folder here, or why it cannot be."""
    attrs = helper.get_volume(client, name)
    root = mountpoint.usable_root(attrs)
    if root is None:
        where = attrs.get("Mountpoint") or "(none)"
        return f"its folder {where} is not readable on this machine"
    return [Entry.of(m) for m in mountpoint.members(root)]


def _difference(got: list[Entry] | str, want: list[Entry]) -> str | None:
    """None when ``got`` is the probe's tree exactly (but maybe for the root folder's
    owner, see :func:`_root_owner_difference`), else the first differences (or why
    nothing could be read)."""
    if isinstance(got, str):
        return got
    (root,) = (e for e in want if e.path == ".")
    got = [dataclasses.replace(e, uid=root.uid, gid=root.gid) if e.path == "." else e for e in got]
    return "; ".join(differences(got, want, source="what devkit wrote")) or None


def probe(
    client: Any, info: EngineInfo, *, clock: Callable[[], float] = time.perf_counter
) -> Capabilities:
    """Find out the engine's :class:`Capabilities` now, on scratch volumes removed after.

    Raises :class:`DevkitError` only when the engine fails at the basics (no helper
    image, no volume, no helper container); what it gets wrong is recorded in ``notes``, not
    raised.
    """
    start = clock()
    helper.ensure_helper_image(client)
    helper.remove_stray_helper_images(client)
    want = expected_entries()
    notes: dict[str, str] = {}
    put: str | None = None
    read_api = read_mount = links = root_owner = False
    for how in transport.PUT_MODES:
        name = f"devkit-probe-{uuid.uuid4().hex[:12]}"
        helper.create(client, name, "local", {HELPER_LABEL: "probe"})
        try:
            if how == transport.PUT_MODES[0]:
                # An engine that cannot make a helper container at all (e.g. the containerd
                # store on overlayfs: its snapshots cannot be mounted) must say so, not come
                # out as one whose uploads arrive wrong: that answer would be cached, and
                # every later backup refused for the wrong reason.
                with helper.container(client, name, read_only=True):
                    pass
            try:
                _upload(client, name, how, probe_tar())
            except DevkitError as exc:
                notes[f"put_{how}"] = str(exc)
                continue
            api, mount = _read(client, name, READ_API), _read(client, name, READ_MOUNT)
            # The root folder's owner is judged apart: an upload that leaves it root's is
            # still exact for everything else. (The API read above starts no container but
            # mounts the volume: on Podman that is a first use, so a volume whose root it
            # would still give away shows here as a root owner lost. Podman 5.4 did, until
            # helper.container settled it before writing.)
            api_diff, mount_diff = _difference(api, want), _difference(mount, want)
            if api_diff is not None and mount_diff is not None:
                notes[f"put_{how}"] = (
                    f"the engine answered success, but read back through the API: {api_diff}; "
                    f"from the volume's folder: {mount_diff}"
                )
                notes["read_api"], notes["read_mount"] = api_diff, mount_diff
                continue
            put, read_api, read_mount = how, api_diff is None, mount_diff is None
            for key, diff in (("read_api", api_diff), ("read_mount", mount_diff)):
                notes.pop(key, None)
                if diff is not None:
                    notes[key] = diff
            root = _root_owner_difference(mount if read_mount else api, want)
            root_owner = root is None
            if root is not None:
                notes["root_owner"] = root
            links_diff = _links_check(client, name, how, READ_API if read_api else READ_MOUNT)
            links = links_diff is None
            if links_diff is not None:
                notes["hardlinked_symlinks"] = links_diff
            break
        finally:
            with contextlib.suppress(*engine.DOCKER_ERRORS):
                client.api.remove_volume(name)
    return Capabilities(
        engine=info,
        put=put,
        read_api=read_api,
        read_mount=read_mount,
        hardlinked_symlinks=links,
        root_owner=root_owner,
        notes=notes,
        probed=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        seconds=round(clock() - start, 2),
    )


def _root_owner_difference(got: list[Entry] | str, want: list[Entry]) -> str | None:
    """How the root folder's owner differs from the probe tree's, or None."""
    if isinstance(got, str):
        return got
    roots = [e for e in got if e.path == "."]
    (expected,) = (e for e in want if e.path == ".")
    if not roots:
        return "the volume's root folder is missing"
    if (roots[0].uid, roots[0].gid) == (expected.uid, expected.gid):
        return None
    return (
        f"the volume's root folder: owner {roots[0].uid}:{roots[0].gid}, "
        f"expected {expected.uid}:{expected.gid}"
    )


def _upload(client: Any, name: str, how: str, data: bytes) -> None:
    folder, _ = transport.put_layout(how)
    with helper.container(client, name) as container:
        transport.put(client, container, iter([_rebased(data, folder)]), name, how)


def _read(client: Any, name: str, how: str) -> list[Entry] | str:
    """The volume's tree read ``how``, or what went wrong."""
    try:
        return _api_entries(client, name) if how == READ_API else _mount_entries(client, name)
    except DevkitError as exc:
        return f"reading it failed: {exc}"


def _links_check(client: Any, name: str, how: str, reader: str) -> str | None:
    """Upload the hard-linked symlink tree into the probed volume; None when it came back
    exactly, else what went wrong."""
    tree = _links_tree()
    try:
        _upload(client, name, how, probe_tar(tree))
    except DevkitError as exc:
        return str(exc)
    got = _read(client, name, reader)
    if isinstance(got, str):
        return got
    wanted = {e.path for e in expected_entries(tree)}
    return first_difference(
        [e for e in got if e.path in wanted], expected_entries(tree), source="what devkit wrote"
    )


def _rebased(data: bytes, folder: str) -> bytes:
    return b"".join(rebase([data], folder))
