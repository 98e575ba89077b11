"""Version files (devkit/detect/toolfiles.py)."""

from __future__ import annotations

from pathlib import Path

from devkit.detect.reader import Repo
from devkit.detect.toolfiles import version_pins

from .detect_helpers import write


def pins(root: Path) -> dict[str, list[tuple[str, str]]]:
    return {
        tool: [(c.spec, str(c.source)) for c in found]
        for tool, found in version_pins(Repo(root)).items()
    }


def test_single_tool_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".python-version": "# pyenv\n3.11.2\n3.10\n",
            ".nvmrc": "v22.9.0\n",
            ".node-version": "22\n",
            ".go-version": "1.25.1\n",
            ".java-version": "21\n",
            "runtime.txt": "python-3.11.4\n",
        },
    )
    assert pins(tmp_path) == {
        "python": [("3.11.2", ".python-version:2"), ("python-3.11.4", "runtime.txt:1")],
        "node": [("v22.9.0", ".nvmrc:1"), ("22", ".node-version:1")],
        "go": [("1.25.1", ".go-version:1")],
        "java": [("21", ".java-version:1")],
    }


def test_system_and_pypy_are_not_cpython_pins(tmp_path: Path) -> None:
    write(tmp_path, {".python-version": "pypy3.10-7.3.12\n"})
    assert pins(tmp_path) == {}
    write(tmp_path, {".python-version": "system\n"})
    assert pins(tmp_path) == {}


def test_tool_versions_and_sdkmanrc(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".tool-versions": "nodejs 20.11.1 18.19.0  # first wins\npython system\n"
            "golang 1.22.1\nuv 0.5.4\npnpm 9.1.0\nruby 3.3.0\njava temurin-21.0.2+13.0.LTS\n",
            ".sdkmanrc": "# sdkman\njava=17.0.10-tem\n",
        },
    )
    assert pins(tmp_path) == {
        "java": [("17.0.10-tem", ".sdkmanrc:2"), ("temurin-21.0.2+13.0.LTS", ".tool-versions:7")],
        "node": [("20.11.1", ".tool-versions:1")],
        "go": [("1.22.1", ".tool-versions:3")],
        "uv": [("0.5.4", ".tool-versions:4")],
        "pnpm": [("9.1.0", ".tool-versions:5")],
    }


def test_mise_toml(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "mise.toml": '[env]\nX = "1"\n\n[tools]\nnode = "22"\npython = ["3.12", "3.11"]\n'
            'go = { version = "1.24.2" }\nrust = "latest"\n"npm:pnpm" = "10.1.0"\n',
        },
    )
    assert pins(tmp_path) == {
        "node": [("22", "mise.toml:5")],
        "python": [("3.12", "mise.toml:6")],
        "go": [("1.24.2", "mise.toml:7")],
        "pnpm": [("10.1.0", "mise.toml:9")],
    }
