"""devkit.copier_api: the one door to Copier, and ``describe``, its one error translator."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from plumbum.commands.processes import ProcessExecutionError

from devkit import copier_api, git
from devkit.errors import DevkitError


def _template_with_a_task(root: Path) -> Path:
    """A git template whose two versions each run a task (so Copier wants --trust)."""
    (root / "project").mkdir(parents=True)
    (root / "copier.yml").write_text(
        "_subdirectory: project\n_tasks: ['touch task-ran']\nname:\n  type: str\n  default: x\n"
    )
    (root / "project" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml -}}\n"
    )
    git.run(root, "init", "-q", devkit_repo=True)
    for version in ("1.0.0", "2.0.0"):
        (root / "project" / "version.txt").write_text(version)
        git.run(root, "add", "-A", devkit_repo=True)
        git.run(root, "commit", "-qm", version, devkit_repo=True)
        git.run(root, "tag", f"v{version}", devkit_repo=True)
    return root


def test_copy_refuses_an_untrusted_template_with_tasks(tmp_path: Path) -> None:
    template = _template_with_a_task(tmp_path / "tpl")
    with pytest.raises(DevkitError, match="uses tasks, migrations or extensions") as refused:
        copier_api.copy(
            str(template), tmp_path / "out", data={}, vcs_ref="v1.0.0", trusted=False, shown="T"
        )
    assert str(refused.value).startswith("the template T uses")
    assert not (tmp_path / "out" / "task-ran").exists()
    skip = copier_api.copy(
        str(template), tmp_path / "ok", data={}, vcs_ref="v1.0.0", trusted=True, shown="T"
    )
    assert (tmp_path / "ok" / "task-ran").is_file()
    assert skip("version.txt") is False


def test_update_refuses_an_untrusted_template_with_tasks(tmp_path: Path) -> None:
    template = _template_with_a_task(tmp_path / "tpl")
    project = tmp_path / "proj"
    copier_api.copy(str(template), project, data={}, vcs_ref="v1.0.0", trusted=True, shown="T")
    git.run(project, "init", "-q", devkit_repo=True)
    git.run(project, "add", "-A", devkit_repo=True)
    git.run(project, "commit", "-qm", "made", devkit_repo=True)
    with pytest.raises(DevkitError, match="does not run unattended"):
        copier_api.update(
            project, template=None, vcs_ref="v2.0.0", data={}, context_lines=3, trusted=False
        )
    assert (project / "version.txt").read_text() == "1.0.0"
    copier_api.update(
        project, template=None, vcs_ref="v2.0.0", data={}, context_lines=3, trusted=True
    )
    assert (project / "version.txt").read_text() == "2.0.0"


def test_repo_url_expands_copiers_spellings(tmp_path: Path) -> None:
    assert copier_api.repo_url("gh:org/repo") == "https://github.com/org/repo.git"
    assert copier_api.repo_url(f"git+file://{tmp_path}") == f"file://{tmp_path}"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            ProcessExecutionError(
                ["/usr/bin/git", "-c", "user.name=x", "clone", "--filter=blob:none", "u", "d"],
                128,
                "",
                "Cloning into 'd'...\nfatal: repository 'u' does not exist\n",
            ),
            "git clone failed: fatal: repository 'u' does not exist",
        ),
        (
            subprocess.CalledProcessError(
                1, ["git", "checkout", "v9"], stderr=b"error: pathspec 'v9' did not match\n"
            ),
            "git checkout failed: error: pathspec 'v9' did not match",
        ),
        (
            ProcessExecutionError(["make", "all"], 2, "", "\nmake: *** no rule\nmore\n"),
            "make failed: make: *** no rule",
        ),
        (
            ValueError("Local template must be\n  a directory."),
            "Local template must be a directory.",
        ),
        (ValueError("x" * 500), "x" * 399 + "…"),
        (KeyError(), "KeyError"),
        (DevkitError("git commit failed: fatal: x"), "git commit failed: fatal: x"),
    ],
)
def test_describe_is_one_line_a_user_can_act_on(exc: BaseException, expected: str) -> None:
    assert copier_api.describe(exc) == expected
