"""What a restore may write: unsafe members are refused by verify and by the write pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devkit.errors import DevkitError
from devkit.volumes import archive

from .archive_helpers import make_tar, write


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("file", "/etc/passwd", b"x")], "absolute path"),
        ([("file", "./a/../../escape", b"x")], "'..'"),
        ([("symlink", "./link", "/etc"), ("file", "./link/passwd", b"x")], "through the symlink"),
        ([("symlink", "./d", "../.."), ("dir", "./d/sub", None)], "through the symlink"),
        ([("hardlink", "./h", "../outside")], "outside the volume"),
        ([("hardlink", "./h", "/etc/shadow")], "outside the volume"),
        ([("symlink", "./l", "/"), ("hardlink", "./h", "./l/etc/shadow")], "through a symlink"),
        (
            [("symlink", "./l", "/etc"), ("hardlink", "./h", "./l"), ("file", "./h/passwd", b"x")],
            "through the symlink 'h'",
        ),
        ([("chardev", "./null", None)], "device node"),
    ],
)
def test_unsafe_members_are_rejected(
    tmp_path: Path, members: list[tuple[str, str, Any]], message: str
) -> None:
    path = write(tmp_path, make_tar([("dir", ".", None), *members]))
    with pytest.raises(DevkitError, match="unsafe backup") as err:
        archive.verify(path)
    assert message in str(err.value)
    # restore's write pass applies the same rules: nothing reaches the engine
    received: list[bytes] = []
    stream = archive.iter_tar(
        path, archive.read_manifest(path), on_member=archive.MemberPolicy().check, rebase="v"
    )
    with pytest.raises(DevkitError, match=message):
        for chunk in stream:
            received.append(chunk)
    assert received == []


def test_safe_symlinks_pointing_anywhere_are_fine(tmp_path: Path) -> None:
    members: list[tuple[str, str, Any]] = [
        ("dir", ".", None),
        ("symlink", "./abs", "/etc/passwd"),
        ("symlink", "./up", "../../../../x"),
        ("symlink", "./dangling", "nowhere"),
        ("file", "./abs-sibling", b"ok"),
        ("hardlink", "./abs-again", "./abs"),  # `ln symlink other`: a hard-linked symlink
    ]
    archive.verify(write(tmp_path, make_tar(members)))
