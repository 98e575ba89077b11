"""`devkit doctor`: audit a repository for what makes its dev container slow or unsafe to build.

The audit reads Dockerfiles (through :mod:`devkit.dockerfile`), ``.dockerignore`` files,
compose files and ``devcontainer.json`` (JSON with comments) and returns :class:`Finding`
objects, each tied to a stable rule id (``DK001``…) from :data:`RULES`, a severity, a
file and line, and the rule's *why* and *fix*. Each rule has a page in ``docs/doctor/``.

Everything is plain file analysis except rule DK001 (BuildKit availability), which asks
:mod:`devkit.buildkit`; :func:`audit` takes the probe as a parameter so tests can fake it
and ``devkit doctor --no-buildkit-check`` can skip it.

Build-context sizes are measured by :mod:`devkit.buildcontext` (Docker's own ``.dockerignore``
rules), so "what is sent" is what BuildKit sends.

Where things are: ``audit`` runs an audit; ``rules/`` holds the registry and one module per
rule family (each rule declared beside its check); ``discover``, ``parse`` and ``project``
read the repository; ``shell``, ``managers`` and ``facts`` are what the rules know about
shell scripts, package managers and images; ``model`` is the data they all share.
"""

from __future__ import annotations

from devkit.doctor.audit import audit
from devkit.doctor.model import (
    ERROR,
    INFO,
    SEVERITIES,
    WARNING,
    BuildKitProbe,
    BuildKitStatus,
    ContextSize,
    Finding,
    Report,
    Rule,
)
from devkit.doctor.parse import strip_jsonc
from devkit.doctor.rules import RULES, buildkit_status, iter_rules, rule_page

__all__ = [
    "ERROR",
    "INFO",
    "RULES",
    "SEVERITIES",
    "WARNING",
    "BuildKitProbe",
    "BuildKitStatus",
    "ContextSize",
    "Finding",
    "Report",
    "Rule",
    "audit",
    "buildkit_status",
    "iter_rules",
    "rule_page",
    "strip_jsonc",
]
