"""From a detection to ``devkit new``'s answers, and the plan for an existing dev container.

:func:`adopt` maps what was detected onto the answers the template asks (only the keys the
answers schema has *at run time*, each value checked against the schema: a detected value
the schema refuses is left out and said so), remembers the file each answer came from (the
wizard's "(detected from FILE)"), and sorts an existing dev container's settings into what
devkit replaces, what it carries over as answers, and what it cannot express.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from devkit.detect.model import Detection, Setting

#: The compiler and headers a Python package without a usable wheel needs.
COMPILER_PACKAGES = ["build-essential", "python3-dev"]

#: Settings devkit's own files take over, and by what.
_REPLACED = {
    "image": "devkit's Dockerfile (base_image answer)",
    "build": "devkit's Dockerfile and compose.yaml",
    "dockerFile": "devkit's Dockerfile",
    "context": "devkit's compose.yaml (build context: the repository)",
    "dockerComposeFile": "devkit's compose.yaml",
    "service": "devkit's compose service 'dev'",
    "runServices": "devkit's compose.yaml",
    "workspaceFolder": "devkit's /workspaces/<project_name>",
    "workspaceMount": "devkit's compose.yaml",
    "remoteUser": "devkit's non-root user (username answer)",
    "containerUser": "devkit's non-root user (username answer)",
    "updateRemoteUserUID": "devkit's uid/gid answers",
    "overrideCommand": "devkit's compose.yaml",
    "shutdownAction": "devkit's compose.yaml",
}
#: Settings whose answer is not named after them (``forwardPorts`` → ``forward_ports`` is).
_ANSWER_NAMES = {
    "customizations.vscode.extensions": "extensions",
    "extensions": "extensions",
    "customizations.vscode.settings": "vscode_settings",
    "settings": "vscode_settings",
}


@dataclass(frozen=True)
class PlanItem:
    """One setting of the old configuration and what becomes of it."""

    key: str
    value: Any
    source: str
    outcome: str

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "from": self.source, "outcome": self.outcome}


@dataclass
class Plan:
    """What ``devkit new`` does to an existing dev container (nothing happens before
    ``--force``). ``files`` move to a backup folder; ``keep`` are scripts of carried-over
    commands copied back into the new ``.devcontainer/``."""

    files: list[str]
    replaced: list[PlanItem] = field(default_factory=list)
    carried_over: list[PlanItem] = field(default_factory=list)
    cannot_express: list[PlanItem] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    rendered_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "rendered_by_devkit": self.rendered_by,
            "replaced": [i.to_dict() for i in self.replaced],
            "carried_over": [i.to_dict() for i in self.carried_over],
            "cannot_express": [i.to_dict() for i in self.cannot_express],
            "keep": self.keep,
        }


@dataclass
class Adoption:
    """Answers from detection (a layer of ``devkit new``'s answers) and where each came from."""

    answers: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    unused: dict[str, str] = field(default_factory=dict)
    plan: Plan | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "answers": {
                k: {"value": v, "from": self.sources.get(k)} for k, v in self.answers.items()
            },
            "not_used": self.unused,
            "plan": self.plan.to_dict() if self.plan else None,
        }


def adopt(
    detection: Detection,
    properties: Mapping[str, Mapping[str, Any]] | None = None,
    problem: Callable[[str, Any], str | None] | None = None,
) -> Adoption:
    """The answers ``detection`` supports, limited to the answers schema's ``properties``.

    ``properties``/``problem`` default to the installed schema's (:mod:`devkit.answers`);
    tests pass others to check a schema with more (or fewer) answers.
    """
    if properties is None or problem is None:
        from devkit import answers as ans

        properties = properties if properties is not None else ans.properties()
        problem = problem or ans.problem
    result = Adoption()

    def offer(key: str, value: Any, source: str, *, note: bool = True) -> bool:
        """Take ``value`` as answer ``key`` if the schema has it and accepts it; ``note``
        records why not (the plan says it itself for an old dev container's settings)."""
        if value is None or value == [] or key in result.answers:
            return False
        wrong = "not an answer of this template" if key not in properties else problem(key, value)
        if wrong and isinstance(value, list) and key in properties:
            # One odd entry (a file name the schema refuses) must not lose the whole list.
            good = [item for item in value if problem(key, [item]) is None]
            left = [item for item in value if item not in good]
            if good and problem(key, good) is None:
                if note:
                    result.unused[key] = f"{left!r} from {source}: {problem(key, left)}"
                value, wrong = good, None
        if wrong:
            if note:
                result.unused[key] = f"{value!r} from {source}: {wrong}"
            return False
        result.answers[key] = value
        result.sources[key] = source
        return True

    _stack_answers(detection, offer, properties)
    if detection.devcontainer is not None:
        result.plan = _plan(detection, properties, problem, offer)
    return result


def _stack_answers(
    detection: Detection, offer: Callable[..., bool], properties: Mapping[str, Any]
) -> None:
    stacks = detection.stacks
    if stacks:
        evidence = ", ".join(s.evidence[0] for s in stacks.values() if s.evidence)
        offer("stacks", list(stacks), evidence)
    for name, stack in stacks.items():
        if stack.version and stack.version.value:
            offer(f"{name}_version", stack.version.value, str(stack.version.source))
        if stack.manifests:
            # A template without a manifests answer for the stack copies its fixed files
            # (go.mod, Cargo.toml...): nothing was lost, so nothing to say.
            offer(
                f"{name}_manifests",
                stack.manifests,
                ", ".join(stack.manifests[:3]),
                note=f"{name}_manifests" in properties,
            )
    # One apt_packages answer from every reason for one (an answer is offered once):
    # (packages, the file that asks for them).
    apt: list[tuple[list[str], str]] = []
    python = stacks.get("python")
    if python and python.manager:
        manager = python.manager.value
        offer("python_package_manager", manager, str(python.manager.source))
        if python.manager_version:
            mv = python.manager_version
            offer(f"{manager}_version", mv.value, str(mv.source))
        for key, extra in (("python_extras", "extras"), ("python_groups", "groups")):
            fact = python.extra.get(extra)
            if fact is not None:
                offer(key, fact.value, str(fact.source))
        compiler = python.extra.get("needs_compiler")
        if compiler is not None and compiler.value:
            names = ", ".join(compiler.value)
            apt.append((COMPILER_PACKAGES, f"{compiler.source.file} ({names}: no usable wheel)"))
    node = stacks.get("node")
    if node and node.manager:
        offer("node_package_manager", node.manager.value, str(node.manager.source))
        if node.manager_version and node.manager.value in ("pnpm", "yarn"):
            mv = node.manager_version
            offer(f"{node.manager.value}_version", mv.value, str(mv.source))
    java = stacks.get("java")
    if java and java.manager:
        offer("java_build_tool", java.manager.value, str(java.manager.source))
    if detection.tools is not None:
        apt.append((detection.tools.value, str(detection.tools.source)))
    if apt:
        packages = list(dict.fromkeys(p for names, _ in apt for p in names))
        offer("apt_packages", packages, "; ".join(source for _, source in apt))


def _plan(
    detection: Detection,
    properties: Mapping[str, Mapping[str, Any]],
    problem: Callable[[str, Any], str | None],
    offer: Callable[..., bool],
) -> Plan:
    existing = detection.devcontainer
    assert existing is not None
    plan = Plan(files=list(existing.files), rendered_by=existing.rendered_by)
    primary = existing.configs[0] if existing.configs else None
    for config in existing.configs[1:]:
        plan.cannot_express.append(
            PlanItem(
                config,
                None,
                config,
                "devkit renders one configuration; this one moves to the backup",
            )
        )
    for setting in existing.settings:
        if setting.source.file != primary:
            continue
        source = str(setting.source)
        if setting.key in _REPLACED:
            plan.replaced.append(
                PlanItem(setting.key, setting.value, source, _REPLACED[setting.key])
            )
            continue
        answer = _ANSWER_NAMES.get(setting.key) or _snake(setting.key)
        value, left = _answer_value(answer, setting)
        if value is not None and offer(answer, value, source, note=False):
            plan.carried_over.append(PlanItem(setting.key, value, source, f"answer {answer}"))
            plan.keep += [s for s in setting.scripts if s.startswith(".devcontainer/")]
            if left:
                plan.cannot_express.append(
                    PlanItem(setting.key, left, source, "not expressible as an answer")
                )
            continue
        if answer not in properties:
            why = f"no answer for it in this template (would be {answer})"
        else:
            why = problem(answer, value) or "already answered by another setting"
        moved = [s for s in setting.scripts if s.startswith(".devcontainer/")]
        left = [s for s in setting.scripts if s not in moved]
        if moved:
            why += f"; runs {', '.join(moved)} (moved to the backup with the rest)"
        if left:
            why += f"; runs {', '.join(left)} (left where it is)"
        plan.cannot_express.append(PlanItem(setting.key, setting.value, source, why))
    plan.keep = list(dict.fromkeys(plan.keep))
    return plan


def _answer_value(answer: str, setting: Setting) -> tuple[Any, Any]:
    """The answer's value for a setting, and what of it cannot be expressed."""
    value = setting.value
    if answer == "forward_ports" and isinstance(value, list):
        ports = [
            int(v) for v in value if isinstance(v, int) or (isinstance(v, str) and v.isdigit())
        ]
        left = [
            v for v in value if not (isinstance(v, int) or (isinstance(v, str) and v.isdigit()))
        ]
        return (ports or None), (left or None)
    if answer == "extensions" and isinstance(value, list):
        ok = [v for v in value if isinstance(v, str) and re.fullmatch(r"[\w-]+\.[\w.-]+", v)]
        left = [v for v in value if v not in ok]
        return (ok or None), (left or None)
    return value, None


def _snake(key: str) -> str:
    """``postCreateCommand`` → ``post_create_command``; dots become underscores."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key.replace(".", "_")).lower()
