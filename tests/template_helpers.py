"""Helpers shared by the template tests: render the bundled template, read what it made."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from devkit.resources import template_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
HADOLINT_CONFIG = REPO_ROOT / ".hadolint.yaml"
#: The answer keys of schemas/answers.schema.json and their sub-schemas, in the schema's order,
#: read straight from the file (not through devkit, whose reading the tests check).
ANSWER_PROPS: dict[str, dict[str, Any]] = json.loads(
    (REPO_ROOT / "schemas" / "answers.schema.json").read_text()
)["properties"]

#: A syntactically valid PEM certificate (what devkit checks of a ca_certificates file): the
#: body is base64 of a DER SEQUENCE header and padding, longer than one 64-column PEM line.
FAKE_CERT_BODY = base64.b64encode(b"\x30\x82\x01\x0a" + bytes(range(200))).decode()
FAKE_PEM = f"-----BEGIN CERTIFICATE-----\n{FAKE_CERT_BODY}\n-----END CERTIFICATE-----\n"

#: Every package manager's volume purpose and where its cache lives under the user's home.
CACHE_TARGETS = {
    "pip": ".cache/pip",
    "uv": ".cache/uv",
    "poetry": ".cache/pypoetry",
    "npm": ".npm",
    "pnpm": ".local/share/pnpm/store",
    "yarn": ".cache/yarn",
    "go": "go/pkg/mod",
    "cargo": ".cargo",
    "nuget": ".nuget/packages",
    "maven": ".m2/repository",
    "gradle": ".gradle",
}


def managers(data: dict[str, Any]) -> list[str]:
    """The package managers a set of answers chooses (one per stack)."""
    stacks = data.get("stacks", ["python"])
    out = []
    if "python" in stacks:
        out.append(data.get("python_package_manager", "pip"))
    if "node" in stacks:
        out.append(data.get("node_package_manager", "npm"))
    if "go" in stacks:
        out.append("go")
    if "rust" in stacks:
        out.append("cargo")
    if "dotnet" in stacks:
        out.append("nuget")
    if "java" in stacks:
        out.append(data.get("java_build_tool", "maven"))
    return out


def render_copier(dst: Path, data: dict[str, Any]) -> Path:
    """Render the bundled template with Copier's API, exactly as devkit does (no --trust)."""
    import copier

    copier.run_copy(
        str(template_dir()), str(dst), data=data, defaults=True, unsafe=False, quiet=True
    )
    return dst


def devkit_cmd() -> list[str]:
    """How to run devkit as a user does: the console script, else ``python -m devkit``."""
    exe = shutil.which("devkit")
    return [exe] if exe else [sys.executable, "-m", "devkit"]


def render_cli(dst: Path, data: dict[str, Any]) -> Path:
    """Render through ``devkit new DIR --defaults --data KEY=VALUE ...`` as a subprocess."""
    args = [*devkit_cmd(), "new", str(dst), "--defaults"]
    for key, value in data.items():
        if isinstance(value, list):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        args += ["--data", f"{key}={text}"]
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=os.environ)
    if result.returncode != 0:
        raise AssertionError(
            f"devkit new failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return dst


def load_compose(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / ".devcontainer" / "compose.yaml").read_text())
    return data


def load_devcontainer(project: Path) -> dict[str, Any]:
    # Plain json: the rendered file must not need a JSONC parser.
    data: dict[str, Any] = json.loads((project / ".devcontainer" / "devcontainer.json").read_text())
    return data


def volume_targets(project: Path) -> dict[str, str]:
    """{volume name: mount target} of the dev service's named volumes."""
    compose = load_compose(project)
    declared = compose.get("volumes") or {}
    out = {}
    for entry in compose["services"]["dev"].get("volumes", []):
        source, target = entry.split(":")[:2]
        if source in declared:
            out[declared[source]["name"]] = target
    return out
