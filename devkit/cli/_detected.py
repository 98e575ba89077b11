"""Printing what detection found and the plan for an existing dev container (``devkit new``,
``devkit detect``). Messages go to stderr: stdout stays for ``--json``."""

from __future__ import annotations

import json
from typing import Any

from devkit.cli._common import UI
from devkit.detect import Adoption, Detection, Plan
from devkit.render import BACKUP_PREFIX


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, (dict, tuple)):
        return json.dumps(value)
    return str(value)


def _clip(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_detection(ui: UI, detection: Detection, adoption: Adoption, *, details: bool) -> None:
    """The answers taken from the repository, each with its file; conflicts and warnings.

    ``details`` adds what each stack reads (manifests, extras, groups, workspace members,
    packages built from source), for ``devkit detect``.
    """
    say = ui.info
    if not detection.stacks and not adoption.answers:
        say(
            f"Detected nothing to install in {detection.root} (no dependency manifest at its root)."
        )
    else:
        say(f"Detected in {detection.root} (--data KEY=VALUE overrides any of these):")
        width = max((len(f"{k} = {_show(v)}") for k, v in adoption.answers.items()), default=0)
        width = min(width, 48)
        for key, value in adoption.answers.items():
            left = _clip(f"{key} = {_show(value)}", 48)
            say(f"  {left:<{width}}  from {adoption.sources.get(key)}")
    if details:
        for name, stack in detection.stacks.items():
            _stack_details(ui, name, stack.to_dict())
    missing = [k for k, why in adoption.unused.items() if "not an answer of this template" in why]
    if missing:
        say(f"  detected, but this template has no answer for: {', '.join(missing)}")
    for key, why in adoption.unused.items():
        if key not in missing:
            ui.warn(f"detected {key} not used: {why}")
    for conflict in detection.conflicts:
        ui.warn(f"conflict: {conflict.message}")
    for warning in detection.warnings:
        ui.warn(warning)


def _stack_details(ui: UI, name: str, data: dict[str, Any]) -> None:
    lines = [f"manifests: {', '.join(data['manifests']) or 'none'}"]
    version = data.get("version")
    if version and version.get("value"):
        lines.append(f"version {version['value']}: {version['reason']}, from {version['from']}")
    for key in ("extras", "groups", "default_groups"):
        fact = data.get(key)
        if fact:
            lines.append(f"{key.replace('_', ' ')}: {_show(fact['value'])}, from {fact['from']}")
    members = data.get("workspace_members")
    if members:
        more = ", …" if len(members) > 4 else ""
        lines.append(f"workspace members: {len(members)} ({', '.join(members[:4])}{more})")
    built = (data.get("builds_from_source") or {}).get("value") or []
    if built:
        shown = ", ".join(f"{b['name']} ({b['why']})" for b in built)
        lines.append(f"built from source: {shown}")
    ui.info(f"  {name}:")
    for line in lines:
        ui.info(f"    {line}")


def print_plan(ui: UI, plan: Plan, *, force: bool) -> None:
    """What ``devkit new`` does to an existing dev container, before anything changes."""
    say = ui.info
    say(f"This repository already has a dev container ({', '.join(plan.files)}).")
    if plan.rendered_by:
        say(
            f"  devkit rendered it (template {plan.rendered_by}): `devkit update` merges a "
            "newer template and keeps your edits."
        )
    for title, items in (
        ("replaced by devkit", plan.replaced),
        ("carried over", plan.carried_over),
        ("cannot be expressed (left out of the new configuration)", plan.cannot_express),
    ):
        if items:
            say(f"  {title}:")
            for item in items:
                value = "" if item.value is None else f" {_clip(_show(item.value), 50)}"
                say(f"    {item.key}{value} ({item.source}): {item.outcome}")
    if plan.keep:
        say(f"  scripts copied into the new .devcontainer/: {', '.join(plan.keep)}")
    if force:
        say(f"  --force: the old files move to {BACKUP_PREFIX}<time>/ (nothing is deleted).")
    else:
        say(f"  Nothing changes without --force; it moves the old files to {BACKUP_PREFIX}<time>/.")
