"""A project's volumes without an engine: seeding skips backups of empty volumes."""

from __future__ import annotations

from pathlib import Path

from devkit import volumes as vol

from .archive_helpers import make_tar, write


def test_seeding_skips_backups_of_empty_volumes(tmp_path: Path) -> None:
    """No engine call at all when the newest backup holds only the root folder."""
    empty = write(tmp_path, make_tar([("dir", ".", None)]), name="demo-pip-cache--1")
    backups = vol.find_backups(tmp_path)
    assert [b.path for b in backups] == [empty]
    # client=None: any engine call would raise AttributeError
    assert vol.seed_from_latest(None, "demo-pip-cache", created=True, backups=backups) is None
    assert vol.seed_from_latest(None, "other-volume", created=True, backups=backups) is None
