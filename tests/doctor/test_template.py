"""A project rendered by `devkit new` has no doctor finding above info.

The bundled Copier template is rendered for several stack mixes (the way `devkit new` does,
with `dockerfile_syntax` off as everywhere offline) and audited with BuildKit faked as
available: this checks the template, not the machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import devkit.resources
from devkit import copier_api, doctor

MIXES: list[dict[str, Any]] = [
    {"stacks": ["python"]},
    {"stacks": ["node"]},  # npm, the default node manager
    {"stacks": ["python", "node"], "python_package_manager": "uv", "node_package_manager": "pnpm"},
    {
        "stacks": ["python", "node", "go"],
        "python_package_manager": "poetry",
        "node_package_manager": "yarn",
    },
    {"stacks": ["rust", "dotnet"], "username": "alice", "uid": 1234, "gid": 1234},
    {"stacks": ["java"], "java_build_tool": "maven", "apt_packages": ["jq"]},
    {
        "stacks": ["python", "node", "go", "rust", "dotnet", "java"],
        "java_build_tool": "gradle",
        "base_image": "mcr.microsoft.com/devcontainers/base:bookworm",
    },
    # With the `# syntax=` line (the default outside tests) only DK013, an info, may appear.
    {"stacks": ["python"], "dockerfile_syntax": True},
]


def _ok() -> doctor.BuildKitStatus:
    return doctor.BuildKitStatus(True, True, "fake")


@pytest.mark.parametrize(
    "extra",
    MIXES,
    ids=lambda m: "-".join(m["stacks"]) + ("-syntax" if m.get("dockerfile_syntax") else ""),
)
def test_rendered_project_has_no_finding_above_info(extra: dict[str, Any], tmp_path: Path) -> None:
    template = devkit.resources.template_dir()
    assert (template / "copier.yml").is_file(), f"the bundled template is missing from {template}"
    dst = tmp_path / "proj"
    data = {"project_name": "doctor-check", "dockerfile_syntax": False, **extra}
    ids = "-".join(extra["stacks"]) + ("-syntax" if extra.get("dockerfile_syntax") else "")
    copier_api.copy(str(template), dst, data=data, vcs_ref=None, trusted=False, shown="bundled")
    # A realistic working tree: history and a local secret the .dockerignore must keep out.
    (dst / ".git" / "objects").mkdir(parents=True)
    (dst / ".git" / "objects" / "pack").write_bytes(b"\0" * 10_000)
    (dst / ".env").write_text("API_TOKEN=local\n")

    report = doctor.audit(dst, buildkit=_ok)

    above_info = [f for f in report.findings if f.severity != doctor.INFO]
    infos = sorted({f.rule for f in report.findings} - {f.rule for f in above_info})
    assert infos == (["DK013"] if extra.get("dockerfile_syntax") else []), ids
    assert above_info == [], "\n".join(f"{f.rule} {f.location}: {f.message}" for f in above_info)
    # The audit really looked at the rendered files.
    assert ".devcontainer/Dockerfile" in report.files
    assert ".devcontainer/compose.yaml" in report.files
    assert ".devcontainer/devcontainer.json" in report.files
    (ctx,) = report.contexts
    assert ctx.dockerignore == ".dockerignore"
    assert ctx.bytes_total - ctx.bytes_sent >= 10_000  # .git is not sent


def test_devkit_new_defaults_has_no_finding_above_info(tmp_path: Path) -> None:
    """Exactly what a user runs: `devkit new DIR --defaults` (the `# syntax=` line included),
    then `devkit doctor DIR`; only DK013 (info) may appear, and the exit status is 0."""
    from devkit.cli import main

    template = devkit.resources.template_dir()
    assert (template / "copier.yml").is_file(), f"the bundled template is missing from {template}"
    dst = tmp_path / "my-service"
    assert main(["new", str(dst), "--defaults"]) == 0
    report = doctor.audit(dst, buildkit=_ok)
    assert {(f.rule, f.severity) for f in report.findings} <= {("DK013", doctor.INFO)}
    assert ".devcontainer/Dockerfile" in report.files
    assert main(["doctor", str(dst), "--no-buildkit-check", "--json"]) == 0
