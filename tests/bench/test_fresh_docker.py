"""`devkit bench PATH --scenario fresh --registry REPO` against the real engine and the test
registry: a cold build side by side with the content tag and a pull of the prebuilt image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_LABEL_ARG, TEST_SESSION
from prebuild.prebuild_helpers import remove_images

from devkit.cli import main
from devkit.labels import EXTRA_LABELS_ENV

pytestmark = pytest.mark.docker

DOCKERFILE = """\
FROM busybox:latest AS build
COPY src/ /src/
RUN cat /src/* > /all.txt && head -c 2000000 /dev/urandom > /blob
FROM busybox:latest AS dev
COPY --from=build /all.txt /blob /
CMD ["sh"]
"""


@pytest.fixture
def repo(registry_addr: str, docker_client: Any) -> Any:
    repository = f"{registry_addr}/devkit-test/{TEST_SESSION}/bench-fresh"
    yield repository
    remove_images(docker_client, repository)


def test_fresh_machine_with_and_without_the_prebuild(
    tmp_path: Path,
    repo: str,
    docker_client: Any,
    busybox_image: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(EXTRA_LABELS_ENV, TEST_LABEL_ARG)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a\n")
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    bench = ["bench", str(tmp_path), "--scenario", "fresh", "--registry", repo]

    # Nothing published yet: one line saying how to publish, nothing built.
    assert main([*bench, "--json", "-"]) == 1
    err = capsys.readouterr().err
    assert "is not in the registry" in err and "devkit prebuild" in err
    assert err.count("devkit: error:") == 1

    assert main(["prebuild", str(tmp_path), "--registry", repo, "--push", "--json"]) == 0
    published = json.loads(capsys.readouterr().out)

    assert main([*bench, "--repeat", "2", "--json", "-"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ref"] == published["ref"] and report["scenario"] == "fresh"
    assert [r["repeat"] for r in report["runs"]] == [1, 2]
    for run in report["runs"]:
        assert run["cold_seconds"] > 0 and run["cold_steps"] >= 3
        assert run["prebuilt_seconds"] == pytest.approx(
            run["tag_seconds"] + run["pull_seconds"], abs=0.02
        )
        assert 0 <= run["pulled_bytes"] <= run["image_bytes"]
        assert 0 <= run["held_bytes"] <= run["image_bytes"] - run["pulled_bytes"]
    assert report["image_bytes"] > 2_000_000  # the random blob's layer at least
    # The ratio is of the unrounded medians; the seconds shown are rounded to 0.01 s, which
    # for a pull of a tenth of a second moves their quotient by several per cent.
    cold, pre = report["cold_seconds"], report["prebuilt_seconds"]
    low, high = (cold - 0.005) / (pre + 0.005), (cold + 0.005) / max(pre - 0.005, 1e-9)
    assert round(low, 2) - 0.01 <= report["ratio"] <= round(high, 2) + 0.01, (cold, pre)
    assert "content tag + pull of the prebuilt image" in captured.err
    # The prebuild built the image on this engine, whose build cache still holds its layers:
    # the pull finds them, and the bench says its number is a best case.
    assert report["held_bytes"] > 2_000_000
    assert "the engine already held" in captured.err and "best case" in captured.err
    # The prebuilt image is back as it was (the engine had it: the prebuild loaded it), and
    # the bench's own images are gone (other sessions' benches may be running meanwhile).
    after = {t for i in docker_client.images.list() for t in i.tags}
    assert published["ref"] in after
    ours = docker_client.images.list(filters={"label": TEST_LABEL_ARG})
    assert not [t for i in ours for t in i.tags if t.startswith("devkit-bench")]
