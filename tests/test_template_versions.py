"""The bundled template's versions: the local mirror, upgrading devkit, other machines, export."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from update.update_helpers import (
    LOCAL_LINE,
    add_template_version,
    commit_all,
    git,
    git_identity,
    make_template,
    tree_digest,
    write_template_files,
)

from devkit import resources, template
from devkit.cli import main
from devkit.errors import DevkitError

__all__ = ["git_identity"]

pytestmark = pytest.mark.usefixtures("git_identity", "offline")

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Git may only use local paths; any network access would fail the test."""
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")


class Devkit:
    """Simulates installing one devkit version after another on one machine."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp = tmp
        self.monkeypatch = monkeypatch

    def install(self, version: str, data_dir: Path | None = None) -> Path:
        """'Install' the devkit that bundles template ``version`` (and use ``data_dir``)."""
        folder = self.tmp / f"devkit-{version}" / "copier-template"
        if not folder.exists():
            write_template_files(folder, version)
        self.monkeypatch.setattr(resources, "template_dir", lambda: folder)
        # Its released-template archives: none unless a test releases some (see release()).
        history = self.history(version)
        self.monkeypatch.setattr(resources, "template_history_dir", lambda: history)
        if data_dir is not None:
            self.monkeypatch.setenv("DEVKIT_DATA_DIR", str(data_dir))
        return folder

    def history(self, version: str) -> Path:
        """Where the devkit bundling template ``version`` keeps its released-template archives."""
        return self.tmp / f"devkit-{version}" / "template_history"


@pytest.fixture
def devkit_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Devkit:
    monkeypatch.setenv("DEVKIT_DATA_DIR", str(tmp_path / "data"))
    return Devkit(tmp_path, monkeypatch)


def _new_project(dest: Path) -> Path:
    """What `devkit new` does with the bundled template: render from the mirror, commit."""
    import copier

    source = template.resolve_source(None, None)
    copier.run_copy(
        source.src_path,
        dest,
        data={"project_name": dest.name},
        vcs_ref=source.vcs_ref,
        defaults=True,
        quiet=True,
    )
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "initial")
    dockerfile = dest / ".devcontainer" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + LOCAL_LINE)
    commit_all(dest, "local edit")
    return dest


def _made_on_another_machine(devkit_install: Devkit, tmp_path: Path, made: str, here: str) -> Path:
    """A project made on machine A (devkit bundling ``made``, data folder ``machine-a``).

    Afterwards this machine runs the devkit bundling ``here``, with its own data folder.
    """
    devkit_install.install(made, data_dir=tmp_path / "machine-a")
    project = _new_project(tmp_path / "svc")
    devkit_install.install(here, data_dir=tmp_path / "machine-b")
    return project


def _update(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["update", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_upgrading_devkit_updates_projects_offline(
    devkit_install: Devkit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    devkit_install.install("1.0.0")
    project = _new_project(tmp_path / "svc")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.0.0"
    assert answers["_src_path"] == str(template.mirror_dir())

    code, report = _update(capsys, str(project))
    assert (code, report["repositories"][0]["status"]) == (0, "up to date")

    devkit_install.install("2.0.0")  # a newer devkit, a newer bundled template
    code, report = _update(capsys, str(project))
    assert code == 0, report
    (result,) = report["repositories"]
    assert result["status"] == "updated"
    assert (result["old_version"], result["new_version"]) == ("v1.0.0", "v2.0.0")
    dockerfile = (project / ".devcontainer" / "Dockerfile").read_text()
    assert "--mount=type=cache" in dockerfile  # v2's change
    assert dockerfile.endswith(LOCAL_LINE)  # the local edit survived
    assert "npm-cache" in (project / ".devcontainer" / "compose.yaml").read_text()
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v2.0.0"
    assert template.versions() == ["v1.0.0", "v2.0.0"]


def test_project_from_another_machine_uses_this_mirror(
    devkit_install: Devkit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Machine A made the project; its mirror path is recorded in the answers file.
    machine_a = tmp_path / "machine-a"
    devkit_install.install("1.0.0", data_dir=machine_a)
    project = _new_project(tmp_path / "svc")
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())["_src_path"]
    assert recorded.startswith(str(machine_a))

    # Machine B has its own data folder and has run devkit 1.0 then 2.0; A's mirror is gone.
    devkit_install.install("1.0.0", data_dir=tmp_path / "machine-b")
    template.bundled_source()
    devkit_install.install("2.0.0")
    shutil.rmtree(machine_a)

    code, report = _update(capsys, str(project))
    assert code == 0, report
    assert report["repositories"][0]["status"] == "updated"
    assert "--mount=type=cache" in (project / ".devcontainer" / "Dockerfile").read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v2.0.0"
    # The recorded source stays as it was, so the file does not churn between machines.
    assert answers["_src_path"] == recorded


def test_version_unknown_to_this_mirror_is_refused(
    devkit_install: Devkit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _made_on_another_machine(devkit_install, tmp_path, "1.0.0", "2.0.0")
    shutil.rmtree(tmp_path / "machine-a")  # and this machine never saw 1.0.0
    before = tree_digest(project)
    code, report = _update(capsys, str(project))
    assert code == 1
    (result,) = report["repositories"]
    assert result["status"] == "refused"
    assert "v1.0.0 is unknown to this devkit's template mirror" in result["reason"]
    assert "fetch EXPORT refs/tags/v1.0.0:refs/tags/v1.0.0" in result["reason"]
    assert tree_digest(project) == before


def test_project_from_a_newer_devkit_is_up_to_date(
    devkit_install: Devkit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An older devkit (say, in a postCreateCommand) must not fail on a newer project."""
    project = _made_on_another_machine(devkit_install, tmp_path, "2.0.0", "1.0.0")
    shutil.rmtree(tmp_path / "machine-a")
    before = tree_digest(project)
    code, report = _update(capsys, str(project))
    assert code == 0, report
    (result,) = report["repositories"]
    assert result["status"] == "up to date"
    assert result["reason"] == "made with a newer devkit's template; this devkit's is v1.0.0"
    assert tree_digest(project) == before


def test_old_version_is_imported_from_another_mirror_on_disk(
    devkit_install: Devkit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The old data folder is still on disk; this machine's never saw 1.0.0.
    project = _made_on_another_machine(devkit_install, tmp_path, "1.0.0", "2.0.0")
    template.bundled_source()
    assert template.versions() == ["v2.0.0"]
    code, report = _update(capsys, str(project), "--pretend")
    assert (code, report["repositories"][0]["status"]) == (0, "would update")
    assert template.versions() == ["v1.0.0", "v2.0.0"]  # learnt from the old data folder
    shutil.rmtree(tmp_path / "machine-a")
    code, report = _update(capsys, str(project))
    assert (code, report["repositories"][0]["status"]) == (0, "updated")
    assert (project / ".devcontainer" / "Dockerfile").read_text().endswith(LOCAL_LINE)


def test_template_edited_without_version_bump_gets_a_local_version(
    devkit_install: Devkit,
) -> None:
    folder = devkit_install.install("1.0.0")
    assert template.bundled_source().vcs_ref == "v1.0.0"
    assert template.bundled_source().vcs_ref == "v1.0.0"  # idempotent
    (folder / "project" / "extra.txt").write_text("changed without a bump\n")
    tag = template.bundled_source().vcs_ref
    assert tag is not None and tag.startswith("v1.0.0+") and len(tag) == len("v1.0.0+") + 10
    assert template.versions() == ["v1.0.0", tag]


def test_export_and_render_from_it(
    devkit_install: Devkit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    devkit_install.install("1.0.0")
    template.bundled_source()
    devkit_install.install("2.0.0")
    fork = tmp_path / "acme-template"
    assert template.export(fork) == ["v1.0.0", "v2.0.0"]
    assert git(fork, "remote") == ""
    assert git(fork, "tag", "--list").split() == ["v1.0.0", "v2.0.0"]
    assert git(fork, "rev-parse", "HEAD") == git(fork, "rev-parse", "v2.0.0^{commit}")
    assert (fork / "VERSION").read_text().strip() == "2.0.0"
    with pytest.raises(DevkitError, match="not an empty folder"):
        template.export(fork)

    # An organisation's template: a path with version tags; resolve_source checks the ref.
    source = template.resolve_source(str(fork), "v1.0.0")
    assert (source.src_path, source.vcs_ref) == (str(fork), "v1.0.0")
    with pytest.raises(DevkitError, match="no version 'v9'"):
        template.resolve_source(str(fork), "v9")
    with pytest.raises(DevkitError, match="does not exist"):
        template.resolve_source(str(tmp_path / "nowhere"), None)
    # The bundled template at an older version this machine knows.
    assert template.resolve_source(None, "1.0.0").vcs_ref == "v1.0.0"
    with pytest.raises(DevkitError, match="no version"):
        template.resolve_source(None, "v7")

    # A project from the fork at v1 follows the fork's tags, including the org's own release.
    import copier

    project = tmp_path / "svc"
    copier.run_copy(
        str(fork),
        project,
        vcs_ref="v1.0.0",
        defaults=True,
        quiet=True,
        data={"project_name": "svc"},
    )
    git(project, "init", "-q", "-b", "main")
    commit_all(project)
    (fork / "ORG-NOTES.md.jinja").write_text("not rendered: outside _subdirectory\n")
    (fork / "project" / "ORG.md").write_text("acme\n")
    commit_all(fork, "acme 2.1")
    git(fork, "tag", "v2.1.0")
    code, report = _update(capsys, str(project))
    assert code == 0, report
    assert report["repositories"][0]["new_version"] == "v2.1.0"
    assert (project / "ORG.md").read_text() == "acme\n"


def test_template_cli_as_a_user_runs_it(tmp_path: Path) -> None:
    """The real bundled template, through the console script."""
    if not (REPO_ROOT / "copier-template" / "VERSION").is_file():
        pytest.fail("copier-template/VERSION is missing")
    env = {**os.environ, "DEVKIT_DATA_DIR": str(tmp_path / "data")}

    def devkit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["devkit", "template", *args], capture_output=True, text=True, env=env, check=False
        )

    version = (REPO_ROOT / "copier-template" / "VERSION").read_text().strip()
    dest = tmp_path / "acme-devcontainer-template"
    proc = devkit("export", str(dest), "--json")
    assert proc.returncode == 0, proc.stderr
    exported = json.loads(proc.stdout)
    released = template.released_versions(REPO_ROOT / "devkit" / "template_history")
    assert exported["versions"][-1] == f"v{version}"
    assert set(released) <= set(exported["versions"])  # older releases come from the archives
    assert (dest / "copier.yml").is_file() and (dest / "VERSION").read_text().strip() == version
    proc = devkit("versions", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["current"] == f"v{version}"
    proc = devkit("export", str(dest))
    assert proc.returncode == 1
    assert "already exists" in proc.stderr and "Traceback" not in proc.stderr
    # The bundled version is released already, so `release` is a no-op that says where. Checked
    # first: with an editable install, `release` would otherwise write the missing archive into
    # the source tree, and the guard test below would then pass on a release nobody committed.
    history = REPO_ROOT / "devkit" / "template_history"
    assert f"v{version}" in template.released_versions(history), "run `devkit template release`"
    before = sorted(p.name for p in history.iterdir())
    proc = devkit("release", "--json")
    assert sorted(p.name for p in history.iterdir()) == before
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["version"] == f"v{version}"
    assert result["archive"].endswith(f"template_history/v{version}.tar.gz")


def test_real_bundled_template_new_then_devkit_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`devkit new` with the real bundled template, then a newer devkit's template, offline."""
    real = resources.template_dir()
    monkeypatch.setenv("DEVKIT_DATA_DIR", str(tmp_path / "data"))
    project = tmp_path / "svc"
    assert main(["new", str(project), "--defaults", "--data", "stacks=python,node"]) == 0
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "initial")
    dockerfile = project / ".devcontainer" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + LOCAL_LINE)
    commit_all(project, "local edit")
    old_version = (real / "VERSION").read_text().strip()

    # The next devkit release, as a real upgrade looks: the bundled folder changes (a new
    # cache volume, a Dockerfile change, one more .dockerignore rule) and VERSION is bumped.
    upgraded = tmp_path / "devkit-next" / "copier-template"
    shutil.copytree(real, upgraded, ignore=shutil.ignore_patterns("__pycache__"))
    major, minor, patch = old_version.split(".")[:3]
    new_version = f"{major}.{minor}.{int(patch) + 1}"
    (upgraded / "VERSION").write_text(new_version + "\n")
    dc = upgraded / "project" / ".devcontainer"
    mounts_end = '      - "{{ purpose }}:{{ target }}"\n{%- endfor %}\n'
    compose = (dc / "compose.yaml.jinja").read_text()
    assert mounts_end in compose, "the compose template changed: adapt this test"
    compose = compose.replace(
        mounts_end, mounts_end + '      - "tool-cache:/home/{{ username }}/.cache/tools"\n', 1
    ).rstrip("\n") + (
        '\n  tool-cache:\n    name: "{{ project_name }}-tool-cache"\n    labels:\n'
        '      dev.devkit.purpose: "tool-cache"\n'
    )
    (dc / "compose.yaml.jinja").write_text(compose)
    base = "FROM {{ base_image }} AS base\n"
    docker = (dc / "Dockerfile.jinja").read_text()
    assert base in docker, "the Dockerfile template changed: adapt this test"
    (dc / "Dockerfile.jinja").write_text(docker.replace(base, base + "LABEL next=release\n", 1))
    ignore = upgraded / "project" / ".dockerignore.jinja"
    ignore.write_text(ignore.read_text().rstrip("\n") + "\n# next release\n*.devkit-next\n")
    monkeypatch.setattr(resources, "template_dir", lambda: upgraded)

    code, report = _update(capsys, str(project))
    assert code == 0, report
    (result,) = report["repositories"]
    assert (result["old_version"], result["new_version"]) == (f"v{old_version}", f"v{new_version}")
    assert (project / ".dockerignore").read_text().endswith("*.devkit-next\n")
    assert dockerfile.read_text().endswith(LOCAL_LINE)  # the local edit survived
    assert "FROM debian:trixie-slim AS base\nLABEL next=release\n" in dockerfile.read_text()
    compose = yaml.safe_load((project / ".devcontainer" / "compose.yaml").read_text())
    assert compose["volumes"]["tool-cache"]["name"] == "svc-tool-cache"
    assert "tool-cache:/home/dev/.cache/tools" in compose["services"]["dev"]["volumes"]
    assert result["conflicts"] == []
    assert git(project, "status", "--porcelain").count("\n") + 1 == len(result["changes"])


def test_project_from_the_released_v1_template_updates_to_the_bundled_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A python+node project rendered with v1.0.1 (released, known from the archives shipped
    with devkit) and edited locally updates to the bundled template with no conflict: the
    answers new in v2 take their defaults, recorded ones and the local edit stay."""
    import copier

    monkeypatch.setenv("DEVKIT_DATA_DIR", str(tmp_path / "data"))
    project = tmp_path / "svc"
    # As devkit 1.0.1 rendered it: that template with its own defaults.
    source = template.resolve_source(None, "v1.0.1")
    data = {"project_name": "svc", "stacks": ["python", "node"]}
    copier.run_copy(
        source.src_path, project, data=data, vcs_ref=source.vcs_ref, defaults=True, quiet=True
    )
    dockerfile = project / ".devcontainer" / "Dockerfile"
    assert "FROM debian:bookworm-slim AS base" in dockerfile.read_text()
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "initial")
    dockerfile = project / ".devcontainer" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + LOCAL_LINE)
    commit_all(project, "local edit")

    code, report = _update(capsys, str(project))
    assert code == 0, report
    (result,) = report["repositories"]
    version = (resources.template_dir() / "VERSION").read_text().strip()
    assert (result["old_version"], result["new_version"]) == ("v1.0.1", f"v{version}")
    assert result["conflicts"] == []
    text = dockerfile.read_text()
    assert text.startswith("# syntax=docker/dockerfile:1\n") and text.endswith(LOCAL_LINE)
    # Recorded answers stay: still Debian 12, whose python3 is 3.11, so Python 3.13 (the new
    # answer's default) is a uv-managed build (`--data base_image=debian:trixie-slim` moves on).
    assert "FROM debian:bookworm-slim AS base" in text
    assert "UV_PYTHON_PREFERENCE=only-managed" in text and "uv python install 3.13" in text
    compose = yaml.safe_load((project / ".devcontainer" / "compose.yaml").read_text())
    assert compose["name"] == "svc"
    assert {"python-env", "node-modules"} <= set(compose["volumes"])
    for script in ("post-create.sh", "python-env.sh", "node-env.sh"):
        assert (project / ".devcontainer" / script).is_file()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == f"v{version}"
    assert answers["python_version"] == "3.13" and answers["environments"] == "volume"
    # The starter manifests v1 wrote are the project's now: untouched.
    assert (project / "requirements.txt").is_file() and (project / "package.json").is_file()


def test_update_targets_this_devkits_version_not_a_newer_tag_in_the_mirror(
    devkit_install: Devkit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two devkits share one data folder (say, two virtualenvs): each updates to its own."""
    devkit_install.install("1.0.0")
    project = _new_project(tmp_path / "svc")
    devkit_install.install("3.0.0")
    template.bundled_source()  # the newer devkit ran once: v3.0.0 is in the mirror now
    devkit_install.install("2.0.0")
    code, report = _update(capsys, str(project))
    assert code == 0, report
    assert report["repositories"][0]["new_version"] == "v2.0.0"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v2.0.0"
    compose = (project / ".devcontainer" / "compose.yaml").read_text()
    assert "-pip-cache-v3" not in compose and "npm-cache" in compose  # v2's files, not v3's


def test_new_machine_updates_a_project_from_an_older_devkit_through_released_archives(
    devkit_install: Devkit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """devkit 2.0 installed fresh knows 1.0 from the archives it ships; no other copy exists."""
    v1 = devkit_install.install("1.0.0", data_dir=tmp_path / "machine-a")
    project = _new_project(tmp_path / "svc")
    shutil.rmtree(tmp_path / "machine-a")  # that machine, its mirror and its devkit are gone

    v2 = devkit_install.install("2.0.0", data_dir=tmp_path / "machine-b")
    template.release(v1, devkit_install.history("2.0.0"))  # what devkit 2.0's wheel ships
    template.release(v2, devkit_install.history("2.0.0"))
    shutil.rmtree(v1)

    code, report = _update(capsys, str(project))
    assert code == 0, report
    (result,) = report["repositories"]
    assert (result["status"], result["old_version"], result["new_version"]) == (
        "updated",
        "v1.0.0",
        "v2.0.0",
    )
    dockerfile = (project / ".devcontainer" / "Dockerfile").read_text()
    assert "--mount=type=cache" in dockerfile and dockerfile.endswith(LOCAL_LINE)
    assert template.versions() == ["v1.0.0", "v2.0.0"]
    mirror = template.mirror_dir()
    assert git(mirror, "rev-parse", "HEAD") == git(mirror, "rev-parse", "v2.0.0^{commit}")

    # An export of that mirror has both versions and `main` at the newest.
    fork = tmp_path / "fork"
    assert template.export(fork) == ["v1.0.0", "v2.0.0"]
    assert git(fork, "rev-parse", "HEAD") == git(fork, "rev-parse", "v2.0.0^{commit}")
    assert (fork / "VERSION").read_text().strip() == "2.0.0"


def test_archives_fill_gaps_without_moving_the_mirrors_branch(devkit_install: Devkit) -> None:
    """A mirror that already has 1.0 and 3.0 learns 2.0 from an archive; main stays at 3.0."""
    v1 = devkit_install.install("1.0.0")
    template.bundled_source()
    v2 = devkit_install.install("2.0.0")
    template.release(v2, devkit_install.history("3.0.0"))
    template.release(v1, devkit_install.history("3.0.0"))
    devkit_install.install("3.0.0")
    assert template.bundled_source().vcs_ref == "v3.0.0"
    head_before = git(template.mirror_dir(), "rev-parse", "HEAD")
    assert template.versions() == ["v1.0.0", "v2.0.0", "v3.0.0"]
    assert git(template.mirror_dir(), "rev-parse", "v3.0.0^{commit}") == head_before
    assert git(template.mirror_dir(), "status", "--porcelain") == ""
    # The imported tag holds exactly the archived files.
    listed = git(template.mirror_dir(), "ls-tree", "-r", "--name-only", "v2.0.0").splitlines()
    files = sorted(p.relative_to(v2).as_posix() for p in v2.rglob("*") if p.is_file())
    assert sorted(listed) == files
    assert template.bundled_source().vcs_ref == "v3.0.0"  # idempotent
    assert git(template.mirror_dir(), "rev-parse", "HEAD") == head_before


def test_release_is_reproducible_and_a_released_version_never_changes(
    devkit_install: Devkit, tmp_path: Path
) -> None:
    folder = devkit_install.install("1.0.0")
    history = tmp_path / "history"
    archive = template.release(folder, history)
    assert archive == history / "v1.0.0.tar.gz"
    first = archive.read_bytes()
    assert template.release(folder, history) == archive  # idempotent
    archive.unlink()
    assert template.release(folder, history).read_bytes() == first  # byte for byte
    assert template.released_versions(history) == ["v1.0.0"]
    assert sorted(p.name for p in history.iterdir()) == ["v1.0.0.tar.gz"]  # no temporary left

    (folder / "project" / "extra.txt").write_text("changed without a bump\n")
    with pytest.raises(DevkitError, match="already released with other content") as err:
        template.release(folder, history)
    assert "bump copier-template/VERSION" in str(err.value.hint)
    assert archive.read_bytes() == first

    (folder / "VERSION").write_text("1.0.0 beta\n")
    with pytest.raises(DevkitError, match="not a version"):
        template.release(folder, history)


def test_released_archive_with_an_unsafe_member_is_refused(
    devkit_install: Devkit, tmp_path: Path
) -> None:
    import io
    import tarfile

    devkit_install.install("2.0.0")
    history = devkit_install.history("2.0.0")
    history.mkdir(parents=True)
    with tarfile.open(history / "v1.0.0.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(DevkitError, match=r"unexpected member '\.\./escape\.txt'"):
        template.bundled_source()
    assert not (tmp_path / "escape.txt").exists()


def test_the_bundled_template_version_is_released_unchanged() -> None:
    """copier-template/ must equal the archive of its VERSION: released versions are immutable.

    When this fails after a template change: bump copier-template/VERSION, then run
    `devkit template release` and commit the new archive in devkit/template_history/.
    """
    folder = REPO_ROOT / "copier-template"
    history = REPO_ROOT / "devkit" / "template_history"
    version = template.bundled_version(folder)
    released = template.released_versions(history)
    assert f"v{version}" in released, (
        f"template v{version} has no archive: run `devkit template release` and commit it"
    )
    try:
        template.release(folder, history)  # a no-op when the archive matches the folder
    except DevkitError as exc:
        pytest.fail(f"{exc} ({exc.hint})")
    assert released[-1] == f"v{version}", "the bundled template is older than a released one"


def test_the_mirror_holds_every_template_file_whatever_the_users_gitignore(
    devkit_install: Devkit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A global gitignore with `.devcontainer/` (a common one) must not empty the template."""
    config = tmp_path / "xdg"
    (config / "git").mkdir(parents=True)
    (config / "git" / "ignore").write_text(".devcontainer/\n*.jinja\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    v1 = devkit_install.install("1.0.0")
    template.release(v1, devkit_install.history("2.0.0"))  # imported from an archive
    v2 = devkit_install.install("2.0.0")  # committed from the bundled folder
    template.bundled_source()
    for tag, folder in (("v1.0.0", v1), ("v2.0.0", v2)):
        listed = git(template.mirror_dir(), "ls-tree", "-r", "--name-only", tag).splitlines()
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        assert sorted(listed) == files, tag


def test_the_mirror_works_with_a_global_signing_setup(
    devkit_install: Devkit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """commit.gpgSign/tag.gpgSign in ~/.gitconfig must not make the mirror's bookkeeping fail."""
    config = tmp_path / "gitconfig"
    config.write_text(
        "[commit]\n\tgpgSign = true\n[tag]\n\tgpgSign = true\n[gpg]\n\tprogram = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    v1 = devkit_install.install("1.0.0")
    template.release(v1, devkit_install.history("2.0.0"))  # tagged from an archive
    devkit_install.install("2.0.0")  # committed and tagged from the bundled folder
    assert template.bundled_source().vcs_ref == "v2.0.0"
    assert template.versions() == ["v1.0.0", "v2.0.0"]


def test_release_refuses_to_write_into_an_installed_package(
    devkit_install: Devkit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """From a wheel, `release` may only confirm a release; it never writes into site-packages."""
    folder = tmp_path / "site-packages" / "devkit" / "_data" / "copier-template"
    write_template_files(folder, "1.0.0")
    history = tmp_path / "site-packages" / "devkit" / "template_history"
    monkeypatch.setattr(resources, "template_dir", lambda: folder)
    monkeypatch.setattr(resources, "template_history_dir", lambda: history)
    assert main(["template", "release"]) == 1
    assert "installed from a wheel" in capsys.readouterr().err
    assert not history.exists()
    template.release(folder, history)  # released in the source tree, shipped in the wheel
    assert main(["template", "release", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "v1.0.0"


def test_tags_of_a_template_by_path_or_url(tmp_path: Path) -> None:
    repo = make_template(tmp_path / "org-template", ("1.0.0", "2.0.0"))
    for src in (str(repo), f"git+file://{repo}"):
        assert sorted(template.tags(src)) == ["v1.0.0", "v2.0.0"]
        assert template.newest_version(src) == "v2.0.0"
    add_template_version(repo, "3.0.0")
    assert template.newest_version(str(repo)) == "v2.0.0"  # read once per process
    template.tags.cache_clear()
    assert template.newest_version(str(repo)) == "v3.0.0"
    with pytest.raises(DevkitError, match="cannot be read as a git repository: fatal: "):
        template.tags(str(tmp_path / "nowhere"))
