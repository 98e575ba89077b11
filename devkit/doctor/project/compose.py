"""Compose files read as Compose reads them: several files merged (paths relative to the
first one's folder), ``include:`` (each included file a project of its own), ``extends:``
(from the same or another file, paths relative to the file that declares them), Compose's
``!reset`` and ``!override`` tags, remote (git or URL) build contexts, and
``dockerfile_inline``; each service's build, mounts, environment, user and image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devkit.doctor.model import Run
from devkit.doctor.parse import (
    LineError,
    as_dict,
    as_list,
    env_file_pairs,
    parse_yaml_lines,
)
from devkit.doctor.project.model import Build
from devkit.doctor.project.service import Service, interp, is_remote


def default_override(path: Path) -> Path | None:
    """The override file ``docker compose`` reads along with default file ``path``
    (``compose.yaml`` → ``compose.override.yaml``), if there is one."""
    stem, _, ext = path.name.rpartition(".")
    if stem not in ("compose", "docker-compose") or ext not in ("yaml", "yml"):
        return None
    for name in (f"{stem}.override.yml", f"{stem}.override.yaml"):
        if (path.parent / name).is_file():
            return path.parent / name
    return None


#: How deep ``extends`` and ``include`` are followed (Compose stops cycles; so does this).
_MAX_HOPS = 10


class ComposeReader:
    """Reads the compose files of one audit (each file parsed once)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        #: Parsed compose files (None: not parseable, DK000 already reported). A compose
        #: file shared by several devcontainer.json files is parsed once.
        self.compose_docs: dict[Path, tuple[Any, dict[tuple[Any, ...], int]] | None] = {}
        #: The builds of every compose service read, in the order read.
        self.compose_builds: list[Build] = []
        #: The variables of each project folder's ``.env`` file, read once.
        self.dotenvs: dict[Path, dict[str, str]] = {}

    def variables(self, project_dir: Path) -> dict[str, str]:
        """The variables Compose interpolates in the project ``project_dir`` with an empty
        environment: those its ``.env`` file sets (each value interpolated with the ones
        before it, as Compose does), none if there is no such file or it cannot be read."""
        key = project_dir.resolve()
        if key not in self.dotenvs:
            found: dict[str, str] = {}
            try:
                text = (project_dir / ".env").read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            for name, value in env_file_pairs(text):
                found[name] = interp(value, found)
            self.dotenvs[key] = found
        return self.dotenvs[key]

    def load(self, path: Path) -> tuple[Any, dict[tuple[Any, ...], int]] | None:
        """A compose file's data and lines, parsed once (None, and DK000 once, if it cannot
        be read or is not one; None for a file that is not there)."""
        if not path.is_file():
            return None
        key = path.resolve()
        if key not in self.compose_docs:
            self.run.files.add(self.run.rel(path))
            try:
                self.compose_docs[key] = _compose_doc(self.run.read(path))
            except LineError as exc:
                self.compose_docs[key] = None
                self.run.add("DK000", path, exc.line, exc.message)
        return self.compose_docs[key]

    def includes(self, path: Path) -> list[Path]:
        """The resolved paths of the files ``path``'s ``include:`` names."""
        doc = self.load(path)
        if doc is None or not isinstance(doc[0], dict):
            return []
        return [p.resolve() for group, _ in _include_entries(doc[0], path.parent) for p in group]

    def compose(
        self,
        paths: list[Path],
        seen: set[Path] | None = None,
        hops: int = 0,
        project_dir: Path | None = None,
    ) -> dict[str, Service] | None:
        """Services of the compose files (later files override earlier ones, paths relative
        to ``project_dir``, by default the first file's folder), with the services of the
        files they include; None when one of them cannot be parsed. Files included are added
        to ``seen``."""
        services: dict[str, Service] = {}
        if project_dir is None:
            project_dir = paths[0].parent if paths else Path()
        for path in paths:
            if not path.is_file():
                continue
            doc = self.load(path)
            if doc is None:
                return None
            data, lines = doc
            if not isinstance(data, dict):
                continue
            for group, project in _include_entries(data, path.parent):
                if hops >= _MAX_HOPS or not group:
                    continue
                if seen is not None:
                    seen.update(p.resolve() for p in group)
                # an included file is a project of its own: its paths are relative to its
                # folder, or to the project_directory the entry gives
                sub = self.compose(group, seen, hops + 1, project) or {}
                for name, svc in sub.items():
                    services.setdefault(name, svc)
            if not isinstance(data.get("services"), dict):
                continue
            rel = self.run.rel(path)
            for name, spec in data["services"].items():
                if not isinstance(spec, dict):
                    continue
                svc = services.setdefault(
                    name,
                    Service(
                        file=rel,
                        line=lines.get(("services", name)),
                        name=str(name),
                        variables=self.variables(project_dir),
                    ),
                )
                for base_spec, base_path, base_lines, base_key in self._extended(
                    spec, path, str(name)
                ):
                    svc.absorb(
                        base_spec,
                        base_path,
                        base_path.parent,
                        self.run.rel(base_path),
                        base_lines,
                        base_key,
                    )
                svc.absorb(spec, path, project_dir, rel, lines, ("services", name))
        self.compose_builds.extend(b for svc in services.values() if (b := svc.build()))
        return services

    def _extended(
        self, spec: dict[str, Any], path: Path, name: str
    ) -> list[tuple[dict[str, Any], Path, dict[tuple[Any, ...], int], tuple[Any, ...]]]:
        """The service specs ``spec`` extends, base first: (spec, file, lines, key path)."""
        chain: list[tuple[dict[str, Any], Path, dict[tuple[Any, ...], int], tuple[Any, ...]]] = []
        visited = {(path.resolve(), name)}
        while len(chain) < _MAX_HOPS:
            ext = spec.get("extends")
            if isinstance(ext, str):
                ext = {"service": ext}
            if not isinstance(ext, dict) or not isinstance(ext.get("service"), str):
                break
            file = ext.get("file")
            base_path = path.parent / interp(file) if isinstance(file, str) else path
            doc = self.load(base_path)
            if doc is None or (base_path.resolve(), ext["service"]) in visited:
                break
            visited.add((base_path.resolve(), ext["service"]))
            data, lines = doc
            base = as_dict(as_dict(data).get("services")).get(ext["service"])
            if not isinstance(base, dict):
                break
            chain.insert(0, (base, base_path, lines, ("services", ext["service"])))
            spec, path = base, base_path
        return chain


def _include_entries(data: dict[str, Any], base: Path) -> list[tuple[list[Path], Path | None]]:
    """The files each ``include:`` entry names (a path, a list of paths, or a mapping with
    ``path`` and ``project_directory``), relative to ``base``."""
    found: list[tuple[list[Path], Path | None]] = []
    for entry in as_list(data.get("include")):
        project: Path | None = None
        if isinstance(entry, dict):
            raw = entry.get("path")
            if isinstance(entry.get("project_directory"), str):
                project = base / interp(entry["project_directory"])
        else:
            raw = entry
        names = [raw] if isinstance(raw, str) else as_list(raw)
        group = [base / interp(n) for n in names if isinstance(n, str) and not is_remote(n)]
        found.append((group, project))
    return found


def _compose_doc(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """A compose file's data and lines; :class:`LineError` for YAML that Compose refuses,
    and for a top level or ``services`` that is not a mapping (Compose refuses those too)."""
    data, lines = parse_yaml_lines(text)
    if data is not None and not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise LineError(f"a compose file must be a mapping, not {kind}", lines.get((), 1))
    services = data.get("services") if isinstance(data, dict) else None
    if services is not None and not isinstance(services, dict):
        raise LineError("services must be a mapping of service names", lines.get(("services",)))
    return data, lines
