"""The one ordering of template versions (devkit.versions)."""

from __future__ import annotations

from devkit import versions


def test_one_version_order_for_tags_and_git_describe_strings() -> None:
    tags = ["v2.0.0", "latest", "v10.0.0", "v11.0.0rc1", "v1.0.0+abcdef1234", "v1.0.0"]
    tags.append("v2.0.0-3-gabc1234")  # `git describe`: three commits after v2.0.0
    assert versions.sorted_tags(tags) == [
        "v1.0.0",
        "v1.0.0+abcdef1234",
        "v2.0.0",
        "v2.0.0-3-gabc1234",
        "v10.0.0",
        "v11.0.0rc1",
        "latest",
    ]
    assert versions.newest(tags) == "v10.0.0"  # not the pre-release, not "latest"
    assert versions.newest(["latest", "v1.0.0rc1"]) is None
    assert versions.version_key("nightly") is None
