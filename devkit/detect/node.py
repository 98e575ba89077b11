"""The Node stack: package manager and its version, Node version, manifests, workspaces.

Which manager: ``packageManager`` in package.json (what corepack enforces) first, then the
lock file (``pnpm-lock.yaml``, ``yarn.lock``, ``package-lock.json``/``npm-shrinkwrap.json``),
else npm. The manager's version: ``packageManager``, ``.yarnrc.yml``'s ``yarnPath``, a
version file, CI's ``pnpm/action-setup``; a yarn 1 lock means yarn classic (1.22.22).
The Node version: version files and ``volta`` (pins), ``engines.node`` and
``devEngines.runtime`` (ranges), the locked packages' own ``engines.node`` (lock), CI.
"""

from __future__ import annotations

import re
from typing import Any

from devkit.detect import releases
from devkit.detect.context import Context
from devkit.detect.model import LOCK, PIN, RANGE, Conflict, Constraint, Fact, Source, Stack
from devkit.detect.reader import Repo, mapping

_PKG = "package.json"
_LOCKS = (
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
)
_PACKAGE_MANAGER = re.compile(r"^(npm|pnpm|yarn|bun)@(\d+(?:\.\d+){0,2}[^+\s]*)(\+\S+)?$")
_CREDENTIALS = re.compile(r"(_authToken|_auth|_password|\bpassword)\s*=", re.IGNORECASE)
_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "prepare")


def detect(ctx: Context) -> Stack | None:
    """The Node stack of the repository, or None without a root package.json."""
    repo, pins, ci, conflicts = ctx.repo, ctx.pins, ctx.ci, ctx.conflicts
    if not repo.is_file(_PKG):
        return None
    package = repo.json(_PKG)
    package = package if isinstance(package, dict) else {}
    locks = [(f, m) for f, m in _LOCKS if repo.is_file(f)]
    stack = Stack("node", evidence=[_PKG, *(f for f, _ in locks)])
    stack.manager, declared_version = _manager(repo, package, locks, conflicts)
    manager = stack.manager.value
    if manager == "bun":
        repo.warn("bun is not supported; the node stack uses npm instead")
        stack.manager = Fact("npm", stack.manager.source)
        manager = "npm"
    stack.manager_version = declared_version or _manager_version(repo, manager, pins, ci)
    stack.version = ctx.resolve("node", _version_constraints(repo, package, pins, ci))
    members = _workspace_members(repo, package, manager)
    stack.manifests = _manifests(repo, manager, locks, members, package)
    stack.extra["workspace_members"] = members
    scripts = mapping(package.get("scripts"))
    install = {k: scripts[k] for k in _INSTALL_SCRIPTS if isinstance(scripts.get(k), str)}
    if install:
        stack.extra["install_scripts"] = Fact(install, Source(_PKG, repo.key_line(_PKG, "scripts")))
    return stack


def _manager(
    repo: Repo, package: dict[str, Any], locks: list[tuple[str, str]], conflicts: list[Conflict]
) -> tuple[Fact[str], Fact[str] | None]:
    """The manager (and its version when ``packageManager`` pins it)."""
    declared = package.get("packageManager")
    lock_managers = sorted({m for _, m in locks})
    if isinstance(declared, str):
        match = _PACKAGE_MANAGER.match(declared.strip())
        source = Source(_PKG, repo.key_line(_PKG, "packageManager"), "packageManager")
        if match:
            name, version = match.group(1), match.group(2)
            others = [f for f, m in locks if m != name]
            if others:
                conflicts.append(
                    Conflict(
                        "node package manager",
                        f"{source} says {name}, but {', '.join(others)} belongs to another "
                        f"manager; using {name}",
                        (str(source), *others),
                    )
                )
            return Fact(name, source), Fact(version, source)
        repo.warn(f"{source}: {declared!r} is not NAME@VERSION; ignored")
    if len(lock_managers) > 1:
        chosen = next(m for _, m in locks)
        conflicts.append(
            Conflict(
                "node package manager",
                f"lock files of several managers: {', '.join(f for f, _ in locks)}; using {chosen}",
                tuple(f for f, _ in locks),
            )
        )
    if locks:
        return Fact(locks[0][1], Source(locks[0][0])), None
    return Fact("npm", Source(_PKG, detail="no lock file")), None


def _manager_version(
    repo: Repo, manager: str, pins: dict[str, list[Constraint]], ci: dict[str, list[Constraint]]
) -> Fact[str] | None:
    if manager == "yarn":
        rc = repo.yaml(".yarnrc.yml") if repo.is_file(".yarnrc.yml") else None
        path = rc.get("yarnPath") if isinstance(rc, dict) else None
        found = re.search(r"yarn-(\d+\.\d+\.\d+)\.c?js$", path) if isinstance(path, str) else None
        if found:
            return Fact(
                found.group(1), Source(".yarnrc.yml", repo.key_line(".yarnrc.yml", "yarnPath"))
            )
    for constraint in [*pins.get(manager, []), *ci.get(manager, [])]:
        if re.fullmatch(r"v?\d+(\.\d+){0,2}", constraint.spec.strip()):
            return Fact(constraint.spec.strip().removeprefix("v"), constraint.source)
    if manager == "yarn" and "yarn lockfile v1" in (repo.text("yarn.lock") or "")[:300]:
        return Fact(releases.YARN_CLASSIC, Source("yarn.lock", 2, "yarn lockfile v1"))
    return None


def _version_constraints(
    repo: Repo,
    package: dict[str, Any],
    pins: dict[str, list[Constraint]],
    ci: dict[str, list[Constraint]],
) -> list[Constraint]:
    found = list(pins.get("node", []))
    volta = package.get("volta")
    if isinstance(volta, dict) and isinstance(volta.get("node"), str):
        found.append(
            Constraint("node", volta["node"], PIN, Source(_PKG, repo.key_line(_PKG, "volta")))
        )
    engines = package.get("engines")
    if isinstance(engines, dict) and isinstance(engines.get("node"), str):
        line = repo.key_line(_PKG, "engines")
        found.append(Constraint("node", engines["node"], RANGE, Source(_PKG, line, "engines.node")))
    runtime = (
        package.get("devEngines", {}).get("runtime")
        if isinstance(package.get("devEngines"), dict)
        else None
    )
    for entry in runtime if isinstance(runtime, list) else [runtime]:
        if (
            isinstance(entry, dict)
            and entry.get("name") == "node"
            and isinstance(entry.get("version"), str)
        ):
            line = repo.key_line(_PKG, "devEngines")
            found.append(
                Constraint(
                    "node", entry["version"], RANGE, Source(_PKG, line, "devEngines.runtime")
                )
            )
    found += _lock_engines(repo)
    found += ci.get("node", [])
    return found


def _lock_engines(repo: Repo) -> list[Constraint]:
    """Each distinct ``engines.node`` of the locked packages, with the first package saying it."""
    seen: dict[str, Constraint] = {}
    lock = repo.json("package-lock.json") if repo.is_file("package-lock.json") else None
    packages = lock.get("packages") if isinstance(lock, dict) else None
    for key, entry in (packages or {}).items() if isinstance(packages, dict) else ():
        engines = entry.get("engines") if isinstance(entry, dict) else None
        spec = engines.get("node") if isinstance(engines, dict) else None
        if key and isinstance(spec, str) and spec not in seen:
            name = key.rsplit("node_modules/", 1)[-1]
            detail = f"{name}@{entry.get('version', '?')}"
            seen[spec] = Constraint("node", spec, LOCK, Source("package-lock.json", detail=detail))
    text = repo.text("pnpm-lock.yaml") if repo.is_file("pnpm-lock.yaml") else None
    current = None
    for number, line in enumerate((text or "").splitlines(), 1):
        key = re.match(r"^  ['\"]?/?([^\s'\"]+?)['\"]?:\s*$", line)
        if key:
            current = key.group(1)
            continue
        engines = re.match(r"^\s+engines:\s*\{.*?\bnode:\s*['\"]?([^'\"},]+)", line)
        if engines and current:
            spec = engines.group(1).strip()
            if spec not in seen:
                seen[spec] = Constraint(
                    "node", spec, LOCK, Source("pnpm-lock.yaml", number, current)
                )
    return list(seen.values())


def _workspace_members(repo: Repo, package: dict[str, Any], manager: str) -> list[str]:
    """Workspace member folders (each with a package.json), globs resolved, ``!`` excluded."""
    patterns: list[str] = []
    workspaces = package.get("workspaces")
    if isinstance(workspaces, dict):
        workspaces = workspaces.get("packages")
    if isinstance(workspaces, list):
        patterns += [p for p in workspaces if isinstance(p, str)]
    if manager == "pnpm" and repo.is_file("pnpm-workspace.yaml"):
        data = repo.yaml("pnpm-workspace.yaml")
        listed = data.get("packages") if isinstance(data, dict) else None
        patterns += [p for p in listed or [] if isinstance(p, str)]
    members: set[str] = set()
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        found = {p.removesuffix("/package.json") for p in repo.glob(f"{glob}/package.json")}
        members = members - found if negate else members | found
    members.discard(".")
    return sorted(members)


def _manifests(
    repo: Repo,
    manager: str,
    locks: list[tuple[str, str]],
    members: list[str],
    package: dict[str, Any],
) -> list[str]:
    """The files an install reads: package.json, the lock, the manager's settings and
    release, patches, and every workspace member's package.json."""
    found = [_PKG] + [f for f, m in locks if m == manager]
    if repo.is_file(".npmrc"):
        if _CREDENTIALS.search(repo.text(".npmrc") or ""):
            repo.warn(
                ".npmrc: holds credentials; not copied into the image (pass them as a secret)"
            )
        else:
            found.append(".npmrc")
    settings = {
        "pnpm": ["pnpm-workspace.yaml", ".pnpmfile.cjs", ".pnpmfile.mjs"],
        "yarn": [".yarnrc.yml", ".yarnrc"],
        "npm": [],
    }[manager]
    found += [f for f in settings if repo.is_file(f)]
    if manager == "yarn" and repo.is_file(".yarnrc.yml"):
        rc = repo.yaml(".yarnrc.yml")
        path = rc.get("yarnPath") if isinstance(rc, dict) else None
        if isinstance(path, str):
            if repo.is_file(path):
                found.append(path)
            else:
                repo.warn(f".yarnrc.yml: yarnPath {path} does not exist")
        found += repo.glob(".yarn/plugins/**/*") + repo.glob(".yarn/patches/**/*")
    if _uses_patches(repo, package):
        found += repo.glob("patches/**/*")
    found += [f"{m}/package.json" for m in members]
    return list(dict.fromkeys(found))


def _uses_patches(repo: Repo, package: dict[str, Any]) -> bool:
    """pnpm's ``patchedDependencies`` or patch-package read ``patches/`` during the install."""
    pnpm = mapping(package.get("pnpm"))
    workspace = repo.yaml("pnpm-workspace.yaml") if repo.is_file("pnpm-workspace.yaml") else None
    scripts = mapping(package.get("scripts"))
    return repo.is_dir("patches") and (
        "patchedDependencies" in pnpm
        or (isinstance(workspace, dict) and "patchedDependencies" in workspace)
        or any("patch-package" in str(v) for v in scripts.values())
    )
