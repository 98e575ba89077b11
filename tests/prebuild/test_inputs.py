"""The content tag: stable for what does not change the image, sensitive to what does.

No engine: base image digests come from a table the test controls.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devkit.errors import DevkitError
from devkit.prebuild import inputs, target

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=debian:bookworm-slim
FROM ${BASE} AS base
RUN echo base

FROM base AS deps
WORKDIR /deps
COPY requirements*.txt ./
RUN --mount=type=bind,source=tools/setup.sh,target=/setup.sh sh /setup.sh

FROM busybox:latest AS unused
COPY unused/ /unused/

FROM base AS dev
ARG FLAVOUR=plain
COPY --from=deps /deps /deps
COPY --from=tools:1.0 /bin/tool /usr/local/bin/tool
COPY <<EOF /etc/motd
hello
EOF
COPY --chmod=755 scripts/ /scripts/
ADD https://example.invalid/file.tar.gz /tmp/
CMD ["sleep", "infinity"]

FROM dev AS app
COPY . /app
"""

DIGESTS = {
    "debian:bookworm-slim": "sha256:" + "1" * 64,
    "debian:trixie-slim": "sha256:" + "2" * 64,
    "busybox:latest": "sha256:" + "3" * 64,
    "tools:1.0": "sha256:" + "4" * 64,
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "requirements.txt").write_text("rich==13.7.1\n")
    (tmp_path / "requirements-dev.txt").write_text("pytest\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "setup.sh").write_text("echo setup\n")
    (tmp_path / "tools" / "other.sh").write_text("echo other\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "run.sh").write_text("echo run\n")
    (tmp_path / "scripts" / "secret.key").write_text("key\n")
    (tmp_path / "unused").mkdir()
    (tmp_path / "unused" / "x.txt").write_text("x\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("print('hi')\n")
    (tmp_path / ".dockerignore").write_text("**/*.key\n.git\n")
    return tmp_path


def tag_of(
    project: Path,
    stage: str | None = "dev",
    args: dict[str, str] | None = None,
    platforms: tuple[str, ...] = ("linux/amd64",),
    digests: dict[str, str] | None = None,
) -> inputs.Inputs:
    build = target.BuildTarget(
        project=project,
        context=project,
        dockerfile=project / "Dockerfile",
        target=stage,
        args=dict(args or {}),
    )
    table = digests or DIGESTS
    return inputs.collect(build, platforms, table.__getitem__)


def test_the_inputs_are_what_the_target_reads(project: Path) -> None:
    found = tag_of(project)
    assert set(found.files) == {
        "requirements.txt",
        "requirements-dev.txt",
        "tools/setup.sh",
        "scripts",
        "scripts/run.sh",
    }
    assert found.bases == {
        "debian:bookworm-slim": DIGESTS["debian:bookworm-slim"],
        "tools:1.0": DIGESTS["tools:1.0"],
    }
    assert found.remote == ("https://example.invalid/file.tar.gz",)
    assert found.target == "dev"
    assert found.platforms == ("linux/amd64",)
    assert found.tag.startswith("dev-") and len(found.tag) == 4 + inputs.TAG_DIGITS


def test_same_inputs_same_tag_and_stable_across_runs(project: Path) -> None:
    first = tag_of(project)
    assert tag_of(project).tag == first.tag
    # Timestamps and group-write bits (umask) are not inputs.
    os.utime(project / "requirements.txt", (1, 1))
    os.chmod(project / "requirements.txt", 0o664)
    assert tag_of(project).tag == first.tag


@pytest.mark.parametrize(
    "edit",
    [
        "unused/x.txt",  # only a stage the target does not need reads it
        "src/main.py",  # no COPY of the dev target picks it (the app stage does)
        "tools/other.sh",  # the bind mount names only setup.sh
        "scripts/secret.key",  # picked by COPY scripts/, but .dockerignore leaves it out
        "notes.md",  # a new file nothing sends
    ],
)
def test_a_file_the_build_does_not_read_leaves_the_tag(project: Path, edit: str) -> None:
    before = tag_of(project).tag
    (project / edit).write_text("changed\n")
    assert tag_of(project).tag == before


def test_dockerignore_edit_that_sends_nothing_new_leaves_the_tag(project: Path) -> None:
    before = tag_of(project).tag
    with (project / ".dockerignore").open("a") as handle:
        handle.write("**/*.pyc\nsrc/\n")
    assert tag_of(project).tag == before


@pytest.mark.parametrize(
    "edit",
    [
        "requirements.txt",  # COPY requirements*.txt
        "requirements-dev.txt",  # the same wildcard
        "tools/setup.sh",  # RUN --mount=type=bind,source=tools/setup.sh sends it
        "scripts/run.sh",  # under a copied folder
        "scripts/new.sh",  # a new file in a copied folder
    ],
)
def test_a_file_the_build_sends_changes_the_tag(project: Path, edit: str) -> None:
    before = tag_of(project)
    (project / edit).write_text("changed\n")
    after = tag_of(project)
    assert after.tag != before.tag
    assert [c.name for c in inputs.diff(before, after)] == [edit]


def test_unignoring_a_copied_file_changes_the_tag(project: Path) -> None:
    before = tag_of(project).tag
    (project / ".dockerignore").write_text(".git\n")
    assert tag_of(project).tag != before


def test_executable_bit_counts(project: Path) -> None:
    before = tag_of(project).tag
    os.chmod(project / "scripts" / "run.sh", 0o755)
    assert tag_of(project).tag != before


def test_the_app_stage_reads_the_whole_sent_context(project: Path) -> None:
    found = tag_of(project, stage="app")
    assert "src/main.py" in found.files and "unused/x.txt" in found.files
    assert "scripts/secret.key" not in found.files  # ignored stays out
    before = found.tag
    (project / "src" / "main.py").write_text("print('changed')\n")
    assert tag_of(project, stage="app").tag != before


def test_dockerfile_text_target_args_platforms_and_bases_count(project: Path) -> None:
    base = tag_of(project)
    # A comment is Dockerfile text.
    (project / "Dockerfile").write_text(DOCKERFILE + "# a comment\n")
    assert tag_of(project).tag != base.tag
    (project / "Dockerfile").write_text(DOCKERFILE)
    assert tag_of(project).tag == base.tag
    assert tag_of(project, stage="deps").tag != base.tag
    assert tag_of(project, args={"FLAVOUR": "x"}).tag != base.tag
    # An arg the Dockerfile never declares cannot change the image.
    assert tag_of(project, args={"NOT_DECLARED": "x"}).tag == base.tag
    # The ARG-substituted FROM resolves to another image with another digest.
    other = tag_of(project, args={"BASE": "debian:trixie-slim"})
    assert other.bases["debian:trixie-slim"] == DIGESTS["debian:trixie-slim"]
    assert other.tag != base.tag
    moved = dict(DIGESTS, **{"debian:bookworm-slim": "sha256:" + "9" * 64})
    assert tag_of(project, digests=moved).tag != base.tag
    two = tag_of(project, platforms=("linux/arm64", "linux/amd64"))
    assert two.tag != base.tag
    assert two.tag == tag_of(project, platforms=("linux/amd64", "linux/arm64")).tag


def test_build_arg_values_are_never_recorded(project: Path) -> None:
    found = tag_of(project, args={"FLAVOUR": "token-123-secret"})
    assert "token-123-secret" not in found.to_json()
    assert found.args["FLAVOUR"] == inputs.sha256_text("token-123-secret")


def test_diff_names_each_kind_of_change(project: Path) -> None:
    old = tag_of(project)
    (project / "requirements.txt").write_text("rich==13.8.0\n")
    (project / "scripts" / "run.sh").unlink()
    new = tag_of(project, args={"FLAVOUR": "x"}, platforms=("linux/amd64", "linux/arm64"))
    lines = [c.describe() for c in inputs.diff(old, new)]
    assert lines == [
        "platforms changed",
        "arg FLAVOUR added",
        "file requirements.txt changed",
        "file scripts/run.sh removed",
    ]
    assert inputs.diff(old, old) == []


def test_record_round_trips_and_grouped_labels_still_diff(project: Path) -> None:
    old = tag_of(project, stage="app")
    again = inputs.Inputs.from_dict(old.to_dict(), "label")
    assert again == old and again.tag == old.tag
    grouped = inputs.Inputs.from_dict(__import__("json").loads(old.grouped().to_json()), "x")
    (project / "src" / "main.py").write_text("print('changed')\n")
    new = tag_of(project, stage="app")
    assert [c.name for c in inputs.diff(grouped, new)] == ["src/**"]


def test_a_long_record_is_grouped_in_the_label(project: Path) -> None:
    for n in range(900):
        (project / "src" / f"m{n:04}.py").write_text(f"x = {n}\n")
    found = tag_of(project, stage="app")
    assert len(found.to_json()) > inputs.LABEL_LIMIT
    label = found.label()
    assert len(label) < inputs.LABEL_LIMIT and '"src/**"' in label


def test_not_a_record() -> None:
    with pytest.raises(DevkitError, match="not a record of prebuild inputs"):
        inputs.Inputs.from_dict({"schema": 1}, "old.json")
    with pytest.raises(DevkitError, match="schema 99"):
        inputs.Inputs.from_dict({"schema": 99}, "old.json")


def test_unknown_target_stage(project: Path) -> None:
    with pytest.raises(DevkitError, match="no stage 'nope'"):
        tag_of(project, stage="nope")
