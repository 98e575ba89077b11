"""The Go stack (devkit/detect/go.py)."""

from __future__ import annotations

from pathlib import Path

from .detect_helpers import detected, write


def test_go_mod_with_go_and_toolchain_lines() -> None:
    stack = detected("go-toolchain").stacks["go"]
    assert stack.version is not None
    assert (stack.version.value, stack.version.reason, str(stack.version.source)) == (
        "1.25.3",
        "pinned",
        "go.mod:5",
    )
    assert [(c.spec, c.kind) for c in stack.version.constraints] == [
        ("go1.25.3", "pin"),
        ("1.24.0", "range"),
    ]
    assert stack.manifests == ["go.mod", "go.sum"]


def test_a_go_line_alone_is_a_minimum(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module x\n\ngo 1.25.0\n"})
    stack = detected(tmp_path).stacks["go"]
    assert stack.version is not None
    assert (stack.version.value, stack.version.reason) == ("1.27", "newest release line that fits")
    write(tmp_path, {".go-version": "1.24.2\n"})
    found = detected(tmp_path)
    assert found.stacks["go"].version is not None
    assert found.stacks["go"].version.value == "1.24.2"
    assert "does not allow (1.25.0)" in found.conflicts[0].message


def test_go_work_and_its_modules(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "go.work": "go 1.24\n\nuse (\n\t./api\n\t./tools // helpers\n)\nuse ./cli\n",
            "api/go.mod": "module api\n\ngo 1.24\n",
            "api/go.sum": "",
            "tools/go.mod": "module tools\n",
            "cli/go.mod": "module cli\n",
        },
    )
    stack = detected(tmp_path).stacks["go"]
    assert stack.evidence == ["go.work"]
    assert stack.manifests == ["go.work", "api/go.mod", "api/go.sum", "tools/go.mod", "cli/go.mod"]
