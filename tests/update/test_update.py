"""`devkit update` on real git repositories made from a small v1/v2 template (issue 5's proof)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devkit import copier_api
from devkit import update as core
from devkit.cli import main
from update.update_helpers import (
    COMPOSE_V1,
    DOCKERFILE_V1,
    add_template_version,
    clone_project,
    commit_all,
    edit,
    git,
    git_identity,
    make_template,
    render_project,
    tree_digest,
)

__all__ = ["git_identity"]  # the fixture is used by name below

pytestmark = pytest.mark.usefixtures("git_identity")

LOCAL_DOCKERFILE_LINE = "RUN echo local-tools >/etc/local-tools\n"
LOCAL_COMPOSE_LINE = "    init: true\n"


def _json_run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture(scope="module")
def fleet_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A v1/v2 template plus one project rendered at v1 (copied to make fleets quickly)."""
    from update.update_helpers import GIT_IDENTITY

    with pytest.MonkeyPatch.context() as env:  # git_identity, for a module-scoped fixture
        for key, value in GIT_IDENTITY.items():
            env.setenv(key, value)
        root = tmp_path_factory.mktemp("fleet-template")
        template = make_template(root / "template")
        render_project(str(template), root / "seed")
    return root


def _rendered(root: Path, version: str, name: str) -> dict[str, str]:
    """The files a pristine project gets at ``version`` (rendered fresh for comparison)."""
    import copier

    dest = root / f"pristine-{version}-{name}"
    if not dest.exists():
        copier.run_copy(
            str(root / "template"),
            dest,
            data={"project_name": name},
            vcs_ref=f"v{version}",
            defaults=True,
            quiet=True,
        )
    return {
        rel: (dest / rel).read_text()
        for rel in (".devcontainer/Dockerfile", ".devcontainer/compose.yaml")
    }


def _make_fleet(fleet_template: Path, where: Path) -> dict[str, list[Path]]:
    """Twenty repositories at v1: pristine, non-overlapping and overlapping edits, dirty, no git."""
    seed = fleet_template / "seed"
    groups: dict[str, list[Path]] = {
        "pristine": [],
        "keep_dockerfile": [],
        "keep_compose": [],
        "clash_dockerfile": [],
        "clash_compose": [],
        "dirty": [],
        "nogit": [],
    }
    sizes = {
        "pristine": 6,
        "keep_dockerfile": 4,
        "keep_compose": 3,
        "clash_dockerfile": 3,
        "clash_compose": 2,
        "dirty": 1,
        "nogit": 1,
    }
    n = 0
    for group, size in sizes.items():
        for _ in range(size):
            repo = clone_project(seed, where / f"repo{n:02d}-{group}")
            n += 1
            groups[group].append(repo)
            dockerfile = repo / ".devcontainer" / "Dockerfile"
            compose = repo / ".devcontainer" / "compose.yaml"
            if group == "keep_dockerfile":
                dockerfile.write_text(dockerfile.read_text() + LOCAL_DOCKERFILE_LINE)
                commit_all(repo)
            elif group == "keep_compose":
                edit(compose, "  dev:\n", "  dev:\n" + LOCAL_COMPOSE_LINE)
                commit_all(repo)
            elif group == "clash_dockerfile":
                edit(dockerfile, "RUN pip install -r", "RUN pip install --no-cache-dir -r")
                commit_all(repo)
            elif group == "clash_compose":
                edit(
                    compose,
                    "      - build-cache:/workspace/.build\n",
                    "      - build-cache:/workspace/.build\n      - ./data:/data\n",
                )
                commit_all(repo)
            elif group == "dirty":
                dockerfile.write_text(dockerfile.read_text() + "# not committed\n")
                (repo / "scratch.txt").write_text("untracked\n")
            elif group == "nogit":
                import shutil

                shutil.rmtree(repo / ".git")
    assert n == 20
    return groups


def test_fleet_pretend_then_update(
    fleet_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    groups = _make_fleet(fleet_template, tmp_path)
    repos = sorted(p for paths in groups.values() for p in paths)
    before = {repo: tree_digest(repo) for repo in repos}

    # --pretend: the real update runs in throw-away clones; nothing anywhere changes.
    code, report = _json_run(
        capsys, ["update", *map(str, repos), "--pretend", "--jobs", "2", "--json"]
    )
    assert code == 1  # conflicts and refusals are not success
    assert {repo: tree_digest(repo) for repo in repos} == before
    by_path = {Path(r["path"]): r for r in report["repositories"]}
    assert report["pretend"] is True
    for repo in groups["pristine"] + groups["keep_dockerfile"] + groups["keep_compose"]:
        assert by_path[repo]["status"] == "would update", by_path[repo]
        assert any(".devcontainer/Dockerfile" in c for c in by_path[repo]["changes"])
    for repo in groups["clash_dockerfile"] + groups["clash_compose"]:
        assert by_path[repo]["status"] == "conflicts"

    # The real update, two workers.
    code, report = _json_run(capsys, ["update", *map(str, repos), "--jobs", "2", "--json"])
    assert code == 1
    by_path = {Path(r["path"]): r for r in report["repositories"]}
    assert report["summary"] == {"updated": 13, "conflicts": 5, "refused": 2}

    v2 = _rendered(fleet_template, "2.0.0", "seed")
    for repo in groups["pristine"]:
        result = by_path[repo]
        assert result["status"] == "updated"
        assert (result["old_version"], result["new_version"]) == ("v1.0.0", "v2.0.0")
        for rel, text in v2.items():
            assert (repo / rel).read_text() == text  # exactly v2
        answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
        assert answers["_commit"] == "v2.0.0"

    for repo in groups["keep_dockerfile"]:
        assert by_path[repo]["status"] == "updated"
        text = (repo / ".devcontainer" / "Dockerfile").read_text()
        assert text == v2[".devcontainer/Dockerfile"] + LOCAL_DOCKERFILE_LINE
        assert (repo / ".devcontainer/compose.yaml").read_text() == v2[".devcontainer/compose.yaml"]

    for repo in groups["keep_compose"]:
        assert by_path[repo]["status"] == "updated"
        compose = (repo / ".devcontainer" / "compose.yaml").read_text()
        expected = v2[".devcontainer/compose.yaml"].replace(
            "  dev:\n", "  dev:\n" + LOCAL_COMPOSE_LINE
        )
        assert compose == expected
        assert "<<<<<<<" not in compose

    for repo in groups["clash_dockerfile"]:
        result = by_path[repo]
        assert result["status"] == "conflicts"
        assert result["conflicts"] == [{"file": ".devcontainer/Dockerfile", "markers": 1}]
        text = (repo / ".devcontainer" / "Dockerfile").read_text()
        assert "<<<<<<< before updating" in text and ">>>>>>> after updating" in text
        assert "--no-cache-dir" in text and "--mount=type=cache" in text  # neither side lost

    for repo in groups["clash_compose"]:
        result = by_path[repo]
        assert result["status"] == "conflicts"
        assert result["conflicts"] == [{"file": ".devcontainer/compose.yaml", "markers": 1}]
        text = (repo / ".devcontainer" / "compose.yaml").read_text()
        assert "./data:/data" in text and "npm-cache:/home/dev/.npm" in text

    (dirty,) = groups["dirty"]
    assert by_path[dirty]["status"] == "refused"
    assert "uncommitted changes" in by_path[dirty]["reason"]
    (nogit,) = groups["nogit"]
    assert by_path[nogit]["status"] == "refused"
    assert by_path[nogit]["reason"] == "not a git repository"
    for repo in (dirty, nogit):
        assert tree_digest(repo) == before[repo]  # byte for byte, .git included

    # A second run: the updated ones are up to date and left untouched.
    updated = groups["pristine"][:2]
    for repo in updated:
        commit_all(repo, "take the update")
    digests = {repo: tree_digest(repo) for repo in updated}
    code, report = _json_run(capsys, ["update", *map(str, updated), "--json"])
    assert code == 0
    assert [r["status"] for r in report["repositories"]] == ["up to date", "up to date"]
    assert {repo: tree_digest(repo) for repo in updated} == digests


def test_branch_and_commit(fleet_template: Path, tmp_path: Path, capsys) -> None:
    repo = clone_project(fleet_template / "seed", tmp_path / "branchy")
    head = git(repo, "rev-parse", "HEAD")
    code, report = _json_run(capsys, ["update", str(repo), "--branch", "devkit-update", "--json"])
    assert code == 0, report
    (result,) = report["repositories"]
    assert result["status"] == "updated" and result["branch"] == "devkit-update"
    # Back on main, exactly as before; the update is one commit on its own branch.
    assert git(repo, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-list", "--count", "main..devkit-update") == "1"
    assert git(repo, "rev-parse", "devkit-update") == result["commit"]
    shown = git(repo, "show", "devkit-update:.devcontainer/Dockerfile")
    assert "--mount=type=cache" in shown
    assert "v1.0.0 -> v2.0.0" in git(repo, "log", "-1", "--format=%s", "devkit-update")

    # The branch exists now: refused, nothing touched.
    before = tree_digest(repo)
    code, report = _json_run(capsys, ["update", str(repo), "--branch", "devkit-update", "--json"])
    assert code == 1
    assert report["repositories"][0]["reason"] == "branch devkit-update already exists"
    assert tree_digest(repo) == before

    # --commit on the current branch: one new commit, clean work tree.
    code, report = _json_run(capsys, ["update", str(repo), "--commit", "--json"])
    assert code == 0
    assert git(repo, "rev-list", "--count", f"{head}..HEAD") == "1"
    assert git(repo, "status", "--porcelain") == ""


def test_broken_repositories_do_not_stop_the_others(
    fleet_template: Path, tmp_path: Path, capsys
) -> None:
    good = clone_project(fleet_template / "seed", tmp_path / "good")
    # A template whose v2 cannot be rendered: Copier fails half-way.
    broken_tpl = make_template(tmp_path / "broken-template", versions=("1.0.0",))
    broken = render_project(str(broken_tpl), tmp_path / "broken")
    (broken_tpl / "project" / ".devcontainer" / "Dockerfile.jinja").write_text("{% if %}\n")
    git(broken_tpl, "commit", "-qam", "broken")
    git(broken_tpl, "tag", "v2.0.0")
    broken_head = git(broken, "rev-parse", "HEAD")
    broken_files = (broken / ".devcontainer" / "Dockerfile").read_bytes()
    # A template that is gone, answers that are not YAML, a missing folder.
    gone = render_project(str(broken_tpl), tmp_path / "gone-template")
    edit(gone / ".copier-answers.yml", str(broken_tpl), str(tmp_path / "nowhere"))
    commit_all(gone)
    garbled = clone_project(fleet_template / "seed", tmp_path / "garbled")
    (garbled / ".copier-answers.yml").write_text("_src_path: [unclosed\n")
    commit_all(garbled)
    plain = tmp_path / "plain"
    plain.mkdir()
    git(plain, "init", "-q")
    (plain / "README").write_text("hi\n")
    commit_all(plain)

    paths = [broken, gone, garbled, tmp_path / "missing", plain, good]
    code, report = _json_run(capsys, ["update", *map(str, paths), "--jobs", "2", "--json"])
    assert code == 1
    results = {Path(r["path"]).name: r for r in report["repositories"]}
    assert results["good"]["status"] == "updated"
    assert results["broken"]["status"] == "failed"
    assert "\n" not in results["broken"]["reason"]
    assert results["gone-template"]["status"] == "refused"
    assert "does not exist" in results["gone-template"]["reason"]
    assert results["garbled"]["status"] == "refused"
    assert results["missing"]["reason"] == "no such folder"
    assert results["plain"]["reason"] == "not made from a Copier template (no .copier-answers.yml)"
    # The failed update was rolled back to the clean HEAD it started from.
    assert git(broken, "rev-parse", "HEAD") == broken_head
    assert git(broken, "status", "--porcelain") == ""
    assert (broken / ".devcontainer" / "Dockerfile").read_bytes() == broken_files


def test_new_questions_take_defaults_or_data(tmp_path: Path, capsys) -> None:
    template = make_template(tmp_path / "template", versions=("1.0.0",))
    project = render_project(str(template), tmp_path / "svc")
    # v2 asks a new question and uses it.
    (template / "copier.yml").write_text(
        (template / "copier.yml").read_text() + "shell:\n  type: str\n  default: bash\n"
    )
    (template / "project" / "shell.txt.jinja").write_text("{{ shell }}\n")
    commit_all(template, "v2")
    git(template, "tag", "v2.0.0")
    other = clone_project(project, tmp_path / "svc2")

    code, _ = _json_run(capsys, ["update", str(project), "--json"])
    assert code == 0
    assert (project / "shell.txt").read_text() == "bash\n"
    code, _ = _json_run(capsys, ["update", str(other), "--data", "shell=zsh", "--json"])
    assert code == 0
    assert (other / "shell.txt").read_text() == "zsh\n"
    assert yaml.safe_load((other / ".copier-answers.yml").read_text())["shell"] == "zsh"


def test_volume_renames_and_drops_are_reported(tmp_path: Path, capsys) -> None:
    template = make_template(tmp_path / "template", versions=("1.0.0", "2.0.0"))
    project = render_project(str(template), tmp_path / "svc", ref="v2.0.0")
    add_template_version(template, "3.0.0")
    copies: list[tuple[str, str, dict[str, str]]] = []
    code, report = _json_run(capsys, ["update", str(project), "--pretend", "--json"])
    assert code == 0
    volumes = report["repositories"][0]["volumes"]
    assert {
        "kind": "renamed",
        "old": "svc-pip-cache",
        "new": "svc-pip-cache-v3",
        "purpose": "pip-cache",
        "migrated": None,
        "labels": {"dev.devkit.purpose": "pip-cache"},
    } in volumes
    assert {
        "kind": "dropped",
        "old": "svc-build-cache",
        "new": None,
        "purpose": "build-cache",
        "migrated": None,
        "labels": {},
    } in volumes

    # A real run without --migrate-volumes says how to copy the data later.
    other = render_project(str(template), tmp_path / "web", ref="v2.0.0")
    assert main(["update", str(other)]) == 0
    err = capsys.readouterr().err
    assert "1 cache volume(s) got a new name; their data was not moved" in err
    assert "devkit volumes copy web-pip-cache web-pip-cache-v3" in err

    results = core.update_many([str(project)], core.UpdateOptions())
    core.migrate_volumes(results, lambda *args: copies.append(args) or "copied")
    # Dropped ones are never touched; the new volume gets its labels from the new compose file.
    assert copies == [("svc-pip-cache", "svc-pip-cache-v3", {"dev.devkit.purpose": "pip-cache"})]
    assert results[0].volumes[0].migrated == "copied"


def test_volume_changes_unit() -> None:
    before = COMPOSE_V1.replace("{{ project_name }}", "p").replace("{{ username }}", "dev")
    assert core.volume_changes(before, before) == []
    renamed = before.replace("name: p-pip-cache", "name: p-pip")
    assert core.volume_changes(before, renamed) == [
        core.VolumeChange(
            "renamed",
            "p-pip-cache",
            "p-pip",
            "pip-cache",
            labels={"dev.devkit.purpose": "pip-cache"},
        )
    ]
    # Same compose key, new name and purpose (labels in compose's list spelling): a rename,
    # and the new volume is to carry the new labels.
    repurposed = before.replace("name: p-pip-cache", "name: p-uv-cache").replace(
        "      dev.devkit.purpose: pip-cache\n", "      - dev.devkit.purpose=uv-cache\n"
    )
    assert core.volume_changes(before, repurposed) == [
        core.VolumeChange(
            "renamed",
            "p-pip-cache",
            "p-uv-cache",
            "pip-cache",
            labels={"dev.devkit.purpose": "uv-cache"},
        )
    ]
    no_compose = core.volume_changes(before, None)
    assert {c.kind for c in no_compose} == {"dropped"} and len(no_compose) == 2
    conflicted = before + "<<<<<<< before updating\nx\n=======\ny\n>>>>>>> after updating\n"
    assert core.volume_changes(before, conflicted) == []
    external = "volumes:\n  shared:\n    external: true\n"
    assert core.volume_changes(external, "volumes: {}\n") == []


def test_cli_usage_errors(capsys) -> None:
    """A wrong command line exits 2 (usage), with one line saying what is wrong."""
    assert main(["update"]) == 2
    assert "no repositories given" in capsys.readouterr().err
    assert main(["update", ".", "--jobs", "0"]) == 2
    assert "argument --jobs/-j: must be at least 1, not 0" in capsys.readouterr().err
    assert main(["update", ".", "--jobs", "many"]) == 2
    assert main(["update", ".", "--pretend", "--commit"]) == 2
    assert "cannot be combined" in capsys.readouterr().err
    assert main(["update", ".", "--data", "novalue"]) == 2
    assert main(["update", ".", "--branch", "a..b"]) == 2
    assert "not a valid git branch name" in capsys.readouterr().err
    assert main(["update", "--help"]) == 0
    assert "devkit update ~/src/*/ --jobs 4" in capsys.readouterr().out


def test_from_file_and_subprocess(fleet_template: Path, tmp_path: Path) -> None:
    """As a user runs it: the console script, a repository list, the final table."""
    repo = clone_project(fleet_template / "seed", tmp_path / "listed")
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# my fleet\n{repo}\n\n{repo}\n")  # duplicates are updated once
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "devkit", "update", "--from-file", str(listing), "--pretend"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "would update" in proc.stdout and "v1.0.0 → v2.0.0" in proc.stdout
    assert proc.stdout.count(str(repo)) == 1
    assert git(repo, "status", "--porcelain") == ""
    proc = subprocess.run(
        ["devkit", "update", str(repo)], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "updated" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert (repo / ".devcontainer" / "Dockerfile").read_text() != DOCKERFILE_V1
    # Run again after committing (as a postCreateCommand hook would): one quiet line, exit 0.
    commit_all(repo, "take the update")
    proc = subprocess.run(
        ["devkit", "update", str(repo)], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "up to date: the repository is at v2.0.0\n"
    assert proc.stderr == ""


def test_relative_template_path_is_taken_from_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`copier copy ../template .` records `_src_path: ../template`; update from anywhere."""
    import copier

    make_template(tmp_path / "template")
    project = tmp_path / "svc"
    project.mkdir()
    monkeypatch.chdir(project)
    copier.run_copy("../template", ".", vcs_ref="v1.0.0", defaults=True, quiet=True)
    git(project, "init", "-q", "-b", "main")
    commit_all(project)
    monkeypatch.chdir(tmp_path.parent)
    code, report = _json_run(capsys, ["update", str(project), "--json"])
    assert code == 0, report
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers == {**answers, "_commit": "v2.0.0", "_src_path": "../template"}


def test_interrupted_update_is_rolled_back(
    fleet_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C half-way through Copier: the work tree, branch and branches are as before."""
    repo = clone_project(fleet_template / "seed", tmp_path / "interrupted")
    head = git(repo, "rev-parse", "HEAD")
    files = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}

    def half_way(project: Path, **settings: object) -> None:
        (project / ".devcontainer" / "Dockerfile").write_text("half written\n")
        (project / "new-file.txt").write_text("from the update\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(copier_api, "update", half_way)
    assert main(["update", str(repo), "--branch", "devkit-update"]) == 130
    assert git(repo, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "branch", "--list", "devkit-update") == ""
    assert git(repo, "status", "--porcelain") == ""
    now = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert now == files


def test_template_given_as_a_git_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An organisation's template by URL (here `git+file://`, offline), not a plain path."""
    template = make_template(tmp_path / "template")
    url = f"git+file://{template}"
    project = render_project(url, tmp_path / "svc")
    code, report = _json_run(capsys, ["update", str(project), "--json"])
    assert code == 0, report
    assert report["repositories"][0]["new_version"] == "v2.0.0"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["_src_path"], answers["_commit"]) == (url, "v2.0.0")


def test_ctrl_c_mid_fleet_leaves_each_repository_updated_or_as_before(
    fleet_template: Path, tmp_path: Path
) -> None:
    """A real Ctrl-C (SIGINT to the whole process group) while two workers are busy."""
    import signal

    repos = [clone_project(fleet_template / "seed", tmp_path / f"r{i}") for i in range(8)]
    head = git(repos[0], "rev-parse", "HEAD")
    pristine = {
        p.relative_to(repos[0]): p.read_bytes()
        for p in repos[0].rglob("*")
        if p.is_file() and ".git" not in p.parts
    }
    argv = ["update", *map(str, repos), "--jobs", "2", "--branch", "devkit-update"]
    # Unbuffered: communicate() reads the pipe itself, so a line a buffered reader had already
    # taken in with the first one (two workers finishing together) would be lost to the count.
    proc = subprocess.Popen(
        [sys.executable, "-m", "devkit", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
        start_new_session=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # one plain line per finished repository (stderr is a pipe)
        if line.startswith(b"updated: "):
            os.killpg(proc.pid, signal.SIGINT)
            break
    _, rest_bytes = proc.communicate(timeout=300)
    rest = rest_bytes.decode()
    assert proc.returncode == 130, rest
    assert "interrupted" in rest and "Traceback" not in rest

    updated = 0
    for repo in repos:
        # Either way: back on main at the same commit, clean, files exactly as before.
        assert git(repo, "symbolic-ref", "--short", "HEAD") == "main"
        assert git(repo, "rev-parse", "HEAD") == head
        assert git(repo, "status", "--porcelain") == ""
        now = {
            p.relative_to(repo): p.read_bytes()
            for p in repo.rglob("*")
            if p.is_file() and ".git" not in p.parts
        }
        assert now == pristine
        if git(repo, "branch", "--list", "devkit-update"):  # updated: one whole commit
            updated += 1
            assert git(repo, "rev-list", "--count", "main..devkit-update") == "1"
            answers = git(repo, "show", "devkit-update:.copier-answers.yml")
            assert yaml.safe_load(answers)["_commit"] == "v2.0.0"
    assert 1 <= updated < len(repos)
    # Those the workers finished after Ctrl-C are reported too (1 line read before the signal).
    assert 1 + rest.count("\nupdated: ") + rest.startswith("updated: ") == updated
