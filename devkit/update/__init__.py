"""Bring many repositories to the newest version of their template with Copier's 3-way merge."""

from __future__ import annotations

from devkit.template import newest_version
from devkit.update.fleet import read_repo_list, update_many
from devkit.update.repo import update_repo, valid_branch_name
from devkit.update.result import (
    CONFLICTS,
    FAILED,
    OK_STATUSES,
    REFUSED,
    UP_TO_DATE,
    UPDATED,
    WOULD_UPDATE,
    Conflict,
    RepoResult,
    UpdateOptions,
    VolumeChange,
    summary,
)
from devkit.update.volume_migration import migrate_volumes, volume_changes

__all__ = [
    "CONFLICTS",
    "FAILED",
    "OK_STATUSES",
    "REFUSED",
    "UPDATED",
    "UP_TO_DATE",
    "WOULD_UPDATE",
    "Conflict",
    "RepoResult",
    "UpdateOptions",
    "VolumeChange",
    "migrate_volumes",
    "newest_version",
    "read_repo_list",
    "summary",
    "update_many",
    "update_repo",
    "valid_branch_name",
    "volume_changes",
]
