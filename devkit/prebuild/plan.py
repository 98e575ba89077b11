"""A prebuild before it runs: the image, the builder, the platforms, the content tag, and
what changed since an older tag.

:func:`make_plan` gathers everything :func:`devkit.prebuild.build.run` needs and
``--explain`` prints, so the tag that is explained is the tag that is built.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit import buildkit
from devkit.errors import DevkitError
from devkit.labels import PREBUILD_INPUTS_LABEL
from devkit.prebuild import builder as builders
from devkit.prebuild import registry as registries
from devkit.prebuild import target as targets
from devkit.prebuild.dockercli import json_answer
from devkit.prebuild.images import ImageResolver
from devkit.prebuild.inputs import Change, Inputs, collect, diff

#: The tag under the same repository that holds the registry cache of one target.
CACHE_TAG_PREFIX = "buildcache-"


@dataclass
class Plan:
    """One prebuild, decided: see the module docstring."""

    build: targets.BuildTarget
    docker: str
    builder: builders.Builder
    platforms: tuple[str, ...]
    inputs: Inputs
    registry: registries.Registry | None

    @property
    def tag(self) -> str:
        """The content tag."""
        return self.inputs.tag

    @property
    def repository(self) -> str:
        """Where the image is tagged: the registry's repository, else a local name (the
        compose ``image:``'s repository, or ``devkit-prebuild/<folder>``)."""
        if self.registry is not None:
            return self.registry.repository
        if self.build.image:
            return _without_tag(self.build.image)
        name = re.sub(r"[^a-z0-9]+", "-", self.build.project.name.lower()).strip("-") or "project"
        return f"devkit-prebuild/{name}"

    @property
    def ref(self) -> str:
        """``REPOSITORY:<content tag>``."""
        return f"{self.repository}:{self.tag}"

    @property
    def cache_ref(self) -> str | None:
        """``REGISTRY/REPO:buildcache-<target>``: the registry cache (None without one).

        One per target, not per content tag, so a changed input still finds the layers
        before it; every machine's compose ``cache_from`` can name it without computing a tag.
        """
        if self.registry is None:
            return None
        return f"{self.registry.repository}:{CACHE_TAG_PREFIX}{self.build.target or 'final'}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the target, builder, tag, refs and inputs."""
        return {
            "tag": self.tag,
            "ref": self.ref,
            "cache_ref": self.cache_ref,
            "platforms": list(self.platforms),
            "target": self.build.to_dict(),
            "builder": self.builder.to_dict(),
            "inputs": self.inputs.to_dict(),
        }


def make_plan(
    project: Path,
    *,
    registry: str | None = None,
    platforms: tuple[str, ...] = (),
    builder: str | None = None,
    service: str | None = None,
    dockerfile: Path | None = None,
    target: str | None = None,
    build_args: dict[str, str] | None = None,
) -> Plan:
    """Decide a prebuild of ``project`` (see :class:`Plan`); nothing is built yet.

    Platforms come from ``platforms``, else the compose file's ``build.platforms``, else the
    builder's own. Raises :class:`DevkitError` (or ``UsageError`` for a bad name on the
    command line) before anything is built.
    """
    repository = registries.parse_repository(registry) if registry else None
    wanted = tuple(dict.fromkeys(builders.parse_platform(p) for p in platforms))
    build = targets.find(
        project, service=service, dockerfile=dockerfile, target=target, build_args=build_args
    )
    if not wanted and build.platforms:
        wanted = tuple(dict.fromkeys(builders.parse_platform(p) for p in build.platforms))
    info = buildkit.detect().require()
    if info.mode != buildkit.MODE_BUILDX or info.docker is None:
        raise DevkitError(
            f"devkit prebuild needs the docker buildx plugin ({info.describe()} builds without it)",
            hint="install docker-buildx (Debian: apt-get install docker-buildx)",
        )
    docker = info.docker
    chosen = builders.inspect(docker, builder)
    if not wanted:
        wanted = (chosen.native,)
    builders.check_platforms(chosen, wanted)
    resolver = ImageResolver(
        docker,
        local_first=chosen.driver == "docker",
        context=chosen.endpoint if chosen.driver == "docker" else None,
    )
    inputs = collect(build, wanted, resolver)
    reg = None
    if repository is not None:
        engine = chosen.engine_info or builders.engine_info(docker)
        insecure = builders.insecure_registry(engine, registries.registry_host(repository))
        reg = registries.Registry(docker, repository, insecure=insecure)
    return Plan(build, docker, chosen, wanted, inputs, reg)


def _without_tag(image: str) -> str:
    name = image.split("@", 1)[0]
    head, sep, tail = name.rpartition(":")
    return head if sep and "/" not in tail else name


@dataclass(frozen=True)
class Comparison:
    """The current inputs against an older record: where that came from and what changed."""

    against: str
    old_tag: str
    changes: list[Change]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "against": self.against,
            "old_tag": self.old_tag,
            "changes": [c.to_dict() for c in self.changes],
        }


def compare(plan: Plan, against: str) -> Comparison:
    """Compare ``plan``'s inputs with an older record: a file (a saved ``--json``) or a tag
    (``TAG`` under the plan's repository, or ``REPO:TAG``), read from the image label on this
    engine or in the registry. Raises :class:`DevkitError` when there is no record."""
    path = Path(against)
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DevkitError(f"cannot read {path}: {exc}") from exc
        old = Inputs.from_dict(data, str(path))
    else:
        ref = against if ":" in against.rsplit("/", 1)[-1] else f"{plan.repository}:{against}"
        old = Inputs.from_dict(_label_record(plan, ref), ref)
    return Comparison(against, old.tag, diff(old, plan.inputs))


def _label_record(plan: Plan, ref: str) -> Any:
    labels = _local_labels(plan.docker, ref)
    if labels is None:
        reader = plan.registry or registries.Registry(plan.docker, _without_tag(ref))
        labels = reader.image_labels(ref)
    if labels is None:
        raise DevkitError(
            f"cannot read {ref}: not on this engine and not readable in its registry",
            hint="pull it first, or pass a saved `devkit prebuild --explain --json` file",
        )
    text = labels.get(PREBUILD_INPUTS_LABEL)
    if not text:
        raise DevkitError(f"{ref} was not made by devkit prebuild (no {PREBUILD_INPUTS_LABEL})")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DevkitError(f"{ref}: its {PREBUILD_INPUTS_LABEL} label is not JSON") from exc


def _local_labels(docker: str, ref: str) -> dict[str, str] | None:
    labels = json_answer([docker, "image", "inspect", ref, "--format", "{{json .Config.Labels}}"])
    if labels is None:
        return None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
