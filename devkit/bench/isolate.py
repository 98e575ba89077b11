"""Cold builds that touch nobody else's cache: a copy of the Dockerfile whose
``--mount=type=cache`` ids carry a suffix of this run, and whose RUN commands carry it too, so
that the cache-mount records the copy creates, and only those, can be pruned afterwards.

RUN instructions and their lines come from :mod:`devkit.dockerfile` (continuation lines,
``# escape=``, heredoc bodies, which are not instructions of their own)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devkit.dockerfile import parse_text
from devkit.errors import DevkitError

_MOUNT = re.compile(r"--mount=(?P<spec>[^\s\\]+)")


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

    Text that is not a Dockerfile (no ``FROM``) is returned as it is: its build says what is
    wrong.
    """
    lines = dockerfile_text.splitlines(keepends=True)
    result = IsolatedDockerfile(dockerfile_text)
    try:
        instructions = parse_text(dockerfile_text).instructions
    except DevkitError:
        return result
    for instruction in instructions:
        if instruction.keyword != "RUN":
            continue
        # The instruction's own lines: a heredoc's body is what runs, not flags.
        first, last = instruction.line - 1, instruction.end_line - 1
        if instruction.heredocs:
            last = instruction.heredocs[0].line - 2
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
        command = instruction.args.strip()
        if command.startswith("[") or "<<" in command:
            result.untagged += ids
            continue
        body = lines[last].rstrip("\r\n")
        lines[last] = f"{body} # {suffix}" + lines[last][len(body) :]
        result.tagged += ids
    result.text = "".join(lines)
    return result


def prune_cache_mounts(
    client: Any, token: str, ids: list[str], note: Callable[[str], None]
) -> None:
    """Prune the engine's cache-mount records whose description carries ``token`` (the ones
    the isolated copies, with cache-mount ``ids``, created; never one of another build,
    whenever it was made), telling ``note`` what was and what could not be done."""
    from devkit import engine

    try:
        records = client.api.df().get("BuildCache") or []
    except engine.DOCKER_ERRORS as exc:
        # e.g. a busy engine taking longer than the client's timeout to size its cache
        note(
            f"could not list the build cache to prune ours ({engine.describe(exc)}); "
            "left: cache mounts " + ", ".join(ids)
        )
        return
    pruned = 0
    for record in records:
        if record.get("Type") != "exec.cachemount" or record.get("InUse"):
            continue
        if token not in str(record.get("Description", "")):
            continue
        try:
            client.api.prune_builds(filters={"id": [record["ID"]]})
            pruned += 1
        except engine.DOCKER_ERRORS as exc:
            note(f"could not prune cache mount {record['ID']}: {engine.describe(exc)}")
    if pruned:
        note(f"pruned {pruned} cache mount(s) this run created")
