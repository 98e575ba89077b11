"""Versions CI tests with (devkit/detect/ci.py)."""

from __future__ import annotations

from pathlib import Path

from devkit.detect.ci import ci_versions
from devkit.detect.reader import Repo

from .detect_helpers import fixture, write


def versions(root: Path) -> dict[str, list[tuple[str, str]]]:
    return {
        tool: [(c.spec, str(c.source)) for c in found]
        for tool, found in ci_versions(Repo(root)).items()
    }


def test_matrix_include_env_and_literals() -> None:
    found = versions(fixture("python-node-mix"))
    assert found["python"] == [
        ("3.11", ".github/workflows/python.yml:4"),  # env.LINT_PYTHON_VERSION
        ("3.10", ".github/workflows/python.yml:16"),
        ("3.12", ".github/workflows/python.yml:18"),  # from matrix.include
    ]
    assert found["node"] == [("22", ".github/workflows/python.yml:29")]
    assert found["uv"] == [("0.9.5", ".github/workflows/python.yml:23")]


def test_other_actions_and_inputs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".github/workflows/a.yaml": """
jobs:
  one:
    strategy:
      matrix:
        node_version: [22, 24]
        go: ${{ fromJSON(inputs.versions) }}
    steps:
      - uses: ./.github/actions/setup
        with:
          node-version: ${{ matrix.node_version }}
      - uses: pnpm/setup@v1
        with:
          version: 11
          runtime: node@26
      - uses: dtolnay/rust-toolchain@1.80
      - uses: actions/setup-go@v5
        with:
          go-version: ${{ matrix.go }}
      - uses: actions/setup-java@v4
        with:
          java-version: |
            17
            21
      - run: echo no action here
""",
            ".github/workflows/broken.yml": "jobs: [unclosed",
        },
    )
    repo = Repo(tmp_path)
    found = {tool: [c.spec for c in cs] for tool, cs in ci_versions(repo).items()}
    assert found == {
        "node": ["22", "24", "26"],
        "pnpm": ["11"],
        "rust": ["1.80"],
        "java": ["17", "21"],
    }
    assert repo.warnings == [
        ".github/workflows/broken.yml: not valid YAML (line 2, column 1); its settings are not used"
    ]
