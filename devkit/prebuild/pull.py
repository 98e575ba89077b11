"""A fresh machine pulls the prebuilt dev image instead of building it.

A project rendered with a prebuild registry names it in ``.devcontainer/compose.yaml``::

    x-devkit-prebuild:
      registry: ghcr.io/acme/api-dev
      platforms: ["linux/amd64", "linux/arm64"]

:func:`pull` works out the content tag the prebuild of those platforms has (the same
computation as ``devkit prebuild``: :func:`devkit.prebuild.make_plan`), and pulls that tag for
this engine's platform when the registry holds it; the compose build that follows finds every
step in the registry cache (``build.cache_from``). When it cannot, it says why in one line and
the build goes on locally. Every registry call is the docker CLI's, with the engine's own
credentials: nothing here reads or writes one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit import compose
from devkit.errors import DevkitError, one_line
from devkit.prebuild import registry as registries
from devkit.prebuild.builder import parse_platform
from devkit.prebuild.dockercli import json_answer, run
from devkit.prebuild.plan import Plan, make_plan

#: The compose file's top-level extension the template writes (see the module docstring).
COMPOSE_KEY = "x-devkit-prebuild"
#: Seconds a pull may take (a dev image is hundreds of MB).
PULL_TIMEOUT = 3600.0

PULLED = "pulled"
PRESENT = "present"
ABSENT = "absent"
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Settings:
    """What the compose file says about the prebuild: repository and platforms."""

    registry: str
    platforms: tuple[str, ...]


@dataclass(frozen=True)
class PullResult:
    """What :func:`pull` did: ``status`` is ``pulled``, ``present`` (this engine already has
    the tag), ``absent`` (the registry does not hold it for this platform) or ``unavailable``
    (the registry or the tag could not be reached or worked out); ``message`` is one line."""

    status: str
    message: str
    ref: str | None = None
    platform: str | None = None

    @property
    def reused(self) -> bool:
        """Whether the dev container will run the prebuilt image."""
        return self.status in (PULLED, PRESENT)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "status": self.status,
            "message": self.message,
            "ref": self.ref,
            "platform": self.platform,
        }


def settings(project: Path) -> Settings | None:
    """The prebuild settings of ``project``'s compose file; None when it names none.
    :class:`DevkitError` when they are there but malformed."""
    path = compose.find(project)
    if path is None:
        return None
    where = path.relative_to(project).as_posix() if path.is_relative_to(project) else str(path)
    try:
        doc = compose.parse(path.read_text(encoding="utf-8"), where)
    except OSError as exc:
        raise DevkitError(f"cannot read {where}: {exc.strerror or exc}") from exc
    raw = doc.get(COMPOSE_KEY)
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("registry"), str):
        raise DevkitError(f"{where}: {COMPOSE_KEY} needs a `registry:` repository")
    repository = registries.parse_repository(raw["registry"])
    platforms = raw.get("platforms") or []
    if not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms):
        raise DevkitError(f"{where}: {COMPOSE_KEY}.platforms must be a list of platforms")
    return Settings(repository, tuple(dict.fromkeys(parse_platform(p) for p in platforms)))


def pull(project: Path) -> PullResult | None:
    """Pull the prebuilt dev image of ``project`` for this engine's platform (see the module
    docstring). None when the project names no prebuild registry.

    Never raises for what only makes the build local (an unreachable registry, an absent
    tag, an input that cannot be worked out): that is a result with its one-line reason.
    A malformed compose file is a :class:`DevkitError`, as for any other command.
    """
    project = project.resolve()
    found = settings(project)
    if found is None:
        return None
    try:
        return _pull(project, found)
    except DevkitError as exc:
        return PullResult(UNAVAILABLE, f"no prebuilt image ({exc.message}); building locally")


def _pull(project: Path, found: Settings) -> PullResult:
    plans = _candidates(project, found)
    native = plans[0].builder.native
    tried: list[str] = []
    for plan in plans:
        if _local_platform(plan.docker, plan.ref) == native:
            return PullResult(
                PRESENT, f"prebuilt image {plan.ref} is already here", plan.ref, native
            )
        assert plan.registry is not None  # make_plan was given the repository
        published = plan.registry.published(plan.tag)
        if published is None:
            tried.append(plan.tag)
            continue
        if published.is_list and native not in published.platforms:
            held = ", ".join(sorted(published.platforms)) or "no platform"
            tried.append(f"{plan.tag} (holds {held})")
            continue
        done = run(
            [plan.docker, "pull", "--quiet", "--platform", native, plan.ref], timeout=PULL_TIMEOUT
        )
        if done.returncode != 0:
            raise registries.explain(done.stderr + done.stdout, plan.ref, "pulling")
        return PullResult(
            PULLED, f"pulled the prebuilt image {plan.ref} ({native})", plan.ref, native
        )
    return PullResult(
        ABSENT,
        f"no prebuilt image for this project's inputs in {found.registry} "
        f"(no {' or '.join(tried)} for {native}); building locally",
        None,
        native,
    )


def _candidates(project: Path, found: Settings) -> list[Plan]:
    """The plans whose tags may hold this machine's image: the platforms the compose file
    names (what the CI prebuild publishes), then this engine's platform alone (a prebuild
    run without --platform on a machine like this one)."""
    first = make_plan(
        project, registry=found.registry, platforms=found.platforms, check_builder=False
    )
    plans = [first]
    native = first.builder.native
    if first.platforms != (native,):
        plans.append(
            make_plan(project, registry=found.registry, platforms=(native,), check_builder=False)
        )
    return plans


def _local_platform(docker: str, ref: str) -> str | None:
    """``os/arch`` of the image ``ref`` this engine holds (None: it has none)."""
    data = json_answer([docker, "image", "inspect", ref, "--format", "{{json .}}"])
    if not isinstance(data, dict) or not data.get("Architecture"):
        return None
    return one_line(f"{data.get('Os') or 'linux'}/{data['Architecture']}", 40)
