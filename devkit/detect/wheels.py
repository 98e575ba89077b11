"""Locked Python packages that will be built from source in a Linux container.

uv.lock and poetry.lock list every file of every locked package. A package with a source
archive but no wheel this container can use is built while installing: when it ships binary
wheels for other platforms (pywatchman: macOS only) it has native code and needs a C
compiler and Python's headers (``build-essential``, ``python3-dev``); with no wheel at all
(htmlmin) it is usually pure Python and only needs its build backend.

Packages only ever installed on Windows or macOS (their markers say so) are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from devkit.detect.reader import Repo

#: Wheel platform tags by machine (``platform.machine()``), glibc only: the base is Debian.
ARCH_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}

_OTHER_OS = re.compile(r"sys_platform\s*==\s*['\"](win32|darwin|cygwin)|platform_system\s*==\s*"
                       r"['\"](Windows|Darwin)|os_name\s*==\s*['\"]nt")  # fmt: skip


@dataclass(frozen=True)
class FromSource:
    """One locked package without a usable wheel."""

    name: str
    version: str
    native: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "native": self.native, "why": self.why}


def from_source(
    repo: Repo, lock: str, *, arch: str, python: tuple[int, ...] | None
) -> list[FromSource]:
    """Packages of ``lock`` (uv.lock or poetry.lock) a Linux ``arch`` install builds from source.

    ``python`` is the interpreter's version when known (a wheel for other CPython versions only
    does not count); None judges by platform alone.
    """
    data = repo.toml(lock)
    if not data:
        return []
    arch = ARCH_ALIASES.get(arch, arch)
    packages = data.get("package")
    if not isinstance(packages, list):
        return []
    other_os_only = _other_os_only(packages) if lock == "uv.lock" else set()
    found = []
    for pkg in packages:
        if not isinstance(pkg, dict) or pkg.get("name") in other_os_only:
            continue
        if _OTHER_OS.search(str(pkg.get("markers", ""))) and "linux" not in str(pkg.get("markers")):
            continue
        files = _files(pkg)
        sdists = [f for f in files if not f.endswith(".whl")]
        wheels = [f for f in files if f.endswith(".whl")]
        if not sdists or any(_usable(w, arch, python) for w in wheels):
            continue
        if wheels:
            why = f"no wheel for Linux {arch}" + (
                f" and CPython {'.'.join(map(str, python))}" if python else ""
            )
        else:
            why = "no wheel at all"
        found.append(
            FromSource(str(pkg.get("name")), str(pkg.get("version", "")), bool(wheels), why)
        )
    return found


def _files(pkg: Mapping[str, Any]) -> list[str]:
    """File names of one locked package (uv: ``sdist``/``wheels`` URLs; poetry: ``files``)."""
    names: list[str] = []
    sdist = pkg.get("sdist")
    if isinstance(sdist, dict):
        names.append(str(sdist.get("url") or sdist.get("path") or "source.tar.gz"))
    for wheel in pkg.get("wheels") or []:
        if isinstance(wheel, dict):
            names.append(str(wheel.get("url") or wheel.get("path") or wheel.get("filename", "")))
    for entry in pkg.get("files") or []:
        if isinstance(entry, dict) and "file" in entry:
            names.append(str(entry["file"]))
    return [n.rsplit("/", 1)[-1] for n in names if n]


def _usable(wheel: str, arch: str, python: tuple[int, ...] | None) -> bool:
    """Whether a wheel file installs on glibc Linux ``arch`` (and CPython ``python``)."""
    parts = wheel[: -len(".whl")].split("-")
    if len(parts) < 5:
        return False
    py_tags, abi_tags, plat_tags = parts[-3].split("."), parts[-2].split("."), parts[-1].split(".")
    platform_ok = any(
        p == "any"
        or (p.endswith(f"_{arch}") and (p.startswith("manylinux") or p == f"linux_{arch}"))
        for p in plat_tags
    )
    if not platform_ok or python is None or len(python) < 2:
        return platform_ok
    wanted = f"cp{python[0]}{python[1]}"
    for tag in py_tags:
        if tag.startswith("py"):
            return True
        if tag == wanted:
            return True
        if "abi3" in abi_tags and tag.startswith("cp") and tag[2:].isdigit():
            return (int(tag[3:]) if tag[2] == "3" else 0) <= python[1]
    return False


def _other_os_only(packages: Iterable[Any]) -> set[str]:
    """uv.lock: packages every dependency edge to which is for Windows or macOS only."""
    edges: dict[str, list[str]] = {}
    for pkg in packages:
        if not isinstance(pkg, dict):
            continue
        deps = list(pkg.get("dependencies") or [])
        for group in (pkg.get("optional-dependencies") or {}).values():
            deps += group
        for group in (pkg.get("dev-dependencies") or {}).values():
            deps += group
        for dep in deps:
            if isinstance(dep, dict) and "name" in dep:
                edges.setdefault(str(dep["name"]), []).append(str(dep.get("marker", "")))
    return {
        name
        for name, markers in edges.items()
        if markers and all(_OTHER_OS.search(m) and "linux" not in m for m in markers)
    }
