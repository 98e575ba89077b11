"""Backups on disk: prune keeps the newest per volume and kind, and never touches strangers."""

from __future__ import annotations

from pathlib import Path

from devkit import volumes as vol
from devkit.volumes import archive
from devkit.volumes.archive import writer

from .archive_helpers import VOLUME, make_tar


def test_prune_keeps_newest_and_ignores_strangers(tmp_path: Path) -> None:
    data = make_tar()
    made = []
    for i in range(4):
        for volume in ("v1", "v2"):
            path = tmp_path / "proj" / f"{volume}--2020010{i}T000000Z.tar.zst"
            path.parent.mkdir(exist_ok=True)
            with path.open("wb") as fh:
                archive.write_backup([data], fh, volume=dict(VOLUME, name=volume))
            # make the manifests' "created" differ, newest last
            raw = path.read_bytes()
            manifest = archive.read_manifest(path)
            manifest["created"] = f"2020-01-0{i + 1}T00:00:00Z"
            path.write_bytes(raw[: manifest["compressed_bytes"]] + writer._zstd_trailer(manifest))
            made.append(path)
    stranger = tmp_path / "proj" / "v1--19990101T000000Z.tar.zst"
    stranger.write_bytes(b"my own file, not a backup")
    notes = tmp_path / "proj" / "notes.txt"
    notes.write_text("keep me")
    would = vol.prune_backups(2, root=tmp_path, dry_run=True)
    assert len(would) == 4 and all(p.exists() for p in made)
    gone = vol.prune_backups(2, root=tmp_path)
    assert sorted(b.path.name for b in gone) == sorted(p.name for p in made[:4])
    left = sorted(p.name for p in (tmp_path / "proj").iterdir())
    assert stranger.name in left and notes.name in left and len(left) == 6
    assert vol.latest_backup("v1", tmp_path).path.name == "v1--20200103T000000Z.tar.zst"  # type: ignore[union-attr]
    # a newer safety backup counts apart: it does not push out the ordinary ones
    safety = tmp_path / "proj" / "v1--20200109T000000Z.safety.tar.zst"
    with safety.open("wb") as fh:
        archive.write_backup([data], fh, volume=dict(VOLUME, name="v1"), kind="safety")
    would = vol.prune_backups(1, root=tmp_path, volume="v1", dry_run=True)
    assert [b.path for b in would] == [made[4]]
    assert vol.latest_backup("v1", tmp_path).path == made[6]  # type: ignore[union-attr]
