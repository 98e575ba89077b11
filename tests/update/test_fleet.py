"""devkit/update/fleet.py: the repository list and the worker pool's fork server."""

from __future__ import annotations

import importlib
import io
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devkit import copier_api
from devkit.errors import DevkitError
from devkit.update import fleet


def test_a_repository_list_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text("# my fleet\n  ~/svc-a  \n\n/src/svc-b\n   # gone\n")
    assert fleet.read_repo_list(listing) == [os.path.expanduser("~/svc-a"), "/src/svc-b"]


def test_dash_reads_the_stream_the_cli_hands_over() -> None:
    stream = io.StringIO("/src/a\n# not this one\n/src/b\n")
    assert fleet.read_repo_list(Path("-"), stdin=stream) == ["/src/a", "/src/b"]


def test_an_unreadable_list_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    with pytest.raises(DevkitError) as caught:
        fleet.read_repo_list(missing)
    assert str(caught.value) == f"cannot read repository list {missing}: No such file or directory"


def test_from_file_dash_reads_stdin_as_a_user_runs_it(tmp_path: Path) -> None:
    """`... | devkit update --from-file -`: the list comes from the pipe."""
    missing = tmp_path / "not-here"
    proc = subprocess.run(
        [sys.executable, "-m", "devkit", "update", "--from-file", "-", "--json"],
        input=f"# the fleet\n{missing}\n\n",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert [(r["path"], r["status"], r["reason"]) for r in report["repositories"]] == [
        (str(missing), "refused", "no such folder")
    ]


def test_the_fork_server_preloads_the_module_the_workers_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A preload name that does not import is skipped without a word, so check each one."""
    assert "forkserver" in multiprocessing.get_all_start_methods()  # Linux: the pool's choice
    context = multiprocessing.get_context("forkserver")
    preloaded: list[list[str]] = []

    def capture(names: Any) -> None:
        preloaded.append(list(names))

    monkeypatch.setattr(context, "set_forkserver_preload", capture)
    fleet._pool(1).shutdown()
    assert preloaded == [["devkit.update.repo", *copier_api.PRELOAD_MODULES]]
    assert importlib.import_module("devkit.update.repo").update_repo is fleet.update_repo
    for name in copier_api.PRELOAD_MODULES:
        importlib.import_module(name)
