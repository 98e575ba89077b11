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
    """Untag every local image of ``repository`` (never forced)."""
    import docker.errors

    for image in client.images.list(name=repository):
        for tag in image.tags:
            if tag.startswith(repository + ":"):
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(tag)
