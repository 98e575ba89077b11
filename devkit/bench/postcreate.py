"""The other half of a rebuild: the dev container's creation commands.

After ``devcontainer up`` rebuilds the image, the Dev Containers CLI creates the container and
runs ``onCreateCommand``, ``updateContentCommand`` and ``postCreateCommand`` (the template's
``post-create.sh`` brings the environments in their volumes in line with the manifests). The
user waits for both, so ``devkit bench`` times both: :func:`find` reads what a Dockerfile's
``devcontainer.json`` (and its compose file) run and mount, and :class:`PostCreate` runs those
commands in a container of the freshly built image with

* the project's named volumes, as bench-owned copies (``devkit-bench-<run>-<key>``, labelled
  with the bench label and removed at the end): seeded from the image on first use exactly as
  Docker seeds the user's own, then kept from build to build, as the user's are;
* a scratch copy of the project as the workspace (without ``.git``, ``node_modules`` and
  ``.venv``), so that whatever the commands write (an editable install's metadata, a lockfile)
  never lands in the user's tree.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit import compose, engine
from devkit.errors import DevkitError

#: The lifecycle commands run when a container is created, in the order the CLI runs them.
LIFECYCLE = ("onCreateCommand", "updateContentCommand", "postCreateCommand")
#: Not copied into the scratch workspace: history and dependency folders the image or the
#: volumes provide (and that can be large).
SKIPPED_IN_COPY = (".git", "node_modules", ".venv")


@dataclass
class DevContainer:
    """What creating the dev container runs and mounts."""

    #: (lifecycle key, command): a string runs through ``/bin/sh -c``, a list as it is.
    commands: list[tuple[str, str | list[str]]]
    workspace: str
    #: (volume key in the compose file, mount target)
    volumes: list[tuple[str, str]] = field(default_factory=list)
    user: str | None = None

    def describe(self) -> str:
        """The commands, as a user would recognise them."""
        return "; ".join(c if isinstance(c, str) else " ".join(c) for _, c in self.commands)


def _strip_comments(text: str) -> str:
    """devcontainer.json is JSON with comments: drop ``//`` and ``/* */`` outside strings and
    trailing commas, enough to read the few keys used here."""
    pattern = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.S)
    plain = pattern.sub(lambda m: m.group(1) or "", text)
    return re.sub(r",(\s*[}\]])", r"\1", plain)


def find(dockerfile: Path, context: Path) -> DevContainer | None:
    """The creation commands of the ``devcontainer.json`` beside ``dockerfile``, if it has
    any; None for a Dockerfile that is not a dev container's."""
    config = dockerfile.parent / "devcontainer.json"
    if not config.is_file():
        return None
    try:
        doc = json.loads(_strip_comments(config.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DevkitError(f"cannot read {config}: {exc}") from exc
    if not isinstance(doc, dict):
        raise DevkitError(f"{config} is not a JSON object")
    commands: list[tuple[str, str | list[str]]] = []
    for key in LIFECYCLE:
        value = doc.get(key)
        if isinstance(value, dict):  # named commands (the CLI runs them in parallel)
            commands += [(f"{key}.{name}", v) for name, v in value.items() if _is_command(v)]
        elif isinstance(value, (str, list)) and _is_command(value):
            commands.append((key, value))
    if not commands:
        return None
    workspace = str(doc.get("workspaceFolder") or f"/workspaces/{context.name}")
    user = doc.get("containerUser") or doc.get("remoteUser")
    volumes: list[tuple[str, str]] = []
    compose_file = doc.get("dockerComposeFile")
    if isinstance(compose_file, list):
        compose_file = compose_file[0] if compose_file else None
    if isinstance(compose_file, str):
        volumes = _service_volumes(config.parent / compose_file, str(doc.get("service", "")))
    return DevContainer(commands, workspace, volumes, user if isinstance(user, str) else None)


def _is_command(value: Any) -> bool:
    return (isinstance(value, str) and bool(value.strip())) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
    )


def _service_volumes(path: Path, service: str) -> list[tuple[str, str]]:
    """The named volumes (compose key, target) the service mounts."""
    try:
        doc = compose.parse(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise DevkitError(f"cannot read {path}: {exc}") from exc
    declared = {v.key for v in compose.named_volumes(doc, str(path))}
    entry = (doc.get("services") or {}).get(service) or {}
    found = []
    for mount in entry.get("volumes") or []:
        if isinstance(mount, str):
            parts = mount.split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
        elif isinstance(mount, dict):
            source, target = str(mount.get("source", "")), str(mount.get("target", ""))
        else:
            continue
        if source in declared and target:
            found.append((source, target))
    return found


class PostCreate:
    """Runs a :class:`DevContainer`'s creation commands for one bench run."""

    def __init__(
        self,
        client: Any,
        spec: DevContainer,
        project: Path,
        scratch: Path,
        prefix: str,
        labels: dict[str, str],
    ) -> None:
        self.client = client
        self.spec = spec
        self.project = project
        self.workspace = scratch
        self.prefix = prefix
        self.labels = labels
        self._volumes: list[str] = []
        self._copied = False

    def volume_names(self) -> list[str]:
        """The bench's own copies of the project's volumes, one per compose key."""
        return [f"{self.prefix}-{key}" for key, _ in self.spec.volumes]

    def reset_volumes(self) -> None:
        """Start from fresh volumes (Docker seeds them from the next image again)."""
        left = self.remove_volumes()
        if left:
            raise DevkitError(
                "could not remove the bench's volumes " + ", ".join(left) + " to start afresh"
            )

    def sync(self, paths: list[Path]) -> None:
        """Bring the scratch workspace in line with the project: a full copy the first time,
        afterwards only ``paths`` (the files the scenarios edit and restore)."""
        if not self._copied:
            shutil.copytree(
                self.project,
                self.workspace,
                symlinks=True,
                ignore=lambda folder, names: [
                    n for n in names if n in SKIPPED_IN_COPY and Path(folder) == self.project
                ],
            )
            self._copied = True
        else:
            for path in paths:
                rel = path.resolve().relative_to(self.project.resolve())
                shutil.copyfile(path, self.workspace / rel)

    def _own_workspace(self, container: Any) -> None:
        """As root, give the scratch copy to the user who runs the commands, as the host
        user owns the bind-mounted project in real use (the template checks it)."""
        if os.geteuid() != 0:
            return
        ids = []
        for flag in ("-u", "-g"):
            code, out = container.exec_run(["id", flag], user=self.spec.user or "")
            if code != 0 or not out.strip().isdigit():
                return
            ids.append(int(out.strip()))
        for root, dirs, files in os.walk(self.workspace):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(root, name), ids[0], ids[1])
        os.lchown(self.workspace, ids[0], ids[1])

    def run(self, image: str) -> float:
        """Create a container of ``image`` with the volumes and the workspace, run the
        commands in it one after the other; their wall time in seconds. Raises DevkitError
        with the failing command's last output lines."""
        try:
            for name in self.volume_names():
                if name not in self._volumes:
                    self.client.volumes.create(name=name, labels=self.labels)
                    self._volumes.append(name)
            mounts = {str(self.workspace): {"bind": self.spec.workspace, "mode": "rw"}}
            for name, (_, target) in zip(self.volume_names(), self.spec.volumes, strict=True):
                mounts[name] = {"bind": target, "mode": "rw"}
            container = self.client.containers.run(
                image,
                command=["sleep", "infinity"],
                entrypoint=[],
                detach=True,
                volumes=mounts,
                working_dir=self.spec.workspace,
                labels=self.labels,
            )
        except engine.DOCKER_ERRORS as exc:
            raise engine.docker_error(
                "start the dev container for the post-create step", exc
            ) from exc
        try:
            self._own_workspace(container)
            started = time.monotonic()
            for key, command in self.spec.commands:
                argv = ["/bin/sh", "-c", command] if isinstance(command, str) else command
                code, output = container.exec_run(
                    argv, workdir=self.spec.workspace, user=self.spec.user or ""
                )
                if code != 0:
                    lines = [
                        ln for ln in output.decode("utf-8", "replace").splitlines() if ln.strip()
                    ]
                    raise DevkitError(
                        f"{key} failed in the dev container (exit {code}): "
                        + " | ".join(lines[-3:])[-600:]
                    )
            return time.monotonic() - started
        except engine.DOCKER_ERRORS as exc:
            raise engine.docker_error("run the post-create commands", exc) from exc
        finally:
            with contextlib.suppress(*engine.DOCKER_ERRORS):
                container.remove(force=True)

    def remove_volumes(self) -> list[str]:
        """Remove the volumes this run made; the names that could not be removed."""
        left = []
        for name in list(self._volumes):
            try:
                self.client.volumes.get(name).remove(force=True)
            except engine.DOCKER_ERRORS as exc:
                if "No such volume" not in str(exc) and "not found" not in str(exc).lower():
                    left.append(name)
                    continue
            self._volumes.remove(name)
        return left
