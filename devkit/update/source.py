"""Which template, and which versions of it, a repository's update merges between.

The answers file (``.copier-answers.yml``) records the template (``_src_path``) and the version
a project was made at (``_commit``). Projects made from the bundled template record
``_src_path`` = the bundled mirror's path on the machine that made them. That path may not exist
here (another machine, another data folder), so such sources are mapped to this machine's mirror
(:func:`devkit.template.bundled_source`), and the recorded ``_src_path`` is kept as it was so the
answers file does not churn between machines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from devkit import git, template, versions
from devkit.errors import DevkitError, one_line
from devkit.fsutil import write_atomic
from devkit.template import is_local_path
from devkit.update.result import NEWER_DEVKIT, Refused, UpdateOptions, UpToDate

ANSWERS_FILE = ".copier-answers.yml"


def _template_tags(src: str) -> tuple[str, ...]:
    """The template's tags (read once per process); an unreadable template is refused."""
    try:
        return template.tags(src)
    except DevkitError as exc:
        raise Refused(exc.message) from None


def same_path(a: str, b: str) -> bool:
    """Whether two template sources name the same folder (``~`` expanded, not resolved)."""
    return Path(a).expanduser().absolute() == Path(b).expanduser().absolute()


def _is_bundled_src(src: str, mirror: str | None) -> bool:
    """Whether an answers file's ``_src_path`` points at a bundled-template mirror."""
    if not mirror or not is_local_path(src):
        return False
    return same_path(src, mirror) or Path(src).parts[-2:] == ("templates", "bundled")


def _ref_in(src: str, ref: str) -> bool:
    if ref in _template_tags(src):
        return True
    # `_commit` can also be a `git describe` string or a hash; let git decide for local repos.
    if is_local_path(src) and Path(src).expanduser().is_dir():
        target = re.sub(r"-\d+-g([0-9a-f]+)$", "", ref)
        probe = git.run(
            Path(src).expanduser(),
            "rev-parse",
            "-q",
            "--verify",
            f"{target}^{{commit}}",
            check=False,
        )
        return probe.returncode == 0
    return True  # a remote template: Copier will say if the ref is missing


def target_version(source: str, options: UpdateOptions) -> str | None:
    """The version to update to: this devkit's for the bundled template, else the newest tag."""
    mirror = options.bundled_mirror
    if options.bundled_tag and mirror and same_path(source, mirror):
        return options.bundled_tag
    return versions.newest(_template_tags(source))


def choose_source(
    project: Path, recorded: str, old_ref: str, options: UpdateOptions
) -> tuple[str, bool]:
    """The template source to update from, and whether it replaces the recorded one."""
    mirror = options.bundled_mirror
    if _is_bundled_src(recorded, mirror):
        assert mirror is not None
        if _ref_in(mirror, old_ref):
            return mirror, not same_path(recorded, mirror)
        if Path(recorded).expanduser().is_dir() and _ref_in(recorded, old_ref):
            # Another mirror on disk still has the old version: teach this machine's mirror
            # (it has the newest version) and merge between the two there.
            from devkit.template import import_version

            try:
                import_version(recorded, old_ref, Path(mirror))
            except DevkitError as exc:
                raise Refused(f"cannot copy version {old_ref} from {recorded}: {exc}") from None
            template.tags.cache_clear()
            return mirror, not same_path(recorded, mirror)
        newest = target_version(mirror, options)
        old_key = versions.version_key(old_ref)
        new_key = versions.version_key(newest) if newest else None
        if old_key is not None and new_key is not None and old_key > new_key:
            raise UpToDate(NEWER_DEVKIT.format(newest))
        raise Refused(
            f"bundled template version {old_ref} is unknown to this devkit's template mirror; "
            f"fetch it from a `devkit template export` made where it is known: "
            f"git -C {mirror} fetch EXPORT refs/tags/{old_ref}:refs/tags/{old_ref}"
        )
    if is_local_path(recorded) and not Path(recorded).expanduser().is_absolute():
        # Copier records a template path as it was typed; a relative one only makes sense
        # from the project's folder.
        beside = (project / recorded).resolve()
        if beside.is_dir() and _ref_in(str(beside), old_ref):
            return str(beside), True
    if is_local_path(recorded) and not Path(recorded).expanduser().exists():
        raise Refused(f"template {recorded} (recorded in {ANSWERS_FILE}) does not exist here")
    if not _ref_in(recorded, old_ref):
        raise Refused(f"template {recorded} has no version {old_ref} to merge from")
    return recorded, False


def read_answers(project: Path) -> dict[str, Any]:
    """The project's answers file; refused when it is missing, unreadable or incomplete."""
    path = project / ANSWERS_FILE
    if not path.is_file():
        raise Refused(f"not made from a Copier template (no {ANSWERS_FILE})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise Refused(f"{ANSWERS_FILE} cannot be read: {one_line(exc)}") from None
    if not isinstance(data, dict) or not data.get("_src_path"):
        raise Refused(f"{ANSWERS_FILE} records no template (_src_path)")
    if not data.get("_commit"):
        raise Refused(f"{ANSWERS_FILE} records no template version (_commit)")
    return data


def keep_recorded_src(project: Path, recorded: str, used: str) -> None:
    """Put the recorded ``_src_path`` back after an update from this machine's mirror."""
    path = project / ANSWERS_FILE
    text = path.read_text(encoding="utf-8")
    line = re.compile(r"^_src_path: .*$", re.MULTILINE)
    match = line.search(text)
    if not match or yaml.safe_load(match.group(0)).get("_src_path") != used:
        return
    replacement = yaml.safe_dump({"_src_path": recorded}, width=10_000).strip()
    write_atomic(path, text[: match.start()] + replacement + text[match.end() :])
