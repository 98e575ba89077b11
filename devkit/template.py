"""Where templates come from, and how the bundled one stays versioned for later updates.

Copier's update needs the template version a project was made from *and* the newest one,
as tags in a git repository. The template bundled with devkit is a plain folder inside the
package, so devkit keeps a local git mirror of it in its data folder
(``<data_dir>/templates/bundled``): each bundled template version that this machine's devkit
has ever shipped is one commit tagged ``v<version>``. Upgrading devkit adds the new version on
top, and the old tags stay, so ``copier update`` can 3-way merge offline.

The version is ``copier-template/VERSION``. If the bundled files differ from what an existing
tag holds (someone edited the template without bumping VERSION), the mirror gets a local
version ``<version>+<hash>`` rather than silently changing history.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devkit.errors import DevkitError
from devkit.resources import data_dir, template_dir

#: Git identity for the mirror's commits, so it works where no user.name is configured.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "devkit",
    "GIT_AUTHOR_EMAIL": "devkit@localhost",
    "GIT_COMMITTER_NAME": "devkit",
    "GIT_COMMITTER_EMAIL": "devkit@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass(frozen=True)
class TemplateSource:
    """What to hand Copier: a template location and the git ref to render."""

    src_path: str
    vcs_ref: str | None
    version: str | None


def bundled_version(folder: Path | None = None) -> str:
    """The version string of a bundled template folder (its ``VERSION`` file)."""
    folder = folder or template_dir()
    try:
        return (folder / "VERSION").read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise DevkitError(f"the template at {folder} has no readable VERSION file: {exc}") from exc


def _tree_digest(folder: Path) -> str:
    """A hash of every file's relative path and bytes: what makes two template copies equal."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, **_GIT_ENV}
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
        )
    except FileNotFoundError as exc:
        raise DevkitError("git is not installed; devkit needs it to version templates") from exc
    except subprocess.CalledProcessError as exc:
        raise DevkitError(f"git {' '.join(args)} failed in {repo}: {exc.stderr.strip()}") from exc
    return result.stdout.strip()


def mirror_dir() -> Path:
    """The local git mirror of the bundled template's versions."""
    return data_dir() / "templates" / "bundled"


def _tag_exists(repo: Path, tag: str) -> bool:
    env = {**os.environ, **_GIT_ENV}
    ref = f"refs/tags/{tag}"
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "-q", "--verify", ref],
        capture_output=True, env=env, check=False,
    ).returncode == 0


def _digest_of_tag(repo: Path, tag: str) -> str:
    # The digest is stored in the tag message, so checking it needs no checkout.
    return _git(repo, "tag", "-l", "--format=%(contents:subject)", tag)


def add_version(folder: Path, repo: Path, version: str) -> str:
    """Commit ``folder``'s files into ``repo`` and tag them ``v<version>``; returns the tag.

    An existing tag with the same content is reused; one with other content gets a local
    version suffix so history is never rewritten.
    """
    digest = _tree_digest(folder)
    tag = f"v{version}"
    if _tag_exists(repo, tag):
        if _digest_of_tag(repo, tag) == f"digest {digest}":
            return tag
        tag = f"v{version}+{digest[:10]}"
        if _tag_exists(repo, tag):
            return tag
    # Replace the work tree's content with the folder's, keeping .git.
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    shutil.copytree(
        folder, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    _git(repo, "add", "--all")
    _git(repo, "commit", "--quiet", "--allow-empty", "-m", f"template {tag}")
    _git(repo, "tag", "-a", tag, "-m", f"digest {digest}")
    return tag


def bundled_source() -> TemplateSource:
    """The bundled template as a versioned git source, creating or extending the mirror.

    Safe to call from several processes at once (a file lock serialises mirror updates).
    """
    folder = template_dir()
    version = bundled_version(folder)
    repo = mirror_dir()
    repo.parent.mkdir(parents=True, exist_ok=True)
    with open(repo.parent / ".bundled.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (repo / ".git").is_dir():
            repo.mkdir(exist_ok=True)
            _git(repo, "init", "--quiet", "--initial-branch=main")
        tag = add_version(folder, repo, version)
    return TemplateSource(src_path=str(repo), vcs_ref=tag, version=tag.removeprefix("v"))


def resolve_source(template: str | None, vcs_ref: str | None) -> TemplateSource:
    """The template to render: ``template`` (a git URL or path) at ``vcs_ref``, or the bundled one."""
    if template is None:
        if vcs_ref is not None:
            raise DevkitError("--vcs-ref needs --template (the bundled template has one version)")
        return bundled_source()
    return TemplateSource(src_path=template, vcs_ref=vcs_ref, version=vcs_ref)
