"""A rendered project's compose file: where it is, and the named volumes it declares.

``devkit new`` renders ``.devcontainer/compose.yaml``; a project may use any other name
Docker Compose itself looks for. When a folder holds several, the first in Compose's own
order of preference wins — the order of compose-go's ``cli.DefaultFileNames``, the loader
``docker compose`` uses: ``compose.yaml``, ``compose.yml``, ``docker-compose.yml``,
``docker-compose.yaml``. ``devkit volumes create --project`` and ``devkit update`` both read
the file through here, so they always agree on which one it is and what it declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devkit.dockerfile import substitute
from devkit.errors import DevkitError

#: Compose's default file names, in its order of preference (compose-go ``DefaultFileNames``).
FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
#: Where a rendered project keeps its compose file (the template contract).
FOLDER = ".devcontainer"
#: The project-relative paths looked for, in that order.
PATHS = tuple(f"{FOLDER}/{name}" for name in FILE_NAMES)


def find(project_dir: Path) -> Path | None:
    """The project's compose file (the first of :data:`PATHS` that is a file), if any."""
    for rel in PATHS:
        path = project_dir / rel
        if path.is_file():
            return path
    return None


@dataclass
class Volume:
    """One top-level entry of ``volumes:`` that the project owns (not ``external``)."""

    key: str
    #: The explicit ``name:``; None when Compose would derive one (``<project>_<key>``).
    name: str | None
    labels: dict[str, str]
    driver: str = "local"


def parse(text: str, where: str) -> dict[str, Any]:
    """The compose document in ``text`` (an empty file is an empty mapping).

    Raises :class:`DevkitError` naming ``where`` when it is not YAML or not a mapping.
    """
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DevkitError(f"cannot read {where}: {str(exc).splitlines()[0]}") from exc
    if not isinstance(doc, dict):
        raise DevkitError(f"{where}: not a compose file (top level is not a mapping)")
    return doc


def named_volumes(doc: dict[str, Any], where: str) -> list[Volume]:
    """The project's own top-level volumes, in file order (``external`` ones are skipped).

    Labels may be given in either of Compose's spellings, a mapping or a list of
    ``key=value``; a label without a value is ``""``. Raises :class:`DevkitError` naming
    ``where`` when the ``volumes`` section or an entry is not shaped as Compose requires.
    """
    section = doc.get("volumes") or {}
    if not isinstance(section, dict):
        raise DevkitError(f"{where}: top-level 'volumes' must be a mapping")
    found = []
    for key, entry in section.items():
        entry = entry or {}
        if not isinstance(entry, dict):
            raise DevkitError(f"{where}: volume {key!r} must be a mapping")
        if entry.get("external"):
            continue  # made and owned elsewhere: not the project's to manage
        name = entry.get("name")
        found.append(
            Volume(
                str(key),
                str(name) if name else None,
                _labels(entry.get("labels"), f"{where}: volume {key!r}"),
                str(entry.get("driver") or "local"),
            )
        )
    return found


def _labels(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): "" if v is None else str(v) for k, v in raw.items()}
    if isinstance(raw, list):  # compose's other spelling: ["key=value", ...]
        out = {}
        for item in raw:
            key, _, value = str(item).partition("=")
            out[key] = value
        return out
    raise DevkitError(f"{where}: labels must be a mapping or a list")


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Compose's variable interpolation of ``text``: ``$VAR``, ``${VAR}``, ``${VAR:-default}``
    and the other shell forms Compose accepts, from ``variables`` (unknown ones are empty), and
    ``$$`` for a literal ``$``. Callers choose the variables: ``devkit doctor`` a project's
    ``.env`` only (it reads the repository, not the machine), ``devkit prebuild`` the
    environment, as ``docker compose`` run there would."""
    if "$" not in text:
        return text
    return substitute(text.replace("$$", "\0"), variables).replace("\0", "$")
