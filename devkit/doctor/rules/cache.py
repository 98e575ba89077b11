"""Build-cache rules: a ``cache_from``/``cacheFrom`` that can only ever hold the final stage
(DK015), judged from the build's cache settings and the stages its Dockerfile target needs."""

from __future__ import annotations

from dataclasses import dataclass

from devkit.dockerfile import Dockerfile, Stage
from devkit.doctor.model import WARNING, Rule, Run
from devkit.doctor.project import Build, Project

DK015 = Rule(
    "DK015",
    "cache-final-stage-only",
    WARNING,
    "cache_from/cacheFrom that can only hit the final stage",
    "The cache source holds inline or mode=min cache, which records only the layers of the "
    "image itself: the stages it copies from (COPY --from, RUN --mount=from) are rebuilt on "
    "every machine that starts from that cache.",
    "Export a registry cache of every stage (cache_to: type=registry,ref=REPO:buildcache,"
    "mode=max, or `devkit prebuild --push`) and read it with cache_from.",
)


def check(run: Run, project: Project) -> None:
    """DK015 for every build with a cache source (each declaration once)."""
    seen: set[tuple[object, ...]] = set()
    for build in project.builds:
        if not build.cache_from or not build.exists() or build.key not in run.parsed:
            continue
        where = (build.origin, build.key, build.target, build.cache_from, build.cache_to)
        if where in seen:  # a dev container's compose service is also read as a service
            continue
        seen.add(where)
        _final_stage_only(run, build, run.parsed[build.key])


@dataclass(frozen=True)
class _Cache:
    """One ``--cache-from``/``--cache-to`` value: ``type=…,key=value`` or an image ref."""

    type: str
    attrs: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> _Cache:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not any(p.startswith("type=") for p in parts) and not any("=" in p for p in parts):
            # A bare reference is `type=registry,ref=…` (buildx and Compose read it so).
            return cls("registry", (("ref", _normal(text.strip())),))
        attrs = dict(p.partition("=")[::2] for p in parts)
        kind = attrs.pop("type", "registry").lower()
        if "ref" in attrs:
            attrs["ref"] = _normal(attrs["ref"])
        return cls(kind, tuple(sorted(attrs.items())))

    def get(self, key: str) -> str | None:
        return dict(self.attrs).get(key)

    @property
    def where(self) -> tuple[str, str | None]:
        """What names the cache's location, to match a source with what exports it."""
        attrs = dict(self.attrs)
        for key in ("ref", "src", "dest", "scope", "name"):
            if key in attrs:
                # local caches are read from src= and written to dest=
                return (self.type, attrs[key])
        return (self.type, None)


def _normal(ref: str) -> str:
    """An image reference as the engine reads it: docker.io/library/ and :latest implied."""
    name, _, digest = ref.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not digest:
        name += ":latest"
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    if name.startswith("library/"):
        name = name[len("library/") :]
    return name + (f"@{digest}" if digest else "")


def _min_only(source: _Cache, exports: list[_Cache], build: Build) -> bool:
    """Whether ``source`` can only hold the image's own layers (inline or mode=min cache).

    Only what the same configuration says counts: the export that writes this location
    (mode=max or not), the image itself as cache source (an image carries inline cache at
    most), or an inline export with no image name to tell refs apart (devcontainer.json).
    A reference written somewhere else (a CI's registry cache) is not judged.
    """
    writers = [
        e for e in exports if e.where == source.where or e.where == ("local", source.get("src"))
    ]
    if writers:
        return all(w.get("mode") != "max" for w in writers)
    if source.type != "registry":
        return False
    ref = source.get("ref")
    if build.image and ref == _normal(build.image):
        return True
    inline = any(e.type == "inline" for e in exports) or build.args.get(
        "BUILDKIT_INLINE_CACHE", ""
    ).lower() in ("1", "true")
    registry_export = any(e.type == "registry" for e in exports)
    return inline and not registry_export and build.image is None


def _side_stages(df: Dockerfile, target: Stage) -> list[Stage]:
    """The stages ``target`` reads files from (``COPY --from``, ``RUN --mount=from``) that
    are not part of its own image (its FROM chain), and the stages those read."""
    chain = {s.index for s in df.chain(target)}
    needed: set[int] = set()
    todo = list(df.chain(target))
    while todo:
        stage = todo.pop()
        for ins in stage.instructions:
            refs = list(ins.flag("from")) if ins.keyword in ("COPY", "ADD") else []
            if ins.keyword == "RUN":
                refs += [m["from"] for m in ins.mounts() if m.get("from")]
            for ref in refs:
                other = df.stage(ref)
                if other is None or other.index >= stage.index:
                    continue  # an image, or not a stage BuildKit would build
                for s in df.chain(other):
                    if s.index not in needed and s.index not in chain:
                        needed.add(s.index)
                        todo.append(s)
    return [df.stages[i] for i in sorted(needed)]


def _final_stage_only(run: Run, build: Build, df: Dockerfile) -> None:
    if not df.stages:
        return
    target = (df.stage(build.target) if build.target else None) or df.final_stage
    lost = _side_stages(df, target)
    if not lost:
        return  # everything the image needs is in its own layers: inline cache covers it
    exports = [_Cache.parse(c) for c in build.cache_to]
    sources = [_Cache.parse(c) for c in build.cache_from]
    if not all(_min_only(s, exports, build) for s in sources):
        return
    file, line = build.origin or (run.rel(build.dockerfile), None)
    stages = ", ".join(s.label for s in lost)
    refs = ", ".join(build.cache_from)
    run.add(
        DK015.id,
        file,
        build.cache_line or line,
        f"cache_from {refs} holds only the {target.label} image's own layers (inline or "
        f"mode=min cache), so the steps of stage(s) {stages}, which it copies from, are "
        "rebuilt on every fresh machine",
    )


RULES: tuple[Rule, ...] = (DK015,)
