"""What doctor knows of published images without pulling them: the user their containers
run as (their config's ``USER``, or for the ``mcr.microsoft.com/devcontainers/*`` images the
``remoteUser`` of their ``devcontainer.metadata`` label), the ENV that moves package caches,
whether their entrypoint drops root, and whether they are Windows or notebook images."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownImage:
    """What doctor knows of a published image without pulling it.

    ``user``: the user its containers run as when nothing else says so, when that is not
    root: the ``USER`` of its config, or for the ``mcr.microsoft.com/devcontainers/*`` images
    the ``remoteUser`` of their ``devcontainer.metadata`` label, which the Dev Containers CLI
    applies (images built ``FROM`` them inherit the label). ``env``: its ``ENV`` values that
    move package caches. ``steps_down``: its entrypoint starts as root and hands the service
    to an unprivileged user (gosu, su-exec, ``su -p``), as Docker's own guidance suggests.
    ``windows``: a Windows image (no root user; no BuildKit cache mounts). ``metadata``: the
    user comes from ``devcontainer.metadata``, not the config: builds still run as root.
    """

    user: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    steps_down: bool = False
    windows: bool = False
    metadata: bool = False
    #: An image people work in interactively (a notebook server): its compilers are for them.
    interactive: bool = False
    #: Who it runs as is known to differ from root but not by name: a third party's dev
    #: container image (built FROM the mcr ones, their devcontainer.metadata inherited).
    user_unknown: bool = False


_GO = (("GOPATH", "/go"),)
_RUST = (("CARGO_HOME", "/usr/local/cargo"), ("RUSTUP_HOME", "/usr/local/rustup"))
_CONDA = (("CONDA_DIR", "/opt/conda"),)
_OFFICIAL = r"^(docker\.io/)?(library/)?"
#: First match wins. The users of mcr.microsoft.com/devcontainers/* are those of their
#: devcontainer.json (github.com/devcontainers/images, src/*/.devcontainer/devcontainer.json).
_KNOWN: list[tuple[re.Pattern[str], KnownImage]] = [
    (re.compile(p, re.IGNORECASE), image)
    for p, image in [
        (r"mcr\.microsoft\.com/windows/|nanoserver|windowsservercore", KnownImage(windows=True)),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/(javascript-node|typescript-node)\b",
            KnownImage("node", metadata=True),
        ),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/universal\b",
            KnownImage("codespace", metadata=True),
        ),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/go\b",
            KnownImage("vscode", _GO, metadata=True),
        ),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/rust\b",
            KnownImage("vscode", _RUST, metadata=True),
        ),
        (
            r"^mcr\.microsoft\.com/(vscode/)?devcontainers/(ana|mini)conda\b",
            KnownImage("vscode", _CONDA, metadata=True),
        ),
        (r"^mcr\.microsoft\.com/(vscode/)?devcontainers/", KnownImage("vscode", metadata=True)),
        (_OFFICIAL + r"golang(:|@|$)", KnownImage(env=_GO)),
        (_OFFICIAL + r"rust(:|@|$)", KnownImage(env=_RUST)),
        (_OFFICIAL + r"ruby(:|@|$)", KnownImage(env=(("GEM_HOME", "/usr/local/bundle"),))),
        # .NET's chiseled and distroless images set USER $APP_UID (app, 1654)
        (
            r"^mcr\.microsoft\.com/dotnet/[a-z-]+:[^@]*(chiseled|distroless)",
            KnownImage("1654"),
        ),
        (
            r"(^|/)micromamba(:|@|$)",
            KnownImage("mambauser", (("MAMBA_ROOT_PREFIX", "/opt/conda"),)),
        ),
        (
            # the docker-stacks notebook images (not jupyterhub's, which run as root)
            r"^((quay|docker)\.io/)?jupyter/[a-z-]*(notebook|docker-stacks-foundation)\b",
            KnownImage(
                "jovyan",
                (*_CONDA, ("NB_USER", "jovyan"), ("NB_UID", "1000")),
                interactive=True,
            ),
        ),
        # ghcr.io/<owner>/devcontainers/<name>: dev container images of others
        (r"^[^/]+\.[^/]+/[^/]+/devcontainers?/", KnownImage(user_unknown=True, metadata=True)),
        (r"^(docker\.io/)?grafana/grafana\b", KnownImage("472")),
        (r"^(docker\.io/)?grafana/k6\b", KnownImage("k6")),
        (r"^(docker\.io/)?jenkins/(jenkins|inbound-agent|agent)\b", KnownImage("jenkins")),
        (r"^(docker\.io/)?bitnami/", KnownImage("1001")),
        (r"-unprivileged(:|@|$)", KnownImage("101")),
        (r"^cgr\.dev/chainguard/", KnownImage("65532")),
        (r"^(docker\.io/)?selenium/", KnownImage("seluser")),
        (r"^(docker\.io/)?gitpod/workspace-", KnownImage("gitpod")),
        (r"^(docker\.io/)?codercom/code-server\b", KnownImage("coder")),
        (r"^docker\.elastic\.co/(elasticsearch|kibana|logstash)/", KnownImage("1000")),
        (r"^(docker\.io/)?prom/", KnownImage("nobody")),
        (r"^quay\.io/keycloak/keycloak\b", KnownImage("1000")),
        # a tag that says so: gcr.io/distroless/static:nonroot, …:rootless
        (r":[^/@]*\b(nonroot|non-root|rootless)\b", KnownImage("nonroot")),
        (
            _OFFICIAL + r"(postgres|mysql|mariadb|percona|redis|mongo|rabbitmq|cassandra|"
            r"couchdb|zookeeper|nextcloud)(:|@|$)",
            KnownImage(steps_down=True),
        ),
        # its entrypoint runs the server through `clickhouse su` / gosu as user clickhouse
        (
            r"^(docker\.io/)?(clickhouse|altinity|yandex)/clickhouse-server\b",
            KnownImage(steps_down=True),
        ),
    ]
]


def known_image(ref: str) -> KnownImage:
    """What doctor knows of the image ``ref`` (nothing, for most)."""
    for pattern, image in _KNOWN:
        if pattern.search(ref):
            return image
    return KnownImage()


def root_user(user: str) -> bool:
    """Whether a USER value (``name[:group]``, a uid, or nothing) means root."""
    name = user.split(":")[0].strip()
    return name in ("", "root", "0")
