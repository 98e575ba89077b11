"""Detection: what an existing repository is made of, each fact with the file it came from.

Stacks, package managers and their versions, toolchain versions, the manifests an install
reads, extras and dependency groups, workspaces, locked packages that build from source, and
an existing dev container. Pure: it reads files only (no network, no engine, no project code
is run). :func:`detect` gives a :class:`Detection`; :func:`adopt` turns it into ``devkit
new``'s answers (one layer of them) and a plan for an existing dev container.

Where things are: ``repository`` runs a detection; ``python``, ``node``, ``go``, ``rust``,
``java``, ``dotnet`` read one stack each, given a ``context``; ``toolfiles`` (version files)
and ``ci`` (GitHub Actions) give version constraints that ``resolve`` turns into one version,
using ``specs`` (version ranges) and ``releases`` (known release lines); ``requirements`` is
pip's ``-r`` graph, ``wheels`` the locked packages without a usable wheel; ``devcontainer``
reads an existing configuration; ``reader`` reads files without ever failing; ``model`` is the
data.
"""

from __future__ import annotations

from devkit.detect.adopt import Adoption, Plan, PlanItem, adopt
from devkit.detect.model import (
    Conflict,
    Constraint,
    Detection,
    Devcontainer,
    Fact,
    Resolved,
    Source,
    Stack,
)
from devkit.detect.repository import detect, own_manifests, stack_of

__all__ = [
    "Adoption",
    "Conflict",
    "Constraint",
    "Detection",
    "Devcontainer",
    "Fact",
    "Plan",
    "PlanItem",
    "Resolved",
    "Source",
    "Stack",
    "adopt",
    "detect",
    "own_manifests",
    "stack_of",
]
