"""Helpers for the prebuild tests: a small two-stage busybox project, image clean-up."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

TWO_STAGE = """\
FROM busybox:latest AS build
ARG TARGETARCH
COPY src/ /src/
RUN cat /src/* > /all.txt && echo "built for $TARGETARCH on $(uname -m)" > /built.txt
FROM busybox:latest AS dev
COPY --from=build /all.txt /built.txt /
COPY hello.txt /hello.txt
CMD ["sh"]
"""


def make_project(root: Path, dockerfile: str = TWO_STAGE) -> Path:
    """A small busybox project: two stages, a sent folder, a sent file and an unsent one."""
    (root / "src").mkdir(parents=True)
    (root / "Dockerfile").write_text(dockerfile)
    (root / "src" / "a.txt").write_text("a\n")
    (root / "hello.txt").write_text("hello\n")
    (root / "notes.md").write_text("not sent\n")
    (root / ".dockerignore").write_text("notes.md\n")
    return root


def remove_images(client: Any, repository: str) -> None:
    """Remove every local image of ``repository``: its tags, and the images a later push of
    the same tag left without one (never forced: an image still in use stays)."""
    import docker.errors

    for image in client.images.list(name=repository):
        refs = [t for t in image.tags if t.startswith(repository + ":")]
        digests = image.attrs.get("RepoDigests") or []
        if not image.tags and any(d.startswith(repository + "@") for d in digests):
            refs = [image.id]
        for ref in refs:
            with contextlib.suppress(docker.errors.APIError):
                client.images.remove(ref)
