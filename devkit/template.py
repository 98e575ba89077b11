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

from devkit import resources
from devkit.errors import DevkitError

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
    folder = folder or resources.template_dir()
    try:
        return (folder / "VERSION").read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise DevkitError(f"the template at {folder} has no readable VERSION file: {exc}") from exc


def _tree_digest(folder: Path) -> str:
    """A hash of every file's relative path and bytes: what makes two template copies equal."""
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
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
    return resources.data_dir() / "templates" / "bundled"


def _tag_exists(repo: Path, tag: str) -> bool:
    env = {**os.environ, **_GIT_ENV}
    ref = f"refs/tags/{tag}"
    return (
        subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "-q", "--verify", ref],
            capture_output=True,
            env=env,
            check=False,
        ).returncode
        == 0
    )


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
    shutil.copytree(folder, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    _git(repo, "add", "--all")
    _git(repo, "commit", "--quiet", "--allow-empty", "-m", f"template {tag}")
    _git(repo, "tag", "-a", tag, "-m", f"digest {digest}")
    return tag


def bundled_source() -> TemplateSource:
    """The bundled template as a versioned git source, creating or extending the mirror.

    Safe to call from several processes at once (a file lock serialises mirror updates).
    """
    folder = resources.template_dir()
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


def import_version(from_repo: str, tag: str, repo: Path | None = None) -> None:
    """Copy one version tag (and its history) from another mirror or export into ``repo``.

    Used when a project was made from a bundled version this machine's mirror never shipped
    but another mirror on disk still has (an older data folder, a `devkit template export`):
    afterwards the local mirror knows it for good. Offline: ``from_repo`` is a local path.
    """
    repo = repo or mirror_dir()
    with open(repo.parent / ".bundled.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _tag_exists(repo, tag):
            _git(
                repo, "fetch", "--quiet", "--no-tags", from_repo, f"refs/tags/{tag}:refs/tags/{tag}"
            )


def _sorted_tags(tags: list[str]) -> list[str]:
    """Version tags in PEP 440 order (oldest first); tags that are not versions go last."""
    from packaging.version import InvalidVersion, Version

    def key(tag: str) -> tuple[int, Version | str]:
        try:
            return (0, Version(tag))
        except InvalidVersion:
            return (1, tag)

    return sorted(tags, key=key)


def versions(repo: Path | None = None) -> list[str]:
    """The version tags of a template repository (default: the bundled mirror), oldest first."""
    repo = repo or mirror_dir()
    if not (repo / ".git").exists() and not (repo / "HEAD").is_file():
        return []
    return _sorted_tags([t for t in _git(repo, "tag", "--list").splitlines() if t])


def _bundled_at(vcs_ref: str) -> TemplateSource:
    """The bundled template at an older (or the current) version known to the mirror."""
    current = bundled_source()
    known = versions(Path(current.src_path))
    for tag in (vcs_ref, f"v{vcs_ref}"):
        if tag in known:
            return TemplateSource(src_path=current.src_path, vcs_ref=tag, version=tag[1:])
    raise DevkitError(
        f"the bundled template has no version {vcs_ref!r}",
        hint=f"known here: {', '.join(known) or 'none'}",
    )


def resolve_source(template: str | None, vcs_ref: str | None) -> TemplateSource:
    """The template to render: ``template`` (a git URL or path) at ``vcs_ref``, or the bundled one.

    Without ``template``, ``vcs_ref`` picks one of the bundled versions this machine's mirror
    knows (``v1.0.0`` or ``1.0.0``). A local ``template`` path is made absolute, because Copier
    records it in ``.copier-answers.yml`` and later updates run from other folders.
    """
    if template is None:
        if vcs_ref is not None:
            return _bundled_at(vcs_ref)
        return bundled_source()
    if is_local_path(template):
        folder = Path(template).expanduser()
        if not folder.exists():
            raise DevkitError(f"template {template} does not exist")
        if not folder.is_dir():
            raise DevkitError(f"template {template} is not a folder")
        template = str(folder.resolve())
        if vcs_ref is not None and (folder / ".git").exists():
            probe = subprocess.run(
                ["git", "-C", template, "rev-parse", "-q", "--verify", f"{vcs_ref}^{{commit}}"],
                capture_output=True,
                check=False,
            )
            if probe.returncode != 0:
                known = ", ".join(versions(folder)) or "none"
                raise DevkitError(
                    f"template {template} has no version {vcs_ref!r}", hint=f"tags: {known}"
                )
    return TemplateSource(src_path=template, vcs_ref=vcs_ref, version=vcs_ref)


def is_local_path(template: str) -> bool:
    """Whether a template location is a folder on this machine rather than a git URL.

    URLs are ``scheme://…`` (``https://``, ``git+file://``), scp-like ``user@host:path``, or
    Copier's ``gh:``/``gl:`` shortcuts.
    """
    import re

    return not re.match(r"^[\w+.-]+://|^[\w.-]+@[\w.-]+:|^(gh|gl):", template)


def export(dest: Path) -> list[str]:
    """Write the bundled template, with every version the mirror knows, as a git repo at ``dest``.

    The result is a normal repository (branch ``main`` at the newest version, one tag per
    version, no remote) that an organisation can push anywhere and evolve; ``devkit new
    --template DEST --vcs-ref vX`` renders from it and ``devkit update`` follows its tags.
    ``dest`` must not exist or be an empty folder. Returns the exported version tags.
    """
    source = bundled_source()
    dest = dest.expanduser()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DevkitError(f"{dest} already exists and is not an empty folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.devkit-export-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        _git(dest.parent, "clone", "--quiet", "--no-local", source.src_path, str(tmp))
        _git(tmp, "remote", "remove", "origin")
        # A fresh clone only has a local `main`; that is all a fork needs.
        if dest.exists():
            dest.rmdir()
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return versions(dest)
