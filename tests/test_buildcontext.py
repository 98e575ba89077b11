"""devkit.buildcontext: which .dockerignore applies and what a build sends (BuildKit's view).

The unit tests pin the rules; the docker test builds real contexts with BuildKit and compares
the files that arrive, and the bytes BuildKit reports, with what devkit says is sent.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from devkit import buildcontext
from devkit.bench.progress import parse_progress
from devkit.errors import DevkitError


def _tree(root: Path, files: dict[str, int | str]) -> Path:
    """Write ``files`` (relative path → size in bytes, or text) under ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, int):
            path.write_bytes(b"x" * content)
        else:
            path.write_text(content)
    return root


def _sent_files(root: Path, patterns: list[str]) -> set[str]:
    sent = buildcontext.Context(root).send(patterns)
    return {p.relative_to(root).as_posix() for p in sent.regular_files()}


def test_the_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    dockerfile = tmp_path / ".devcontainer" / "Dockerfile"
    _tree(tmp_path, {".devcontainer/Dockerfile": "FROM scratch\n"})
    assert buildcontext.ignore_file(dockerfile, tmp_path) is None
    (tmp_path / ".dockerignore").write_text("*.log\n")
    assert buildcontext.ignore_file(dockerfile, tmp_path) == tmp_path / ".dockerignore"
    (tmp_path / ".devcontainer" / "Dockerfile.dockerignore").write_text("")
    assert buildcontext.ignore_file(dockerfile, tmp_path) == dockerfile.with_name(
        "Dockerfile.dockerignore"
    )


def test_read_ignore_skips_blanks_and_comments(tmp_path: Path) -> None:
    ignore = tmp_path / ".dockerignore"
    ignore.write_text("# build output\n\n  build/  \n!build/keep\n")
    assert buildcontext.read_ignore(ignore) == ["build/", "!build/keep"]
    with pytest.raises(DevkitError, match="cannot read"):
        buildcontext.read_ignore(tmp_path / "missing")


def test_dockers_own_matching_rules(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {"src/a.py": 6, "big/blob.bin": 50_000, "notes.log": 1000, "Dockerfile": 30, "x.md": 5},
    )
    assert _sent_files(root, ["*", "!src"]) == {"src/a.py"}
    assert _sent_files(root, ["*.log", "big"]) == {"src/a.py", "Dockerfile", "x.md"}
    assert _sent_files(root, ["**/*.py", "!src/a.py"]) == _sent_files(root, [])


def test_an_ignored_dockerfile_or_dockerignore_is_not_sent(tmp_path: Path) -> None:
    """BuildKit reads both through transfers of their own: the context holds neither when
    the patterns exclude them, wherever the Dockerfile is (docker-py would keep them)."""
    root = _tree(
        tmp_path,
        {
            "Dockerfile": 30,
            ".devcontainer/Dockerfile": 20,
            ".devcontainer/Dockerfile.dockerignore": "x",
            ".dockerignore": "x",
            "src/a.py": 6,
        },
    )
    everything = set(buildcontext.Context(root).sizes)
    assert _sent_files(root, []) == everything
    assert _sent_files(root, ["Dockerfile", ".devcontainer/Dockerfile", ".dockerignore"]) == {
        ".devcontainer/Dockerfile.dockerignore",
        "src/a.py",
    }
    assert _sent_files(root, [".*"]) == {"Dockerfile", "src/a.py"}
    assert _sent_files(root, ["*", "!.dockerignore"]) == {".dockerignore"}


def test_measures_count_files_and_symlinks_once_per_walk(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"a.txt": 100, "dir/b.bin": 5000, "dir/c.log": 7})
    (root / "link").symlink_to("dir")  # a symlink to a folder is sent as a symlink
    context = buildcontext.Context(root)
    assert context.total == (4, 5107 + len("dir"))
    sent = context.send(["*.log", "dir/*.log"])
    assert (sent.files, sent.bytes) == (3, 5100 + len("dir"))
    assert sent.paths == {"a.txt", "dir", "dir/b.bin", "link"}
    assert sent.regular_files() == [root / "a.txt", root / "dir" / "b.bin"]


def test_sent_reads_the_ignore_file_that_applies(tmp_path: Path) -> None:
    root = _tree(tmp_path, {".devcontainer/Dockerfile": 12, "big.log": 5000, "a.py": 6})
    (root / ".dockerignore").write_text("*.log\n")
    dockerfile = root / ".devcontainer" / "Dockerfile"
    with_ignore = buildcontext.sent(dockerfile, root)
    assert "big.log" not in with_ignore.paths
    (root / ".devcontainer" / "Dockerfile.dockerignore").write_text("")  # ignore nothing
    without = buildcontext.sent(dockerfile, root)
    assert without.bytes - with_ignore.bytes == 5000  # big.log (the empty file adds 0)


# ---------------------------------------------------------------- against BuildKit

#: Ignore files, each built with the Dockerfile at the root and in .devcontainer/.
IGNORES = {
    "plain": "src/blob.bin\n",
    "build-files-ignored": "src/blob.bin\n.devcontainer/Dockerfile\nDockerfile\n.dockerignore\n",
    "all-but-src": "*\n!src\n",
    # Docker's own rules: globs, ** and ! re-includes, trailing slashes, leading ./
    "mixed": (
        "**/*.log\n!keep.log\nnode_modules\nbuild/\n./secrets\ndocs/**/*.tmp\n*.md\n!README.md\n"
    ),
}
TREE: dict[str, int | str] = {
    "src/blob.bin": 100_000,
    "src/main.py": 300,
    "src/debug.log": 40,
    "src/node_modules/x.js": 7_000,
    "node_modules/left-pad/index.js": 8_000,
    ".devcontainer/pad.bin": 50_000,
    "README.md": 12,
    "NOTES.md": 9_000,
    "keep.log": 33,
    "app.log": 3_000,
    "build/out.bin": 20_000,
    "secrets/key.txt": 17,
    "docs/a/b/draft.tmp": 21,
    "docs/a/page.txt": 400,
    "docs/guide.md": 55,
}


@pytest.mark.docker
@pytest.mark.parametrize("dockerfile", ["Dockerfile", ".devcontainer/Dockerfile"])
@pytest.mark.parametrize("ignore", sorted(IGNORES))
def test_what_devkit_says_is_sent_is_what_buildkit_sends(
    docker_client: object, buildkit_docker: str, tmp_path: Path, ignore: str, dockerfile: str
) -> None:
    # A fresh folder per build: BuildKit only sends what changed since the last build from
    # the same path, and the bytes must be a first build's.
    root = _tree(tmp_path / "ctx", TREE)
    (root / ".dockerignore").write_text(IGNORES[ignore])
    for name, size in (("Dockerfile", 30_000), (".devcontainer/Dockerfile", 20_000)):
        # FROM scratch + COPY . /: the image is exactly the context; exported to a folder.
        (root / name).write_text(f"FROM scratch\nCOPY . /\n# {'y' * size}\n")
    predicted = buildcontext.sent(root / dockerfile, root)

    out = tmp_path / "out"
    done = subprocess.run(
        [
            buildkit_docker,
            "build",
            "--progress=plain",
            "-f",
            str(root / dockerfile),
            "-o",
            f"type=local,dest={out}",
            str(root),
        ],
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    arrived = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert arrived == {p.relative_to(root).as_posix() for p in predicted.regular_files()}
    # BuildKit's count adds a few dozen bytes of metadata per entry (its units are 1000-based,
    # printed with two decimals).
    reported = parse_progress(done.stderr).context_bytes
    assert predicted.bytes <= reported + 5
    assert reported <= predicted.bytes + 100 + 100 * len(predicted.paths)


def test_read_ignore_skips_a_byte_order_mark(tmp_path: Path) -> None:
    """buildx 0.13 (Docker 26) excludes big.bin with "\\ufeffbig.bin" as the first line."""
    ignore = tmp_path / ".dockerignore"
    ignore.write_bytes(b"\xef\xbb\xbfbig.bin\r\n# comment\r\n.git\r\n")
    assert buildcontext.read_ignore(ignore) == ["big.bin", ".git"]
