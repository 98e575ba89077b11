"""The import directions devkit's layout keeps (docs/architecture.md, "The nevers").

Each rule reads the source with :mod:`ast`, so it holds without importing anything. A rule
about a package that does not exist would pass vacuously, so every rule also asserts that the
modules it speaks of are there.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "devkit"

#: Terminal libraries: only devkit/cli/ may use them (N1).
TERMINAL = ("argparse", "rich", "questionary", "prompt_toolkit", "devkit.cli")
#: docker-py internals devkit relies on; all behind one documented door (N8).
DOCKER_PRIVATE = {
    "_get",
    "_post",
    "_put",
    "_delete",
    "_url",
    "_result",
    "_raise_for_status",
    "_stream_helper",
    "_get_raw_response_socket",
    "_read_from_socket",
    "_multiplexed_buffer_helper",
}


@dataclass(frozen=True)
class Module:
    """One source file of devkit: its dotted name, path relative to devkit/, and syntax tree."""

    name: str
    rel: str
    tree: ast.Module

    def imports(self) -> Iterator[tuple[str, int]]:
        """Every imported module (absolute dotted name) with its line, relative ones resolved."""
        package = self.name if self.rel.endswith("__init__.py") else self.name.rpartition(".")[0]
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, node.lineno
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                yield base, node.lineno
                # `from devkit import engine` imports devkit.engine.
                for alias in node.names:
                    yield f"{base}.{alias.name}", node.lineno

    def strings(self) -> Iterator[tuple[str, int]]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value, node.lineno


def _load() -> dict[str, Module]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        dotted = "devkit." + rel[: -len(".py")].replace("/", ".")
        dotted = dotted.removesuffix(".__init__")
        modules[rel] = Module(dotted, rel, ast.parse(path.read_text(encoding="utf-8"), rel))
    return modules


MODULES = _load()


def _under(prefix: str) -> list[Module]:
    found = [m for rel, m in MODULES.items() if rel == prefix or rel.startswith(prefix)]
    assert found, f"no module under devkit/{prefix}: the rule speaks of nothing"
    return found


def _hits(module: Module, names: tuple[str, ...]) -> list[str]:
    return [
        f"{module.rel}:{line} imports {name}"
        for name, line in module.imports()
        if any(name == n or name.startswith(n + ".") for n in names)
    ]


def test_n1_only_cli_talks_to_the_terminal() -> None:
    problems = []
    for rel, module in MODULES.items():
        if rel.startswith("cli/"):
            continue
        allowed = ("devkit.cli",) if rel == "__main__.py" else ()
        problems += [
            h for h in _hits(module, TERMINAL) if not any(f"imports {a}" in h for a in allowed)
        ]
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                name = f"{func.value.id}.{func.attr}"
            # __main__ hands main()'s exit code to the interpreter: the one exit outside cli/.
            if name in {"print", "input", "sys.exit", "exit", "breakpoint"} and not (
                rel == "__main__.py" and name == "sys.exit"
            ):
                problems.append(f"{rel}:{node.lineno} calls {name}()")
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "stdin"
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            ):
                problems.append(f"{rel}:{node.lineno} reads sys.stdin")
    assert not problems, "\n".join(problems)


def test_n2_the_backup_format_knows_no_docker() -> None:
    forbidden = ("docker", "requests", "urllib3", "devkit.engine", "devkit.labels")
    problems = []
    for module in _under("volumes/archive/"):
        problems += _hits(module, forbidden)
        problems += [
            f"{module.rel}:{line} imports {name}"
            for name, line in module.imports()
            if name.startswith("devkit.volumes") and not name.startswith("devkit.volumes.archive")
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "rel",
    [
        "dockerfile.py",
        "bench/progress.py",
        "doctor/parse.py",
        "doctor/shell.py",
        "doctor/managers.py",
        "doctor/facts.py",
    ],
)
def test_n3_pure_text_modules_run_nothing(rel: str) -> None:
    (module,) = _under(rel)
    hits = _hits(module, ("subprocess", "docker", "devkit.engine", "devkit.buildkit"))
    assert not hits, "\n".join(hits)


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("doctor/", ("docker", "devkit.engine", "devkit.volumes", "devkit.bench", "devkit.update")),
        ("update/", ("docker", "devkit.volumes", "devkit.engine")),
        ("bench/", ("devkit.doctor",)),
    ],
    ids=["n4-doctor", "n5-update", "n6-bench"],
)
def test_n4_n5_n6_package_directions(package: str, forbidden: tuple[str, ...]) -> None:
    problems = [h for m in _under(package) for h in _hits(m, forbidden)]
    assert not problems, "\n".join(problems)


def test_n7_rule_families_stand_alone() -> None:
    """A family imports only the doctor's shared model and readers, never the auditor, the
    registry or another family; only the registry (and the package's re-exports) names them."""
    allowed = tuple(
        f"devkit.doctor.{n}" for n in ("model", "facts", "managers", "shell", "project", "parse")
    )
    families = [m for m in _under("doctor/rules/") if not m.rel.endswith("__init__.py")]
    family_names = tuple(m.name for m in families)
    problems = []
    for module in families:
        problems += [
            f"{module.rel}:{line} imports {name}"
            for name, line in module.imports()
            if name.startswith("devkit.doctor")
            and not any(name == a or name.startswith(a + ".") for a in allowed)
        ]
    for module in _under("doctor/"):
        if module.rel.startswith("doctor/rules/") or module.rel == "doctor/__init__.py":
            continue
        problems += _hits(module, family_names)
    assert not problems, "\n".join(problems)


def test_n8_one_door_per_external_system() -> None:
    problems = []
    for rel, module in MODULES.items():
        if rel not in ("copier_api.py", "cli/new.py"):
            problems += _hits(module, ("copier", "plumbum"))
        if rel != "buildcontext.py":
            problems += [
                f"{rel}:{node.lineno} uses exclude_paths"
                for node in ast.walk(module.tree)
                if (isinstance(node, ast.Attribute) and node.attr == "exclude_paths")
                or (isinstance(node, ast.Name) and node.id == "exclude_paths")
                or (
                    isinstance(node, ast.ImportFrom)
                    and any(a.name == "exclude_paths" for a in node.names)
                )
            ]
        if rel != "volumes/transport.py":
            problems += [
                f"{rel}:{node.lineno} uses docker-py's private .{node.attr}"
                for node in ast.walk(module.tree)
                if isinstance(node, ast.Attribute) and node.attr in DOCKER_PRIVATE
            ]
        if rel != "labels.py":
            problems += [
                f"{rel}:{line} spells a dev.devkit. label"
                for text, line in module.strings()
                if "dev.devkit." in text
            ]
        if rel != "git.py":
            problems += [
                f"{rel}:{node.lineno} runs git itself"
                for node in ast.walk(module.tree)
                if isinstance(node, (ast.List, ast.Tuple))
                and node.elts
                and isinstance(node.elts[0], ast.Constant)
                and node.elts[0].value == "git"
            ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("rel", ["errors.py", "labels.py", "units.py", "fsutil.py", "resources.py"])
def test_n9_leaves_stand_on_errors_only(rel: str) -> None:
    (module,) = _under(rel)
    problems = [
        f"{rel}:{line} imports {name}"
        for name, line in module.imports()
        if name.startswith("devkit")
        and name not in ("devkit", "devkit.errors")
        and not name.startswith("devkit.errors.")
    ]
    assert not problems, "\n".join(problems)


def test_every_package_says_its_concept() -> None:
    missing = [
        rel
        for rel, module in MODULES.items()
        if rel.endswith("__init__.py") and not ast.get_docstring(module.tree)
    ]
    assert not missing, f"packages without a docstring: {missing}"


def test_module_sizes_are_reported() -> None:
    """Not a gate (the layout aims at ~400 lines a module): big modules are named in a warning."""
    sizes = {rel: len((PACKAGE / rel).read_text(encoding="utf-8").splitlines()) for rel in MODULES}
    big = sorted(((n, rel) for rel, n in sizes.items() if n > 400), reverse=True)
    if big:
        warnings.warn(
            "modules over ~400 lines: " + ", ".join(f"{rel} ({n})" for n, rel in big),
            stacklevel=1,
        )
    assert sizes
