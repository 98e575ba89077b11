"""Per-run cache-mount ids for cold builds (devkit.bench.isolate)."""

from __future__ import annotations

from devkit.bench.isolate import isolate_cache_mounts


def test_cache_mount_ids_get_the_suffix_and_their_runs_the_token() -> None:
    text = (
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n"
        "    --mount=type=cache,id=pip,target=/root/.cache/pip \\\n"
        "    --mount=type=bind,source=x,target=/x \\\n"
        "    apt-get update\r\n"
        "RUN --mount=type=bind,source=y,target=/y cat /y\n"
        'RUN --mount=type=cache,target=/c ["sh", "-c", "ls /c"]\n'
        "RUN --mount=type=cache,target=/d echo last"
    )
    isolated = isolate_cache_mounts(text, "devkit-bench-r1")
    new = isolated.text
    assert (
        "--mount=type=cache,target=/var/cache/apt,sharing=locked,id=/var/cache/apt-devkit-bench-r1"
        in new
    )
    assert "--mount=type=cache,id=pip-devkit-bench-r1,target=/root/.cache/pip" in new
    assert "--mount=type=bind,source=x,target=/x" in new  # not a cache mount: untouched
    # The command of a RUN with a cache mount carries the token (in the engine's description
    # of its cache-mount records); line ends and the line count are kept.
    assert "    apt-get update # devkit-bench-r1\r\n" in new
    assert "RUN --mount=type=bind,source=y,target=/y cat /y\n" in new
    assert new.endswith("id=/d-devkit-bench-r1 echo last # devkit-bench-r1")
    assert isolated.tagged == [
        "/var/cache/apt-devkit-bench-r1",
        "pip-devkit-bench-r1",
        "/d-devkit-bench-r1",
    ]
    # Exec form: a comment would become an argument, so the mount is only isolated.
    assert '["sh", "-c", "ls /c"]\n' in new and isolated.untagged == ["/c-devkit-bench-r1"]
    assert new.count("\n") == text.count("\n")


def test_heredoc_bodies_are_not_instructions() -> None:
    """A heredoc's body is file content or script, not a RUN: it is copied as it is."""
    text = (
        "# syntax=docker/dockerfile:1\n"
        "FROM busybox:latest\n"
        "RUN --mount=type=cache,target=/h <<EOF\n"
        "echo --mount=type=cache,target=/in-script\n"
        "EOF\n"
        "COPY <<EOF /notes.txt\n"
        "RUN --mount=type=cache,target=/in-file echo no\n"
        "EOF\n"
        "RUN --mount=type=cache,target=/after echo after\n"
    )
    isolated = isolate_cache_mounts(text, "sfx")
    assert "RUN --mount=type=cache,target=/h,id=/h-sfx <<EOF\n" in isolated.text
    assert "echo --mount=type=cache,target=/in-script\n" in isolated.text
    assert "RUN --mount=type=cache,target=/in-file echo no\n" in isolated.text
    assert "target=/after,id=/after-sfx echo after # sfx\n" in isolated.text
    assert isolated.untagged == ["/h-sfx"] and isolated.tagged == ["/after-sfx"]


def test_text_without_from_is_left_to_the_build() -> None:
    text = "RUN --mount=type=cache,target=/x echo\n"
    assert isolate_cache_mounts(text, "sfx").text == text
