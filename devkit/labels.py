"""The labels devkit puts on what it creates in the engine (volumes, containers, images).

Every ``dev.devkit.*`` label is spelled here and only here, so that the code that writes a
label and the code that filters on it cannot drift apart. A leaf: it imports nothing from
devkit.
"""

from __future__ import annotations

import os

#: The namespace of devkit's labels (reverse-DNS, as Docker recommends for label keys).
LABEL_PREFIX = "dev.devkit"
#: ``true`` on everything devkit creates; ``devkit volumes list`` shows only these by default.
MANAGED_LABEL = f"{LABEL_PREFIX}.managed"
#: The project (rendered folder's ``project_name``) a volume belongs to.
PROJECT_LABEL = f"{LABEL_PREFIX}.project"
#: What a volume holds (``pip-cache``, ``shell-history``, …); how a renamed volume is matched.
PURPOSE_LABEL = f"{LABEL_PREFIX}.purpose"
#: On the never-started helper containers that move a volume's data.
HELPER_LABEL = f"{LABEL_PREFIX}.helper"
#: On the images ``devkit bench`` builds, with the run's id as value.
BENCH_LABEL = f"{LABEL_PREFIX}.bench"
#: On the images ``devkit prebuild`` builds: the JSON of the inputs behind the content tag,
#: so ``devkit prebuild --explain --against TAG`` can say which input changed since.
PREBUILD_INPUTS_LABEL = f"{LABEL_PREFIX}.prebuild.inputs"
#: On the one-file images ``devkit volumes push`` makes of a backup: JSON of the backup file's
#: size and SHA-256 and the volume it came from, checked by ``devkit volumes pull``.
VOLUME_BACKUP_LABEL = f"{LABEL_PREFIX}.volume-backup"
#: Put by the test suite on everything it creates (through ``DEVKIT_EXTRA_LABELS``).
TEST_LABEL = f"{LABEL_PREFIX}.test"

#: Environment variable with extra labels for everything devkit creates: ``k=v,k2=v2``.
EXTRA_LABELS_ENV = "DEVKIT_EXTRA_LABELS"


def extra_labels() -> dict[str, str]:
    """Labels added to everything devkit creates, from ``DEVKIT_EXTRA_LABELS=k=v,...``.

    The tests use it to mark what they make with their session's label; items without ``=``
    are ignored, spaces around keys and values are dropped.
    """
    raw = os.environ.get(EXTRA_LABELS_ENV, "")
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs}
