"""Building the dev image with ``docker buildx build`` and, with ``--push``, publishing it.

With a registry the build reads the registry cache ``REPO:buildcache-<target>``. With
``--push`` it pushes ``REPO:<content tag>`` (one manifest list for several platforms) and
exports the cache there with ``mode=max,image-manifest=true`` (every stage, as an OCI image
manifest any registry stores). A builder that cannot export a registry cache (the ``docker``
driver on the classic image store) gets inline cache instead: the cache rides in the image,
pushed again as ``buildcache-<target>``, and covers the final stage only.

Nothing counts as done before the registry shows it: after the push the tag's manifest (list)
is read back and every platform's manifest fetched. A tag already complete in the registry is
not built again (``force`` rebuilds it); an incomplete one (a push cut off halfway) is redone.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devkit.bench import process
from devkit.errors import DevkitError
from devkit.labels import MANAGED_LABEL, PREBUILD_INPUTS_LABEL, extra_labels
from devkit.prebuild import registry as registries
from devkit.prebuild.dockercli import last_line
from devkit.prebuild.plan import Plan

CACHE_REGISTRY = "registry"
CACHE_INLINE = "inline"
CACHE_NONE = "none"
#: What inline cache loses, said once when a prebuild falls back to it.
INLINE_NOTE = (
    "this builder cannot export a registry cache (the docker driver on the classic image "
    "store): using inline cache, which covers only the final stage, so other machines rebuild "
    "every earlier stage that changed; the containerd image store or a docker-container "
    "builder keeps them all"
)

_VERTEX = re.compile(r"^#(\d+) (.*)$")
_STEP = re.compile(r"^\[(?:[^\]]*?)\d+/\d+\] ")


@dataclass
class Options:
    """What to do with the plan: push it, rebuild a tag that exists, extra labels."""

    push: bool = False
    force: bool = False
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    """What a prebuild did. ``status`` is ``built``, ``pushed`` or ``up-to-date``."""

    status: str
    ref: str
    tag: str
    platforms: tuple[str, ...]
    cache: str
    cache_ref: str | None
    seconds: float = 0.0
    steps: int = 0
    cached_steps: int = 0
    published: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "status": self.status,
            "ref": self.ref,
            "tag": self.tag,
            "platforms": list(self.platforms),
            "cache": self.cache,
            "cache_ref": self.cache_ref,
            "seconds": round(self.seconds, 3),
            "steps": self.steps,
            "cached_steps": self.cached_steps,
            "published": self.published,
            "notes": self.notes,
        }


class Observer:
    """Receives progress; the CLI shows it. The defaults ignore everything."""

    def note(self, message: str) -> None:
        """A one-line remark (a fallback, a skipped build)."""

    def step(self, name: str, cached: bool) -> None:
        """A build step started (``cached``: BuildKit reused it)."""


def cache_mode(plan: Plan, options: Options) -> str:
    """Which cache the build exports: registry, inline (the fallback) or none (no push)."""
    if not options.push or plan.registry is None:
        return CACHE_NONE
    return CACHE_REGISTRY if plan.builder.registry_cache else CACHE_INLINE


def command(plan: Plan, options: Options) -> list[str]:
    """The ``docker buildx build`` argv (it names no credential: the engine holds them)."""
    if options.push and plan.registry is None:
        raise DevkitError("--push needs --registry (where to push)")
    argv = [plan.docker, "buildx", "build", "--progress=plain"]
    if plan.builder.name:
        argv += ["--builder", plan.builder.name]
    argv += ["-f", str(plan.build.dockerfile), "--platform", ",".join(plan.platforms)]
    if plan.build.target:
        argv += ["--target", plan.build.target]
    for key, value in sorted(plan.build.args.items()):
        argv += ["--build-arg", f"{key}={value}"]
    labels = {MANAGED_LABEL: "true", **extra_labels(), **options.labels}
    labels[PREBUILD_INPUTS_LABEL] = plan.inputs.label()
    for key, value in labels.items():
        argv += ["--label", f"{key}={value}"]
    argv += ["--tag", plan.ref]
    mode = cache_mode(plan, options)
    if plan.cache_ref:
        argv += ["--cache-from", f"type=registry,ref={plan.cache_ref}"]
    if mode == CACHE_REGISTRY:
        argv += [
            "--cache-to",
            f"type=registry,ref={plan.cache_ref},mode=max,image-manifest=true,oci-mediatypes=true",
        ]
    elif mode == CACHE_INLINE:
        argv += ["--cache-to", "type=inline", "--tag", str(plan.cache_ref)]
    if options.push:
        argv.append("--push")
    elif len(plan.platforms) == 1 or plan.builder.multi_platform:
        argv.append("--load")
    argv.append(str(plan.build.context))
    return argv


def run(plan: Plan, options: Options, observer: Observer | None = None) -> Result:
    """Build (and with ``options.push`` publish) the plan's image; see the module docstring.

    Raises :class:`DevkitError` with one line for a failed build or push, or a tag that is
    not complete in the registry afterwards. Ctrl-C stops the build and propagates.
    """
    seen = observer or Observer()
    mode = cache_mode(plan, options)
    result = Result("built", plan.ref, plan.tag, plan.platforms, mode, plan.cache_ref)
    if options.push and plan.registry is not None and not options.force:
        existing = _complete(plan, plan.registry.published(plan.tag))
        if existing is not None:
            result.status, result.published = "up-to-date", existing
            return result
    if mode == CACHE_INLINE:
        result.notes.append(INLINE_NOTE)
        seen.note(INLINE_NOTE)
    argv = command(plan, options)
    started = time.monotonic()
    code, tail, steps, cached = _stream(argv, seen.step)
    result.seconds = time.monotonic() - started
    result.steps, result.cached_steps = steps, cached
    if code != 0:
        raise _failure(plan, tail, options.push)
    if options.push and plan.registry is not None:
        published = _complete(plan, plan.registry.published(plan.tag))
        if published is None:
            raise DevkitError(
                f"the push of {plan.ref} finished, but the registry does not hold all of it "
                f"({', '.join(plan.platforms)})",
                hint="run the prebuild again: it pushes what is missing",
            )
        result.status, result.published = "pushed", published
    return result


def _complete(plan: Plan, found: registries.Published | None) -> dict[str, str] | None:
    """Each platform's manifest digest when ``found`` holds every planned platform, else None."""
    if found is None or found.missing:
        return None
    if not found.is_list:
        # A single manifest (classic store, one platform) carries no platform list.
        return {plan.platforms[0]: ""} if len(plan.platforms) == 1 else None
    have = {"/".join(p.split("/")[:2]) for p in found.platforms}
    if all("/".join(p.split("/")[:2]) in have for p in plan.platforms):
        return dict(found.platforms)
    return None


def _stream(argv: list[str], step: Callable[[str, bool], None]) -> tuple[int, list[str], int, int]:
    """Run the build, reporting steps; (exit code, last output lines, steps, cached steps)."""
    names: dict[str, str] = {}
    cached: set[str] = set()
    tail: list[str] = []
    # bench's process door: the CLI in a group of its own, stopped with its buildx plugin.
    try:
        proc = process.start(argv, dict(os.environ))
    except OSError as exc:
        raise DevkitError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail = [*tail[-59:], line]
            match = _VERTEX.match(line)
            if not match:
                continue
            vertex, rest = match.groups()
            if vertex not in names and _STEP.match(rest):
                names[vertex] = rest
            elif rest == "CACHED" and vertex in names and vertex not in cached:
                cached.add(vertex)
                step(names[vertex], True)
            elif vertex in names and rest.startswith("DONE") and vertex not in cached:
                step(names[vertex], False)
        code = proc.wait()
    finally:
        process.stop(proc)
    return code, tail, len(names), len(cached)


#: What only a registry problem says (a failed RUN step says "did not complete successfully").
_REGISTRY_WORDS = (
    "push",
    "exporting cache",
    "export cache",
    "failed to authorize",
    "unexpected status",
    "unauthorized",
    "denied:",
    "insufficient_scope",
    "name_invalid",
    "name invalid",
    "connection refused",
    "no such host",
    "i/o timeout",
    "x509:",
)


def _failure(plan: Plan, tail: list[str], push: bool) -> DevkitError:
    """One line for a failed build: a registry problem, an emulation problem, or the step."""
    errors = [ln for ln in tail if "error" in ln.lower() or "failed" in ln.lower()]
    text = "\n".join(errors or tail[-5:])
    low = text.lower()
    if "exec format error" in low:
        return DevkitError(
            f"a step for {', '.join(plan.platforms)} could not run: exec format error "
            "(no emulator registered for that architecture)",
            hint="register QEMU with binfmt_misc: apt-get install qemu-user-static, then "
            "docker run --privileged --rm tonistiigi/binfmt --install all",
        )
    if "multiple platforms" in low or "manifest lists" in low or "multi-platform" in low:
        return DevkitError(
            f"{plan.builder.describe()} cannot build several platforms at once",
            hint="turn on the containerd image store, or use a docker-container builder",
        )
    step_failed = "did not complete successfully" in low
    if plan.cache_ref and not step_failed and any(w in low for w in _REGISTRY_WORDS):
        return registries.explain(text, plan.ref, "pushing" if push else "reading")
    last = next((ln for ln in reversed(errors) if ln.strip()), tail[-1] if tail else "")
    return DevkitError(f"the build of {plan.ref} failed: {last_line(last)}")
