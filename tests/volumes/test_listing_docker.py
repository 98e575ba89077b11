"""`devkit volumes list` against the real engine (and where a backup goes by default)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devkit import volumes as vol
from devkit.cli import main

from .docker_helpers import Volumes

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("label_everything")]


def test_default_location_and_list(
    docker_client: Any, small_source: str, vols: Volumes, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["volumes", "backup", small_source]) == 0
    quiet = capsys.readouterr()  # nothing at all on success when not a terminal
    assert (quiet.out, quiet.err) == ("", "")
    found = [b for b in vol.find_backups() if b.volume == small_source]
    assert found and found[0].path.parent == vol.backups_dir() / "dkt"
    assert found[0].path.stat().st_mode & 0o777 == 0o600  # backups may hold secrets
    assert main(["volumes", "list", "--project", "dkt"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "PROJECT", "PURPOSE", "SIZE", "USED", "BY", "CREATED"]
    row = next(line.split() for line in lines if line.startswith(small_source + " "))
    assert row[1:3] == ["dkt", "pip-cache"]  # piped output is never truncated
    assert main(["volumes", "list", "--project", "dkt", "--json"]) == 0
    listed = {v["name"]: v for v in json.loads(capsys.readouterr().out)}
    assert listed[small_source]["purpose"] == "pip-cache"
    assert listed[small_source]["size"] > 0
    assert listed[small_source]["containers"] == []
