"""`devkit bench`: what a Dockerfile costs to build, scenario by scenario.

Scenarios (in this order, per repeat):

``cold``
    No layer cache and empty cache mounts *for this Dockerfile only*: the build runs from a
    temporary copy of the Dockerfile whose ``--mount=type=cache`` ids carry a suffix unique to
    this run, Dockerfile and repeat, with ``--no-cache``. Nobody else's build cache is
    touched: at the end only cache-mount records whose description carries this run's token
    (appended to their RUN as a shell comment) are pruned.
``noop``
    The same build again, nothing changed. (Without ``cold``, the cache-mount ids are left as
    they are and each repeat starts with an unmeasured warm-up build, so this is still a real
    no-op.)
``source``
    One source file changed (a comment line appended), then undone. With ``--compare`` each
    Dockerfile gets its own token in the line, so neither reuses the other's fresh layers.
``deps``
    One entry added to the stack's dependency manifest (see
    :func:`~devkit.bench.edits.dependency_edit`), then undone.

Every build goes through a docker CLI that really uses BuildKit (:mod:`devkit.buildkit`) with
``--progress=plain``; the output is parsed by :mod:`devkit.bench.progress` for steps total and
cached, and bytes of build context transferred. Image size and layer count come from the
engine (docker SDK). Images are tagged ``devkit-bench:<run>-...``, labelled
devkit's managed label and its bench label (value: the run's id; :mod:`devkit.labels`), and
removed right after measuring.

Each Dockerfile is built through its own stable symlink to the context
(:func:`~devkit.bench.targets.context_alias`), so BuildKit diffs the context against that
Dockerfile's previous build rather than the other one's.

The user's tree is left exactly as it was (content, mode and timestamps), also when a build
fails or the run is interrupted: every edit goes through
:class:`~devkit.bench.treeguard.TreeGuard`, which journals the originals so that even a killed
run is undone by the next one (:func:`~devkit.bench.treeguard.recover`).

The modules: ``report`` (scenarios, results, medians, baseline), ``targets`` (which
Dockerfiles, from which context), ``edits`` (what the source and dependency scenarios change),
``treeguard`` (undoing them), ``isolate`` (per-run cache-mount ids for cold builds),
``progress`` (BuildKit's plain progress output, pure text), ``process`` (the docker CLI of
one build, stopped with its buildx plugin), ``build`` (one build's command line and streamed
run), ``engines`` (which engines bench can measure) and ``runner`` (the run itself).
"""

from devkit.bench.engines import check_engine, require_buildkit_engine
from devkit.bench.report import (
    DEFAULT_THRESHOLD,
    SCENARIO_TITLES,
    SCENARIOS,
    BuildResult,
    Regression,
    Report,
    Summary,
    load_baseline,
    regressions,
)
from devkit.bench.runner import Bench, BenchOptions, Observer
from devkit.bench.targets import Target, make_targets
from devkit.bench.treeguard import recover

__all__ = [
    "DEFAULT_THRESHOLD",
    "SCENARIOS",
    "SCENARIO_TITLES",
    "Bench",
    "BenchOptions",
    "BuildResult",
    "Observer",
    "Regression",
    "Report",
    "Summary",
    "Target",
    "check_engine",
    "load_baseline",
    "make_targets",
    "recover",
    "regressions",
    "require_buildkit_engine",
]
