"""Prebuilt dev images: build the image a project's dev container runs, tag it by the
content that decides it, and push it with a registry cache every machine can pull from.

:func:`make_plan` decides (target, builder, platforms, content tag), :func:`compare` says
which input changed since an older tag, :func:`run` builds and pushes.
"""

from devkit.prebuild.build import Observer, Options, Result, run
from devkit.prebuild.builder import Builder, parse_platform
from devkit.prebuild.inputs import Change, Inputs, diff
from devkit.prebuild.plan import Comparison, Plan, compare, make_plan
from devkit.prebuild.target import BuildTarget

__all__ = [
    "BuildTarget",
    "Builder",
    "Change",
    "Comparison",
    "Inputs",
    "Observer",
    "Options",
    "Plan",
    "Result",
    "compare",
    "diff",
    "make_plan",
    "parse_platform",
    "run",
]
