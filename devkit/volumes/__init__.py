"""Named volumes through the Docker SDK: create, list, back up, restore, copy and remove.

Data moves over the Engine API's archive endpoints (``get_archive``/``put_archive``) through
a *helper container* that is created but never started, from a tiny image devkit imports
from an empty tar when it is absent. No image is pulled and no docker CLI is needed, so it
works offline, against a remote engine (``DOCKER_HOST=tcp://…``/``ssh://…``) and with contexts.

The functions ``backup`` and ``restore`` are re-exported here, so ``devkit.volumes.backup``
and ``devkit.volumes.restore`` as attributes are those functions, not their modules: import
from the modules by their full names (``from devkit.volumes.backup import …``), and patch
what a module calls where it is defined (``devkit.volumes.transport.stream``).
"""

from __future__ import annotations

from devkit.volumes.backup import BackupResult, backup
from devkit.volumes.catalog import (
    backups_dir,
    default_backup_path,
    find_backups,
    latest_backup,
    prune_backups,
)
from devkit.volumes.copy import MIGRATED, NOTHING_TO_MIGRATE, CopyResult, copy_volume, migrate
from devkit.volumes.helper import (
    HELPER_IMAGE,
    check_name,
    create_volume,
    ensure_helper_image,
    get_volume,
    is_empty,
    refuse_in_use,
    remove_volume,
    users,
    volume_exists,
)
from devkit.volumes.listing import VolumeInfo, list_volumes
from devkit.volumes.project import (
    CreateResult,
    VolumeSpec,
    compose_file,
    create_project_volumes,
    project_volumes,
    seed_from_latest,
)
from devkit.volumes.restore import RestoreResult, restore
from devkit.volumes.transport import MOUNT, REBASE, STREAM_CHUNK

__all__ = [
    "HELPER_IMAGE",
    "MIGRATED",
    "MOUNT",
    "NOTHING_TO_MIGRATE",
    "REBASE",
    "STREAM_CHUNK",
    "BackupResult",
    "CopyResult",
    "CreateResult",
    "RestoreResult",
    "VolumeInfo",
    "VolumeSpec",
    "backup",
    "backups_dir",
    "check_name",
    "compose_file",
    "copy_volume",
    "create_project_volumes",
    "create_volume",
    "default_backup_path",
    "ensure_helper_image",
    "find_backups",
    "get_volume",
    "is_empty",
    "latest_backup",
    "list_volumes",
    "migrate",
    "project_volumes",
    "prune_backups",
    "refuse_in_use",
    "remove_volume",
    "restore",
    "seed_from_latest",
    "users",
    "volume_exists",
]
