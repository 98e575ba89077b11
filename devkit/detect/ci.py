"""The toolchain versions a repository's CI tests with (GitHub Actions workflows).

CI is the tie-breaker among versions every manifest allows, and its newest entry the upper
bound (a project whose CI stops at Python 3.12 may not build on 3.13). Read from the
``setup-*`` actions' inputs in ``.github/workflows/*.yml``: literal versions, lists, and
``${{ matrix.KEY }}`` / ``${{ env.NAME }}`` references resolved within the workflow
(matrix ``include`` entries too). Anything computed at run time is skipped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from devkit.detect.model import CI, Constraint, Source
from devkit.detect.reader import Repo

#: Inputs that name a toolchain version, whichever action takes them (setup-python, a
#: repository's own composite action…).
_VERSION_INPUTS = {
    "python-version": "python",
    "node-version": "node",
    "go-version": "go",
    "java-version": "java",
    "dotnet-version": "dotnet",
}
#: action (without @ref) → {input: tool}, for inputs named only ``version`` and the like.
_ACTIONS: dict[str, dict[str, str]] = {
    "astral-sh/setup-uv": {"version": "uv"},
    "pnpm/action-setup": {"version": "pnpm"},
    "pnpm/setup": {"version": "pnpm", "runtime": "node"},
    "dtolnay/rust-toolchain": {"toolchain": "rust"},
    "actions-rs/toolchain": {"toolchain": "rust"},
    "snok/install-poetry": {"version": "poetry"},
    "abatilo/actions-poetry": {"poetry-version": "poetry"},
}

_EXPR = re.compile(r"^\$\{\{\s*(matrix|env)\.([A-Za-z0-9_-]+)\s*\}\}$")


def ci_versions(repo: Repo) -> dict[str, list[Constraint]]:
    """Per tool, every version a workflow sets up (each a :data:`CI` constraint)."""
    found: dict[str, list[Constraint]] = defaultdict(list)
    for rel in repo.glob(".github/workflows/*.yml") + repo.glob(".github/workflows/*.yaml"):
        workflow = repo.yaml(rel)
        if not isinstance(workflow, dict) or not isinstance(workflow.get("jobs"), dict):
            continue
        top_env = _mapping(workflow.get("env"))
        for job in workflow["jobs"].values():
            if not isinstance(job, dict):
                continue
            env = {**top_env, **_mapping(job.get("env"))}
            matrix = _mapping(_mapping(job.get("strategy")).get("matrix"))
            for tool, raw, key in _inputs(job):
                for value in _values(raw, matrix, env):
                    # The line that spells the value (a matrix list), else the input's own.
                    line = repo.line_of(
                        rel, rf"(?<![\w.]){re.escape(value)}(?![\w.])"
                    ) or repo.line_of(rel, rf"^\s*-?\s*{re.escape(key)}\s*:")
                    constraint = Constraint(tool, value, CI, Source(rel, line))
                    if constraint not in found[tool]:
                        found[tool].append(constraint)
    return dict(found)


def _inputs(job: Mapping[str, Any]) -> Iterator[tuple[str, Any, str]]:
    """(tool, raw value, input name) for every setup action step of a job."""
    for step in job.get("steps") or []:
        if not isinstance(step, dict) or not isinstance(step.get("uses"), str):
            continue
        action, _, ref = step["uses"].partition("@")
        action = action.strip()
        given = _mapping(step.get("with"))
        inputs = {**_VERSION_INPUTS, **_ACTIONS.get(action, {})}
        for name, tool in inputs.items():
            if name in given:
                raw = given[name]
                if name == "runtime":  # pnpm/setup: runtime: node@26
                    raw = str(raw).removeprefix("node@") if str(raw).startswith("node@") else None
                yield tool, raw, name
        # dtolnay/rust-toolchain@1.80 / @stable: the ref is the toolchain.
        if (
            action == "dtolnay/rust-toolchain"
            and "toolchain" not in given
            and re.fullmatch(r"\d+\.\d+(\.\d+)?|stable|beta|nightly", ref)
        ):
            yield "rust", ref, "uses"


def _values(raw: Any, matrix: Mapping[str, Any], env: Mapping[str, Any]) -> list[str]:
    """The literal versions behind one input value (a matrix key may hold several)."""
    if isinstance(raw, list):
        return [v for item in raw for v in _values(item, matrix, env)]
    if isinstance(raw, bool) or raw is None:
        return []
    if isinstance(raw, (int, float)):
        return [str(raw)]
    text = str(raw).strip()
    match = _EXPR.match(text)
    if match:
        kind, key = match.groups()
        if kind == "env":
            return _values(env.get(key), {}, {}) if key in env else []
        values = list(_list(matrix.get(key)))
        for entry in _list(matrix.get("include")):
            if isinstance(entry, dict) and key in entry:
                values.append(entry[key])
        return [v for item in values for v in _values(item, {}, {})]
    if "${{" in text:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
