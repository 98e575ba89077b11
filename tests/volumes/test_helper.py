"""Engine access without an engine: what counts as an empty volume, and who counts as running."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from devkit import volumes as vol
from devkit.errors import DevkitError
from devkit.volumes import helper, transport

from .archive_helpers import chunked, make_tar


def _fake_volume_stream(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Make helper.container/transport.stream hand out ``data`` as the volume archive."""

    @contextlib.contextmanager
    def fake_helper(client: Any, volume: str, *, read_only: bool = False) -> Iterator[Any]:
        yield object()

    def fake_stream(client: Any, name: str, container: Any) -> Iterator[bytes]:
        yield from chunked(data, 100)

    monkeypatch.setattr(helper, "container", fake_helper)
    monkeypatch.setattr(transport, "stream", fake_stream)


def test_is_empty_needs_a_complete_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    root_only = make_tar([("dir", ".", None)])
    _fake_volume_stream(monkeypatch, root_only)
    assert vol.is_empty(None, "v") is True
    _fake_volume_stream(monkeypatch, make_tar())
    assert vol.is_empty(None, "v") is False
    # An answer cut short (no end marker) must not pass for "empty": restore would then
    # write into a volume that holds data, without --force and without a safety backup.
    for cut in (root_only[:512], b""):
        _fake_volume_stream(monkeypatch, cut)
        with pytest.raises(DevkitError, match="ended early"):
            vol.is_empty(None, "v")


def test_is_empty_on_an_archive_without_a_root_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Podman's archive of a volume has no root entry: one member means one file, and a
    restore without --force must not overwrite it."""
    _fake_volume_stream(monkeypatch, make_tar([("file", "/mine", b"keep")]))
    assert vol.is_empty(None, "v") is False
    _fake_volume_stream(monkeypatch, make_tar([("file", "mine", b"keep")]))
    assert vol.is_empty(None, "v") is False
    _fake_volume_stream(monkeypatch, b"\0" * 1024)  # nothing at all, end marker only
    assert vol.is_empty(None, "v") is True


def test_running_users_are_confirmed_by_the_containers_own_state() -> None:
    """The container list lags behind stop: a container it still calls running, but whose
    own state says stopped (or that is gone), does not block a copy."""
    import docker.errors

    listed = [
        {"Id": "a" * 64, "Names": ["/still-running"]},
        {"Id": "b" * 64, "Names": ["/just-stopped"]},
        {"Id": "c" * 64, "Names": ["/just-removed"]},
    ]
    states = {"a" * 64: {"Running": True}, "b" * 64: {"Running": False}}
    asked: list[dict[str, Any]] = []

    class FakeClient:
        class api:
            @staticmethod
            def containers(**kw: Any) -> list[dict[str, Any]]:
                asked.append(kw)
                return listed

            @staticmethod
            def inspect_container(container_id: str) -> dict[str, Any]:
                if container_id not in states:
                    raise docker.errors.NotFound("gone")
                return {"State": states[container_id]}

    assert helper.users(FakeClient(), "v", running_only=True) == ["still-running"]
    assert asked == [{"all": False, "filters": {"volume": "v"}}]
    # Without running_only every listed container counts, stopped ones too: no inspect.
    states.clear()
    assert len(helper.users(FakeClient(), "v")) == 3


class _ImportingEngine:
    """An engine's image store as far as ensure_helper_image sees it: what an import is
    named, and whether tagging by id works."""

    def __init__(self, name_on_import: str | None, tag_works: bool = True) -> None:
        self.names: set[str] = set()
        self.name_on_import = name_on_import
        self.tag_works = tag_works
        self.imports: list[dict[str, Any]] = []
        self.tagged: list[tuple[str, str, str]] = []
        engine = self

        class Images:
            def get(self, ref: str) -> object:
                import docker.errors

                if ref not in engine.names:
                    raise docker.errors.ImageNotFound(ref)
                return object()

        class Api:
            def import_image_from_data(self, data: bytes, **kw: Any) -> str:
                engine.imports.append(kw)
                if engine.name_on_import:
                    engine.names.add(engine.name_on_import)
                return '{"status":"sha256:' + "ab" * 32 + '","progress":""}\n'

            def tag(self, image: str, repo: str, tag: str) -> bool:
                engine.tagged.append((image, repo, tag))
                if engine.tag_works:
                    engine.names.add(f"{repo}:{tag}")
                return engine.tag_works

            def images(self, **kw: Any) -> list[dict[str, Any]]:
                return []

        self.images = Images()
        self.api = Api()


def test_the_helper_image_is_named_in_repo_not_tag() -> None:
    """Podman 4.3's compatible import ignores ``tag``; a tag inside ``repo`` works everywhere."""
    store = _ImportingEngine(name_on_import=helper.HELPER_IMAGE)
    assert helper.ensure_helper_image(store) == helper.HELPER_IMAGE
    (kw,) = store.imports
    assert kw["repository"] == helper.HELPER_IMAGE and "tag" not in kw
    assert "LABEL dev.devkit.managed=true" in kw["changes"]  # one label per LABEL
    assert store.tagged == []
    assert helper.ensure_helper_image(store) == helper.HELPER_IMAGE  # present: no new import
    assert len(store.imports) == 1


def test_an_engine_that_misnames_the_import_gets_it_tagged_by_id() -> None:
    store = _ImportingEngine(name_on_import="devkit/volume-helper:latest")
    assert helper.ensure_helper_image(store) == helper.HELPER_IMAGE
    assert store.tagged == [("sha256:" + "ab" * 32, "devkit/volume-helper", "1")]


def test_an_engine_that_cannot_name_an_import_is_refused_in_one_line() -> None:
    store = _ImportingEngine(name_on_import=None, tag_works=False)
    with pytest.raises(DevkitError) as caught:
        helper.ensure_helper_image(store)
    assert "\n" not in str(caught.value)
    assert "did not name the imported helper image devkit/volume-helper:1" in str(caught.value)


def test_only_devkits_own_stray_helper_images_are_removed() -> None:
    images = [
        {"Id": "keep-current", "RepoTags": ["docker.io/devkit/volume-helper:1"],
         "Labels": {"dev.devkit.managed": "true", "dev.devkit.purpose": "volume-helper"}},
        {"Id": "stray-latest", "RepoTags": ["docker.io/devkit/volume-helper:latest"],
         "Labels": {"dev.devkit.managed": 'true" dev.devkit.purpose="volume-helper'}},
        {"Id": "stray-untagged", "RepoTags": None,
         "Labels": {"dev.devkit.managed": 'true" dev.devkit.purpose="volume-helper'}},
        {"Id": "stray-docker", "RepoTags": ["devkit/volume-helper:latest"],
         "Labels": {"dev.devkit.managed": "true", "dev.devkit.purpose": "volume-helper"}},
        {"Id": "also-named-by-user", "RepoTags": ["devkit/volume-helper:latest", "mine:1"],
         "Labels": {"dev.devkit.managed": "true", "dev.devkit.purpose": "volume-helper"}},
        {"Id": "bench-image", "RepoTags": None, "Labels": {"dev.devkit.managed": "true"}},
    ]  # fmt: skip
    removed: list[str] = []

    class FakeClient:
        class api:
            @staticmethod
            def images(**kw: Any) -> list[dict[str, Any]]:
                assert kw == {"all": True, "filters": {"label": "dev.devkit.managed"}}
                return images

            @staticmethod
            def remove_image(image: str, **kw: Any) -> None:
                removed.append(image)

    assert helper.remove_stray_helper_images(FakeClient()) == removed
    assert removed == ["stray-latest", "stray-untagged", "stray-docker"]


@pytest.mark.parametrize(
    ("settled_after", "inits"),
    [(1, 1), (2, 2), (None, 2)],
    ids=["podman-4.3", "podman-5.4", "never"],
)
def test_podmans_first_use_is_settled_before_writing_or_refused(
    monkeypatch: pytest.MonkeyPatch, settled_after: int | None, inits: int
) -> None:
    """Podman 4.3 drops its plan to chown a volume's root after one libpod ``init`` of the
    helper, Podman 5.4 after a second one (measured); a plan still there after two is
    refused in one line before anything is written."""
    import docker.errors

    calls: list[str] = []

    def fake_init(api: Any, container_id: str) -> None:
        calls.append(container_id)
        # What Podman answers: the helper has nothing to run.
        raise docker.errors.APIError("500 Server Error: OCI runtime attempted to invoke …")

    def fake_volume(api: Any, name: str) -> dict[str, Any]:
        settled = settled_after is not None and len(calls) >= settled_after
        return {"Name": name} if settled else {"Name": name, "NeedsChown": True}

    monkeypatch.setattr(transport, "podman_init", fake_init)
    monkeypatch.setattr(transport, "podman_volume", fake_volume)
    client = type("Client", (), {"api": object()})()
    if settled_after is None:
        with pytest.raises(DevkitError) as caught:
            helper._first_use_now(client, "c1", "v")
        assert "\n" not in str(caught.value)
        assert "Podman would still change volume v when a container first uses it" in str(
            caught.value
        )
    else:
        helper._first_use_now(client, "c1", "v")
    assert calls == ["c1"] * inits
