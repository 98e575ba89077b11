"""`devkit prebuild` against a real engine and a real registry (Debian's docker-registry).

What the engine can do decides one branch of some tests, and each branch asserts its own
outcome: an engine with the containerd image store pushes a registry cache and manifest
lists; the classic store falls back to inline cache (saying so) and refuses several
platforms at once with the way out.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from devkit import prebuild
from devkit.cli import main
from devkit.prebuild import build as pbuild
from devkit.prebuild import builder
from prebuild.prebuild_helpers import make_project, remove_images

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("labelled")]


def _devkit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _registry_get(url: str, accept: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}"), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, {}, {}


ACCEPT = ",".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def _manifest(repository: str, tag: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    host, _, name = repository.partition("/")
    return _registry_get(f"http://{host}/v2/{name}/manifests/{tag}", ACCEPT)


def test_push_up_to_date_and_a_changed_input(
    tmp_path: Path, repo: str, busybox_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path / "p")
    args = ["prebuild", str(project), "--registry", repo, "--target", "dev"]
    code, out, err = _devkit(capsys, *args, "--push", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["status"] == "pushed" and first["ref"] == f"{repo}:{first['tag']}"
    status, manifest, _ = _manifest(repo, first["tag"])
    assert status == 200 and manifest.get("schemaVersion") == 2
    # The cache ref is there too, registry cache or the inline fallback.
    assert _manifest(repo, "buildcache-dev")[0] == 200

    # Same inputs: nothing is built; an unsent file changed: still the same tag.
    (project / "notes.md").write_text("edited, still not sent\n")
    code, out, err = _devkit(capsys, *args, "--push")
    assert code == 0, err
    assert out.startswith(f"up to date: {repo}:{first['tag']}")

    # A sent file changed: a new tag, and --explain --against the old tag names the file.
    (project / "src" / "a.txt").write_text("changed\n")
    code, out, err = _devkit(capsys, *args, "--push", "--json")
    assert code == 0, err
    second = json.loads(out)
    assert second["status"] == "pushed" and second["tag"] != first["tag"]
    remove_images_of_tag(repo, first["tag"])  # the record is read from the registry then
    code, out, err = _devkit(capsys, *args, "--explain", "--against", first["tag"], "--json")
    assert code == 0, err
    comparison = json.loads(out)["comparison"]
    assert [(c["kind"], c["name"]) for c in comparison["changes"]] == [("file", "src/a.txt")]
    assert comparison["old_tag"] == first["tag"]
    # The human form says the same in one line per input.
    code, out, err = _devkit(capsys, *args, "--explain", "--against", first["tag"])
    assert code == 0, err
    assert "file src/a.txt changed" in out and f"content tag: {second['tag']}" in out


def remove_images_of_tag(repository: str, tag: str) -> None:
    subprocess.run(["docker", "image", "rm", f"{repository}:{tag}"], capture_output=True)


def test_cache_export_follows_what_the_engine_can_do(
    tmp_path: Path, repo: str, busybox_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path / "p")
    plan = prebuild.make_plan(project, registry=repo, target="dev")
    code, out, err = _devkit(
        capsys, "prebuild", str(project), "--registry", repo, "--target", "dev", "--push", "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    _, cache, _ = _manifest(repo, "buildcache-dev")
    if plan.builder.registry_cache:
        assert result["cache"] == "registry" and "only the final stage" not in err
        # mode=max, image-manifest=true: an OCI image manifest whose layers are cache blobs.
        assert cache["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
        assert cache["config"]["mediaType"] == "application/vnd.buildkit.cacheconfig.v0"
    else:
        assert result["cache"] == "inline"
        assert err.count("covers only the final stage") == 1
        assert result["notes"] == [pbuild.INLINE_NOTE]


def test_several_platforms_on_an_engine_that_cannot_are_refused(
    tmp_path: Path, repo: str, busybox_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # (An engine that can is proven by test_multiarch_docker.py: a manifest list under QEMU.)
    project = make_project(tmp_path / "p")
    plan = prebuild.make_plan(project, registry=repo, target="dev")
    argv = ["prebuild", str(project), "--registry", repo, "--target", "dev", "--push"]
    code, out, err = _devkit(capsys, *argv, "--platform", "linux/amd64,linux/arm64")
    if plan.builder.multi_platform:
        emulated = builder.emulator_registered("arm64")
        assert code == (0 if emulated else 1), err
        assert emulated or "no emulator for linux/arm64" in err
    else:
        assert code == 1 and out == ""
        assert "cannot build several platforms at once" in err
        assert "containerd-snapshotter" in err


def test_a_tag_cut_off_in_the_registry_is_pushed_again(
    tmp_path: Path, repo: str, busybox_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A push cut off before its last request leaves blobs but no manifest under the tag;
    # here the manifest is deleted, which leaves the registry in that very state.
    project = make_project(tmp_path / "p")
    argv = ["prebuild", str(project), "--registry", repo, "--target", "dev", "--push", "--json"]
    code, out, err = _devkit(capsys, *argv)
    assert code == 0, err
    tag = json.loads(out)["tag"]
    _status, _, headers = _manifest(repo, tag)
    digest = headers["Docker-Content-Digest"]
    host, _, name = repo.partition("/")
    request = urllib.request.Request(f"http://{host}/v2/{name}/manifests/{digest}", method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 202
    assert _manifest(repo, tag)[0] == 404
    code, out, err = _devkit(capsys, *argv)
    assert code == 0, err
    assert json.loads(out)["status"] == "pushed"
    assert _manifest(repo, tag)[0] == 200


def test_bad_input_is_one_line_and_nothing_is_reported_done(
    tmp_path: Path, repo: str, busybox_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path / "p")
    base = ["prebuild", str(project), "--target", "dev"]
    cases = [
        (["--registry", "127.0.0.1:1/devkit-test/x", "--push"], 1, "cannot reach the registry"),
        (["--registry", repo, "--platform", "linux/amd46"], 2, "unknown platform 'linux/amd46'"),
        (["--registry", repo.upper(), "--push"], 2, "not a repository name"),
        (["--registry", repo + ":v1", "--push"], 2, "without a tag"),
        (["--push"], 2, "--push needs --registry"),
        (["--against", "x"], 2, "--against goes with --explain"),
        (["--builder", "no-such-builder-here"], 1, "cannot use builder 'no-such-builder-here'"),
        (["--target", "nope", "--explain"], 1, "no stage 'nope'"),
    ]
    for extra, expected, message in cases:
        code, out, err = _devkit(capsys, *base, *extra)
        assert (code, message in err) == (expected, True), (extra, err)
        assert out == "", extra
        lines = [ln for ln in err.splitlines() if ln.startswith("devkit: error:")]
        assert len(lines) == 1, err


def test_cli_as_a_subprocess(tmp_path: Path, repo: str, busybox_image: str) -> None:
    project = make_project(tmp_path / "p")
    done = subprocess.run(
        ["devkit", "prebuild", str(project), "--target", "dev", "--explain", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data["inputs"]["files"]) == {"hello.txt", "src", "src/a.txt"}
    assert data["inputs"]["bases"] == {"busybox:latest": data["inputs"]["bases"]["busybox:latest"]}
    # A saved record is something to compare with later.
    saved = tmp_path / "inputs.json"
    saved.write_text(done.stdout)
    (project / "hello.txt").write_text("changed\n")
    again = subprocess.run(
        [
            "devkit",
            "prebuild",
            str(project),
            "--target",
            "dev",
            "--explain",
            "--against",
            str(saved),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert "file hello.txt changed" in again.stdout


def test_a_build_without_push_loads_the_image(
    tmp_path: Path, busybox_image: str, docker_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path / "p")
    code, out, err = _devkit(capsys, "prebuild", str(project), "--target", "dev", "--json")
    assert code == 0, err
    result = json.loads(out)
    try:
        image = docker_client.images.get(result["ref"])
        labels = image.attrs["Config"]["Labels"]
        record = json.loads(labels["dev.devkit.prebuild.inputs"])
        assert prebuild.Inputs.from_dict(record, "label").tag == result["tag"]
    finally:
        remove_images(docker_client, result["ref"].rsplit(":", 1)[0])


def test_a_failing_step_is_not_a_registry_error(
    tmp_path: Path, repo: str, busybox_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path / "p")
    (project / "Dockerfile").write_text(
        "FROM busybox:latest AS dev\nRUN echo 'permission denied, unauthorized' && exit 3\n"
    )
    code, out, err = _devkit(
        capsys, "prebuild", str(project), "--registry", repo, "--target", "dev", "--push"
    )
    assert code == 1 and out == ""
    assert "the build of" in err and "exit code: 3" in err
    assert "registry" not in err.split("failed:", 1)[1]
    host, _, name = repo.partition("/")
    status, tags, _ = _registry_get(f"http://{host}/v2/{name}/tags/list", "application/json")
    assert status == 404 or not tags.get("tags")  # nothing was pushed
