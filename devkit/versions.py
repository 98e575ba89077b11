"""The one ordering of template versions in devkit: tags and ``git describe`` strings as PEP
440 versions (a leading ``v`` allowed), as Copier orders them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.version import InvalidVersion, Version


def version_key(ref: str) -> Version | None:
    """The version a tag or a ``git describe`` string stands for, or None if it is not one.

    PEP 440, with a leading ``v`` allowed; like Copier, ``<tag>-<n>-g<hash>`` (``git
    describe``, a commit after a tag) is a post-release of ``<tag>``. The one ordering of
    template versions in devkit.
    """
    text = ref.strip()
    match = re.match(r"^(?P<base>.+)-(?P<count>\d+)-g(?P<hash>[0-9a-f]+)$", text)
    if match:
        text = f"{match['base']}.post{match['count']}+{match['hash']}"
    try:
        return Version(text)
    except InvalidVersion:
        return None


def sorted_tags(tags: Iterable[str]) -> list[str]:
    """Version tags oldest first (:func:`version_key`); tags that are not versions go last."""

    def key(tag: str) -> tuple[int, Version | str]:
        version = version_key(tag)
        return (1, tag) if version is None else (0, version)

    return sorted(tags, key=key)


def newest(tags: Iterable[str]) -> str | None:
    """The newest release among ``tags`` (:func:`version_key` order, pre-releases skipped)."""
    for tag in reversed(sorted_tags(tags)):
        version = version_key(tag)
        if version is not None and not version.is_prerelease:
            return tag
    return None
