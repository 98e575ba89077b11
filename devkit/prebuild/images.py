"""The digest of each external image a build reads (``FROM``, ``COPY --from=image``).

Where the digest comes from follows where the builder takes the image from. The ``docker``
driver uses an image the engine already has (so the engine's answer counts: its registry
digest when it was pulled, its own id when it was made locally with ``docker import``), and
asks the registry only for images it lacks. Every other driver always pulls, so only the
registry's digest counts. A reference pinned with ``@sha256:`` is its own answer.
"""

from __future__ import annotations

import json
import re

from devkit.errors import DevkitError
from devkit.prebuild.dockercli import json_answer, last_line, run

_DIGEST = re.compile(r"@(sha256:[0-9a-f]{64})$")


class ImageResolver:
    """``resolver(ref) -> "sha256:…"``, asking the engine and/or the registry (see module)."""

    def __init__(self, docker: str, *, local_first: bool, context: str | None = None) -> None:
        self.docker = docker
        self.local_first = local_first
        self.context = context
        self._seen: dict[str, str] = {}

    def __call__(self, ref: str) -> str:
        if ref in self._seen:
            return self._seen[ref]
        pinned = _DIGEST.search(ref)
        if pinned:
            digest = pinned.group(1)
        else:
            local = self.local(ref) if self.local_first else None
            digest = local or self.remote(ref)
        self._seen[ref] = digest
        return digest

    def local(self, ref: str) -> str | None:
        """The engine's digest of ``ref``: the registry digest it was pulled by, else its id;
        None when the engine does not have it."""
        argv = [self.docker]
        if self.context:
            argv += ["--context", self.context]
        data = json_answer([*argv, "image", "inspect", ref, "--format", "{{json .}}"])
        if not isinstance(data, dict):
            return None
        for repo_digest in data.get("RepoDigests") or []:
            found = _DIGEST.search(str(repo_digest))
            if found:
                return found.group(1)
        image_id = str(data.get("Id") or "")
        return image_id if image_id.startswith("sha256:") else None

    def remote(self, ref: str) -> str:
        """The registry's digest of ``ref`` (its manifest list when it has one)."""
        done = run(
            [self.docker, "buildx", "imagetools", "inspect", ref, "--format", "{{json .Manifest}}"]
        )
        if done.returncode == 0:
            try:
                digest = json.loads(done.stdout).get("digest")
            except (ValueError, AttributeError):
                digest = None
            if isinstance(digest, str) and digest.startswith("sha256:"):
                return digest
        why = last_line(done.stderr + done.stdout)
        where = "the engine does not have it and " if self.local_first else ""
        raise DevkitError(
            f"base image {ref}: {where}its registry did not say its digest ({why})",
            hint=f"pull or build {ref} first",
        )
