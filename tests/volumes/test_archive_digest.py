"""What a tree is: entries normalised across the engines' spellings, a digest that ignores
member order, and the first difference named in a few words."""

from __future__ import annotations

import io
import random
import tarfile

import pytest

from devkit.volumes import archive
from devkit.volumes.archive import tar as archive_tar
from devkit.volumes.archive.digest import Entry, TreeDigest, compare_counts, first_difference

from .archive_helpers import make_tar


def member(name: str, kind: bytes = b"0", **kw: object) -> archive.Member:
    fields: dict[str, object] = {
        "size": 3, "linkname": "", "mode": 0o644, "uid": 1000, "gid": 1001, "mtime": 1_600_000_000
    }  # fmt: skip
    fields.update(kw)
    return archive.Member(name, kind, **fields)  # type: ignore[arg-type]


def entries(data: bytes) -> list[Entry]:
    found: list[Entry] = []
    walker = archive.TarWalker(lambda m: found.append(Entry.of(m)))
    walker.feed(data)
    walker.finish()
    return found


@pytest.mark.parametrize(
    ("name", "strip", "path"),
    [
        ("./a/b", None, "a/b"),  # Docker's archive, devkit's backups
        ("/a/b", None, "a/b"),  # Podman's archive of a created container
        ("a/b/", None, "a/b"),
        ("volume/a/b", "volume", "a/b"),  # the stream devkit uploads at / (rebased)
        ("./", None, "."),
        ("", None, "."),  # Podman's name for the root
        ("volume/", "volume", "."),
    ],
)
def test_every_spelling_of_a_path_is_one_entry(name: str, strip: str | None, path: str) -> None:
    assert Entry.of(member(name), strip).path == path


def test_entry_fields_that_do_not_describe_the_tree_are_left_out() -> None:
    link = Entry.of(member("./l", archive.SYMLINK, size=99, linkname="../x", mode=0o120777))
    assert (link.kind, link.size, link.link, link.mode) == ("symlink", 0, "../x", 0o777)
    hard = Entry.of(member("volume/h", archive.HARDLINK, linkname="volume/a/f"), "volume")
    assert (hard.kind, hard.link, hard.size) == ("hard link", "a/f", 0)
    assert Entry.of(member("./d", archive.DIRECTORY, size=4096)).size == 0
    assert Entry.of(member("./f", b"\x00", mode=0o104755)).mode == 0o4755  # type bits dropped


def test_the_digest_ignores_member_order_and_counts_like_the_manifest() -> None:
    tree = entries(make_tar())
    shuffled = list(tree)
    random.Random(7).shuffle(shuffled)
    one, two = TreeDigest(), TreeDigest()
    for e in tree:
        one.add_entry(e)
    for e in shuffled:
        two.add_entry(e)
    assert one.sha256 == two.sha256 and one.without_owners == two.without_owners
    assert one.counts() == {
        "entry_count": 10,
        "file_count": 4,
        "directory_count": 3,
        "symlink_count": 2,
        "hardlink_count": 1,
        "content_bytes": 4 + 0 + 1 + 256 * 40,
    }
    assert compare_counts(one, two) is None


def test_owners_count_only_in_one_of_the_two_digests() -> None:
    root, flattened = TreeDigest(), TreeDigest()
    root.add(member("./f"))
    flattened.add(member("./f", uid=0, gid=0))
    assert root.sha256 != flattened.sha256
    assert root.without_owners == flattened.without_owners
    assert root.digest(owners=False) == flattened.digest(owners=False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"uid": 0}, "owner"),
        ({"mode": 0o600}, "mode"),
        ({"size": 4}, "size"),
        ({"mtime": 1_600_000_001}, "mtime"),
    ],
)
def test_any_field_changes_the_digest(change: dict[str, int], field: str) -> None:
    a, b = TreeDigest(), TreeDigest()
    a.add(member("./f"))
    b.add(member("./f", **change))
    assert a.sha256 != b.sha256, field


def test_a_dropped_entry_is_named_first() -> None:
    """What an engine that accepts an upload and drops entries (Podman #21861) looks like."""
    want = entries(make_tar())
    got = [e for e in want if not e.path.startswith("a/")]
    assert first_difference(got, want) == "a/hard is missing"
    want_digest, got_digest = TreeDigest(), TreeDigest()
    for e in want:
        want_digest.add_entry(e)
    for e in got:
        got_digest.add_entry(e)
    assert compare_counts(got_digest, want_digest) == "7 entries, expected 10"
    assert first_difference([], want) == "the volume's root folder is missing"
    assert first_difference(want, got, source="the source volume") == (
        "a/hard is not in the source volume"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"uid": 0, "gid": 0}, "a/f: owner 0:0, expected 1000:1001"),
        ({"mode": 0o777}, "a/f: mode 0777, expected 0644"),
        ({"size": 0}, "a/f: 0 bytes, expected 3"),
        ({"mtime": 0}, "a/f: modified 1970-01-01 00:00:00 UTC, expected 2020-09-13 12:26:40 UTC"),
    ],
)
def test_the_first_difference_says_what_differs(change: dict[str, int], message: str) -> None:
    want = [Entry.of(member("./a", archive.DIRECTORY)), Entry.of(member("./a/f"))]
    got = [want[0], Entry.of(member("./a/f", **change))]
    assert first_difference(got, want) == message
    if "uid" in change:
        assert first_difference(got, want, owners=False) is None


def test_a_changed_type_and_link_target_are_named() -> None:
    want = [Entry.of(member("./s", archive.SYMLINK, linkname="a"))]
    assert first_difference([Entry.of(member("./s"))], want) == "s: file, expected a symlink"
    moved = [Entry.of(member("./s", archive.SYMLINK, linkname="b"))]
    assert first_difference(moved, want) == "s: links to 'b', expected 'a'"


def test_pax_mtimes_count_in_whole_seconds_rounded_down() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, mtime in (("./late", 1_600_000_000.999), ("./early", -1.5)):
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            tar.addfile(info, io.BytesIO(b""))
    seen: list[archive.Member] = []
    walker = archive.TarWalker(seen.append)
    walker.feed(buf.getvalue())
    walker.finish()
    assert [m.mtime for m in seen] == [1_600_000_000, -2]
    assert archive_tar.Member("x", b"0", 0, "", 0, 0, 0).mtime == 0  # default


def test_differences_give_the_first_of_each_kind() -> None:
    want = [Entry.of(member(f"./{n}")) for n in "abcd"]
    got = [Entry.of(member("./a", uid=0, gid=0)), Entry.of(member("./b", uid=0, gid=0))]
    got.append(Entry.of(member("./c", mode=0o600)))
    from devkit.volumes.archive.digest import differences

    assert differences(got, want) == [
        "a: owner 0:0, expected 1000:1001",
        "c: mode 0600, expected 0644",
        "d is missing",
    ]
    assert differences(got, want, limit=1) == ["a: owner 0:0, expected 1000:1001"]
    assert differences(want, want) == []
