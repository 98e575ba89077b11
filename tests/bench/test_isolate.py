"""Per-run cache-mount ids for cold builds (devkit.bench.isolate)."""

from __future__ import annotations

from devkit.bench import isolate
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


class _Api:
    """The two build-cache calls of docker-py's low-level API that the prune makes."""

    def __init__(self, records: list[dict[str, object]], fail: set[str] | None = None) -> None:
        self.records = records
        self.fail = fail or set()
        self.pruned: list[str] = []

    def df(self) -> dict[str, object]:
        return {"BuildCache": self.records}

    def prune_builds(self, filters: dict[str, list[str]]) -> None:
        import docker.errors

        (record_id,) = filters["id"]
        if record_id in self.fail:
            raise docker.errors.APIError("busy")
        self.pruned.append(record_id)


class _Client:
    def __init__(self, api: _Api) -> None:
        self.api = api


def test_prune_takes_only_this_runs_idle_cache_mounts() -> None:
    token = "devkit-bench-abc"
    api = _Api(
        [
            {
                "ID": "ours",
                "Type": "exec.cachemount",
                "Description": f"mount /c from exec sh -c x # {token}",
            },
            {"ID": "busy", "Type": "exec.cachemount", "InUse": True, "Description": token},
            {"ID": "theirs", "Type": "exec.cachemount", "Description": "mount /c from exec x"},
            {"ID": "layer", "Type": "regular", "Description": token},
            {"ID": "stuck", "Type": "exec.cachemount", "Description": token},
        ],
        fail={"stuck"},
    )
    notes: list[str] = []
    isolate.prune_cache_mounts(_Client(api), token, ["pip-x"], notes.append)
    assert api.pruned == ["ours"]
    assert notes[0].startswith("could not prune cache mount stuck: ")
    assert notes[1:] == ["pruned 1 cache mount(s) this run created"]


def test_prune_says_what_is_left_when_the_cache_cannot_be_listed() -> None:
    import docker.errors

    class _Down(_Api):
        def df(self) -> dict[str, object]:
            raise docker.errors.APIError("timeout")

    notes: list[str] = []
    isolate.prune_cache_mounts(_Client(_Down([])), "t", ["pip-1", "npm-1"], notes.append)
    assert len(notes) == 1 and notes[0].startswith("could not list the build cache to prune ours")
    assert notes[0].endswith("left: cache mounts pip-1, npm-1")
