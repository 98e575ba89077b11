"""The one way devkit runs git: :func:`run`, for devkit's own repositories and for users'.

Two kinds of repository, told apart by ``devkit_repo``:

* **devkit's own** (the bundled template's mirror, an export being made): devkit's
  bookkeeping. Commits carry devkit's identity, so they work where no ``user.name`` is
  configured; the system config is skipped; signing and hooks are off, because a user's global
  ``commit.gpgSign`` or ``core.hooksPath`` would make them prompt for a passphrase, fail, or run
  someone's formatter on devkit's files.
* **a user's** (a project ``devkit update`` updates, an organisation's template): the user's
  identity, config, signing and hooks stay as they are; git never prompts
  (``GIT_TERMINAL_PROMPT=0``, for an unattended fleet) and never takes optional locks
  (``--no-optional-locks``: ``git status`` must not even refresh the index of a repository
  devkit promises to leave exactly as it was).

Both get ``LC_ALL=C``, so the one line of a failure that devkit shows is git's English text.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from devkit.errors import DevkitError

#: Who commits in devkit's own repositories.
_DEVKIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "devkit",
    "GIT_AUTHOR_EMAIL": "devkit@localhost",
    "GIT_COMMITTER_NAME": "devkit",
    "GIT_COMMITTER_EMAIL": "devkit@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}
#: Settings for devkit's own repositories, whatever the user's global config says.
_DEVKIT_CONFIG = (
    "-c",
    "commit.gpgSign=false",
    "-c",
    "tag.gpgSign=false",
    "-c",
    f"core.hooksPath={os.devnull}",
)
#: Variables that point git at a repository (`git rev-parse --local-env-vars`). Inherited from
#: a hook or `git rebase -x`, they would send every command to *that* repository whatever
#: ``-C`` says; devkit always names the repository itself, so they are dropped.
_LOCATING_VARS = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_OBJECT_DIRECTORY",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_GRAFT_FILE",
        "GIT_INDEX_FILE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_REPLACE_REF_BASE",
        "GIT_PREFIX",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_SHALLOW_FILE",
        "GIT_COMMON_DIR",
    }
)
#: git options that take a value: skipped when naming the subcommand.
_OPTIONS_WITH_VALUE = frozenset({"-c", "-C", "--work-tree", "--git-dir", "--namespace"})


def run(
    cwd: Path,
    *args: str,
    devkit_repo: bool = False,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``git -C cwd ARGS`` (text output captured); see the module docstring for the modes.

    ``devkit_repo``: ``cwd`` is one of devkit's own repositories (devkit's identity, no
    signing, no hooks), else a user's (their identity and config). ``env`` adds variables
    (say ``GIT_INDEX_FILE``). With ``check``, a non-zero exit raises :class:`DevkitError` with
    git's own complaint in one line. A missing git raises :class:`DevkitError` either way.
    """
    inherited = {k: v for k, v in os.environ.items() if k not in _LOCATING_VARS}
    full_env = {**inherited, "LC_ALL": "C", **(_DEVKIT_IDENTITY if devkit_repo else {})}
    if not devkit_repo:
        full_env["GIT_TERMINAL_PROMPT"] = "0"
    full_env.update(env or {})
    config = _DEVKIT_CONFIG if devkit_repo else ("--no-optional-locks",)
    try:
        result = subprocess.run(
            ["git", *config, "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            env=full_env,
            check=False,
        )
    except FileNotFoundError as exc:
        raise DevkitError(
            "git is not installed", hint="devkit needs git for template versions and updates"
        ) from exc
    if check and result.returncode != 0:
        where = f" in {cwd}" if devkit_repo else ""  # a user's: the caller names the repository
        detail = complaint(result.stderr or result.stdout) or f"exit code {result.returncode}"
        raise DevkitError(f"git {subcommand(args)} failed{where}: {detail}")
    return result


def subcommand(args: Sequence[object]) -> str:
    """The git subcommand in an argument list (``commit`` in ``-c k=v -C dir commit -m x``)."""
    words = iter(str(a) for a in args)
    for word in words:
        if word in _OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return "command"


def complaint(text: str) -> str:
    """The line of git's output a user can act on: its first ``fatal:``/``error:`` line, else
    its last line (the hints and progress lines come first); empty for no output."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (errors or lines[-1:] or [""])[0]
