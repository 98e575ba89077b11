"""The .NET stack (devkit/detect/dotnet.py)."""

from __future__ import annotations

from pathlib import Path

from .detect_helpers import detected, write


def test_global_json_pin_and_target_frameworks(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "global.json": '{"sdk": {"version": "8.0.404", "rollForward": "latestFeature"}}',
            "App.sln": "",
            "src/App/App.csproj": "<Project><PropertyGroup>\n"
            "<TargetFrameworks>net6.0;net8.0</TargetFrameworks>\n</PropertyGroup></Project>\n",
        },
    )
    stack = detected(tmp_path).stacks["dotnet"]
    assert stack.version is not None
    assert (stack.version.value, str(stack.version.source)) == (
        "8.0.404",
        "global.json:1 (sdk.version)",
    )
    assert [(c.spec, str(c.source)) for c in stack.version.constraints] == [
        ("8.0.404", "global.json:1 (sdk.version)"),
        ("8.0", "src/App/App.csproj:2 (net8.0)"),
    ]
    assert stack.extra["roll_forward"] == "latestFeature"
    assert stack.manifests == ["global.json", "App.sln", "src/App/App.csproj"]


def test_target_framework_alone_gives_the_newest_lts_sdk(tmp_path: Path) -> None:
    write(tmp_path, {"Api.csproj": "<TargetFramework>net8.0</TargetFramework>"})
    version = detected(tmp_path).stacks["dotnet"].version
    assert version is not None and version.value == "10.0"
