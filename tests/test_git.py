"""devkit.git: the one git runner, in its two modes (devkit's own repositories, users')."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit import git
from devkit.errors import DevkitError


def _hostile_global_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's global config that signs everything with a failing gpg and has a failing hook."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("pre-commit", "commit-msg", "post-commit"):
        (hooks / name).write_text('#!/bin/sh\necho hook ran >> "$HOOK_LOG"\nexit 1\n')
        (hooks / name).chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(
        "[user]\n\tname = Ada User\n\temail = ada@example.invalid\n"
        "[commit]\n\tgpgSign = true\n[tag]\n\tgpgSign = true\n[gpg]\n\tprogram = false\n"
        f"[core]\n\thooksPath = {hooks}\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    log = tmp_path / "hook.log"
    monkeypatch.setenv("HOOK_LOG", str(log))
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)
    return log


def _repo_with_a_staged_file(repo: Path, devkit_repo: bool) -> Path:
    repo.mkdir()
    git.run(repo, "init", "-q", devkit_repo=devkit_repo)
    (repo / "f").write_text("x")
    git.run(repo, "add", "f", devkit_repo=devkit_repo)
    return repo


def test_devkit_repo_commits_as_devkit_unsigned_and_without_hooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook_log = _hostile_global_config(tmp_path, monkeypatch)
    repo = _repo_with_a_staged_file(tmp_path / "mirror", devkit_repo=True)
    git.run(repo, "commit", "-q", "-m", "one", devkit_repo=True)
    git.run(repo, "tag", "-a", "v1", "-m", "tag", devkit_repo=True)
    author = git.run(repo, "log", "-1", "--format=%an <%ae> %G?", devkit_repo=True).stdout
    assert author.strip() == "devkit <devkit@localhost> N"
    assert not hook_log.exists()


def test_user_repo_keeps_the_users_identity_and_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook_log = _hostile_global_config(tmp_path, monkeypatch)
    repo = _repo_with_a_staged_file(tmp_path / "project", devkit_repo=False)
    # The user's signing setup applies (and here fails): devkit does not turn it off.
    with pytest.raises(DevkitError) as failed:
        git.run(repo, "commit", "-q", "--no-verify", "-m", "one")
    assert str(failed.value).startswith("git commit failed: ")
    assert "\n" not in str(failed.value)
    git.run(repo, "-c", "commit.gpgSign=false", "commit", "-q", "--no-verify", "-m", "one")
    author = git.run(repo, "log", "-1", "--format=%an <%ae>").stdout.strip()
    assert author == "Ada User <ada@example.invalid>"
    assert git.run(repo, "config", "core.hooksPath").stdout.strip() == str(tmp_path / "hooks")
    # --no-verify skipped pre-commit and commit-msg; the user's post-commit hook still ran.
    assert hook_log.read_text() == "hook ran\n"


def test_failures_are_one_line_and_name_the_subcommand(tmp_path: Path) -> None:
    with pytest.raises(DevkitError) as own:
        git.run(tmp_path, "-c", "x.y=z", "rev-parse", "HEAD", devkit_repo=True)
    assert str(own.value).startswith(f"git rev-parse failed in {tmp_path}: fatal: ")
    assert "\n" not in str(own.value)
    assert git.run(tmp_path, "rev-parse", "HEAD", check=False).returncode != 0
    assert git.subcommand(["--work-tree", "/x", "-C", "y", "add", "--all"]) == "add"
    assert git.complaint("Cloning into 'x'...\nfatal: no such repo\nhint: try\n") == (
        "fatal: no such repo"
    )
    assert git.complaint("On branch main\nnothing to commit\n") == "nothing to commit"


def test_missing_git_is_the_same_error_in_both_modes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on it
    messages = set()
    for devkit_repo in (True, False):
        with pytest.raises(DevkitError) as missing:
            git.run(tmp_path, "status", devkit_repo=devkit_repo)
        messages.add(str(missing.value))
    assert messages == {"git is not installed (devkit needs git for template versions and updates)"}


def test_environment_of_each_mode(tmp_path: Path) -> None:
    """Users' repositories: git never prompts; both: git's messages in English."""

    def env_of(devkit_repo: bool) -> dict[str, str]:
        out = git.run(tmp_path, "-c", "alias.env=!env", "env", devkit_repo=devkit_repo).stdout
        return dict(line.partition("=")[::2] for line in out.splitlines())

    user, own = env_of(False), env_of(True)
    assert user["GIT_TERMINAL_PROMPT"] == "0"
    assert "GIT_AUTHOR_NAME" not in user or user["GIT_AUTHOR_NAME"] != "devkit"
    assert own["GIT_AUTHOR_NAME"] == own["GIT_COMMITTER_NAME"] == "devkit"
    assert user["LC_ALL"] == own["LC_ALL"] == "C"


@pytest.mark.parametrize("devkit_repo", [False, True])
def test_an_inherited_git_dir_does_not_redirect_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, devkit_repo: bool
) -> None:
    """Run from a git hook or `git rebase -x`, git's environment names the outer repository;
    devkit's commands still act on the folder they name, and the outer one is untouched."""
    outer = tmp_path / "outer"
    outer.mkdir()
    git.run(outer, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(outer / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(outer))
    monkeypatch.setenv("GIT_INDEX_FILE", str(outer / ".git" / "index"))
    config_before = (outer / ".git" / "config").read_text()

    inner = _repo_with_a_staged_file(tmp_path / "inner", devkit_repo)
    git.run(inner, "tag", "-a", "v1", "-m", "v1", "HEAD", check=False, devkit_repo=devkit_repo)

    top = git.run(inner, "rev-parse", "--show-toplevel", devkit_repo=devkit_repo).stdout
    assert Path(top.strip()) == inner.resolve()
    staged = git.run(inner, "diff", "--cached", "--name-only", devkit_repo=devkit_repo).stdout
    assert staged.split() == ["f"]
    assert (outer / ".git" / "config").read_text() == config_before
    assert not (outer / ".git" / "index").exists()
