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

Every released version is also archived inside the package (``devkit/template_history/
v<version>.tar.gz``, written by ``devkit template release``), and the mirror imports those
archives it lacks. So a devkit installed fresh on a new machine can still update a project
that an older devkit made elsewhere, offline.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from packaging.version import InvalidVersion, Version

from devkit import copier_api, fsutil, git, resources
from devkit.errors import DevkitError
from devkit.versions import newest, sorted_tags


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
        version = (folder / "VERSION").read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise DevkitError(f"the template at {folder} has no readable VERSION file: {exc}") from exc
    try:
        Version(version)
    except InvalidVersion:
        raise DevkitError(
            f"{folder / 'VERSION'} holds {version!r}, not a version", hint="e.g. 1.2.0"
        ) from None
    if not version[:1].isdigit():
        raise DevkitError(f"{folder / 'VERSION'} must start with a digit (the tag adds the v)")
    return version


def _template_files(folder: Path) -> list[Path]:
    """A template copy's files, sorted: what is digested, archived and compared."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _tree_digest(folder: Path) -> str:
    """A hash of every file's relative path and bytes: what makes two template copies equal."""
    digest = hashlib.sha256()
    for path in _template_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _git(repo: Path, *args: str, extra_env: dict[str, str] | None = None) -> str:
    """Run git on devkit's own repository ``repo``; its output, or DevkitError."""
    return git.run(repo, *args, devkit_repo=True, env=extra_env).stdout.strip()


def _git_ok(repo: Path, *args: str) -> bool:
    """Whether a git query (say, that a ref exists) succeeds in devkit's own ``repo``."""
    return git.run(repo, *args, devkit_repo=True, check=False).returncode == 0


def mirror_dir() -> Path:
    """The local git mirror of the bundled template's versions."""
    return resources.data_dir() / "templates" / "bundled"


def _tag_exists(repo: Path, tag: str) -> bool:
    return _git_ok(repo, "rev-parse", "-q", "--verify", f"refs/tags/{tag}")


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
    # --force: the mirror must hold every template file, whatever the user's global gitignore
    # (say `.devcontainer/`) or a .gitignore inside the template would leave out.
    _git(repo, "add", "--all", "--force")
    _git(repo, "commit", "--quiet", "--no-verify", "--allow-empty", "-m", f"template {tag}")
    _git(repo, "tag", "-a", tag, "-m", f"digest {digest}")
    return tag


def release(folder: Path | None = None, history: Path | None = None) -> Path:
    """Archive the bundled template's current version as released; returns the archive's path.

    For devkit's maintainers, once per template version: the archive ships in every later
    devkit (see the module docstring). A released version is immutable: archiving a version
    whose archive exists with other content is refused (bump ``VERSION`` instead). The archive
    is reproducible (sorted members, no owners, no times) and written under a temporary name,
    then renamed.
    """
    folder = folder or resources.template_dir()
    history = history or resources.template_history_dir()
    version = bundled_version(folder)
    target = history / f"v{version}.tar.gz"
    digest = _tree_digest(folder)
    if target.exists():
        if _archive_digest(target) == digest:
            return target
        raise DevkitError(
            f"template v{version} was already released with other content ({target})",
            hint="released versions never change: bump copier-template/VERSION and release that",
        )
    history.mkdir(parents=True, exist_ok=True)
    # No clobbering: a release made meanwhile by another run is not replaced.
    with (
        fsutil.AtomicFile(target, overwrite=False) as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in _template_files(folder):
            info = tarfile.TarInfo(path.relative_to(folder).as_posix())
            info.size = path.stat().st_size
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
    return target


def _archive_digest(archive: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="devkit-template-") as tmp:
        _extract(archive, Path(tmp))
        return _tree_digest(Path(tmp))


def _extract(archive: Path, dest: Path) -> None:
    # The archives are devkit's own package data and hold only plain files (see release());
    # anything else is refused rather than trusted.
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = Path(member.name).parts
                if not member.isfile() or Path(member.name).is_absolute() or ".." in parts:
                    raise DevkitError(f"{archive}: unexpected member {member.name!r}")
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has data
                with source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
                target.chmod(member.mode & 0o755)
    except (OSError, tarfile.TarError) as exc:
        raise DevkitError(f"cannot read the released template archive {archive}: {exc}") from exc


def released_versions(history: Path | None = None) -> list[str]:
    """The template versions archived in this devkit's package, as tags, oldest first."""
    history = history or resources.template_history_dir()
    if not history.is_dir():
        return []
    return sorted_tags([p.name.removesuffix(".tar.gz") for p in history.glob("v*.tar.gz")])


def _add_released(repo: Path, history: Path) -> None:
    """Tag every archived version the mirror lacks, without moving its branch or work tree.

    Each archive becomes a parentless commit built with a throwaway index (plumbing only), so
    versions older than the mirror's branch can be added at any time; Copier only needs the tags.
    """
    known = set(_git(repo, "tag", "--list").splitlines())
    for tag in released_versions(history):
        if tag in known:
            continue
        with tempfile.TemporaryDirectory(prefix="devkit-template-") as tmp:
            tree_dir = Path(tmp) / "tree"
            _extract(history / f"{tag}.tar.gz", tree_dir)
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            _git(repo, "--work-tree", str(tree_dir), "add", "--all", "--force", extra_env=env)
            tree = _git(repo, "write-tree", extra_env=env)
            commit = _git(repo, "commit-tree", tree, "-m", f"template {tag} (released)")
            _git(repo, "tag", "-a", tag, commit, "-m", f"digest {_tree_digest(tree_dir)}")


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
        _add_released(repo, resources.template_history_dir())
        tag = add_version(folder, repo, version)
        if not _git_ok(repo, "rev-parse", "-q", "--verify", "HEAD"):
            # A fresh mirror whose current version came from an archive: give `main` a commit
            # so clones (Copier's, `export`) have a branch to check out.
            _git(repo, "checkout", "--quiet", "-B", "main", tag)
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


@lru_cache(maxsize=64)
def tags(src: str) -> tuple[str, ...]:
    """The tags of a template repository (a local path or a git URL, Copier's spellings too).

    Read once per process: ``tags.cache_clear()`` reads them again. Raises
    :class:`DevkitError` when ``src`` cannot be read as a git repository.
    """
    url = copier_api.repo_url(src)
    if is_local_path(url):
        url = str(Path(url).expanduser().resolve())
    result = git.run(Path("/"), "ls-remote", "--tags", "--refs", "--", url, check=False)
    if result.returncode != 0:
        raise DevkitError(
            f"template {src} cannot be read as a git repository: "
            f"{git.complaint(result.stderr) or 'git ls-remote failed'}"
        )
    return tuple(
        line.split("\t", 1)[1].removeprefix("refs/tags/")
        for line in result.stdout.splitlines()
        if "\t" in line
    )


def newest_version(src: str) -> str | None:
    """The newest release tag of a template repository (see :func:`newest` and :func:`tags`)."""
    return newest(tags(src))


def versions(repo: Path | None = None) -> list[str]:
    """The version tags of a template repository (default: the bundled mirror), oldest first."""
    repo = repo or mirror_dir()
    if not (repo / ".git").exists() and not (repo / "HEAD").is_file():
        return []
    return sorted_tags([t for t in _git(repo, "tag", "--list").splitlines() if t])


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
            probe = git.run(
                Path(template), "rev-parse", "-q", "--verify", f"{vcs_ref}^{{commit}}", check=False
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
        # A fresh clone only has a local `main`; that is all a fork needs. Point it at the newest
        # version: the mirror's branch may be behind tags imported from released archives.
        tags = versions(tmp)
        if tags:
            _git(tmp, "checkout", "--quiet", "-B", "main", tags[-1])
        if dest.exists():
            dest.rmdir()
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tags
