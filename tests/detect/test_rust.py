"""The Rust stack (devkit/detect/rust.py)."""

from __future__ import annotations

from pathlib import Path

from .detect_helpers import detected, write


def test_toolchain_file_msrv_and_workspace(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\nexclude = ["crates/old"]\n\n'
            '[workspace.package]\nrust-version = "1.80"\n',
            "Cargo.lock": "",
            "rust-toolchain.toml": '[toolchain]\nchannel = "1.85.0"\ncomponents = ["clippy"]\n',
            "crates/a/Cargo.toml": "",
            "crates/old/Cargo.toml": "",
        },
    )
    stack = detected(tmp_path).stacks["rust"]
    assert stack.version is not None
    assert (stack.version.value, str(stack.version.source)) == ("1.85.0", "rust-toolchain.toml:1")
    assert [(c.spec, c.kind) for c in stack.version.constraints] == [
        ("1.85.0", "pin"),
        ("1.80", "range"),
    ]
    assert stack.extra["workspace_members"] == ["crates/a"]
    assert stack.manifests == ["Cargo.toml", "Cargo.lock", "crates/a/Cargo.toml"]


def test_a_plain_rust_toolchain_file_and_a_minimum_alone(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"Cargo.toml": '[package]\nname = "x"\n', "rust-toolchain": "nightly-2025-06-01\n"},
    )
    version = detected(tmp_path).stacks["rust"].version
    assert version is not None and version.value == "nightly-2025-06-01"
    other = write(
        tmp_path / "msrv", {"Cargo.toml": '[package]\nname = "x"\nrust-version = "1.74"\n'}
    )
    version = detected(other).stacks["rust"].version
    assert version is not None and (version.value, str(version.source)) == (
        "stable",
        "Cargo.toml:3 (rust-version)",
    )
