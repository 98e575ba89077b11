"""The registry side of a prebuild: names, what is there, and what its errors mean.

devkit never handles a credential: every registry call goes through the docker CLI
(``docker manifest inspect``, ``docker buildx imagetools inspect``, the build's push), which
uses the engine's own login and credential helpers. ``docker manifest inspect`` is the one
used to check a tag: it trusts the registry as the engine does (``/etc/docker/certs.d``,
insecure registries), where buildx's own resolver reaches a loopback registry over plain
HTTP only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from devkit.errors import DevkitError, UsageError
from devkit.prebuild.dockercli import json_answer, last_line, run

# The reference grammar of the distribution project (docker/distribution reference/regexp.go).
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_REPOSITORY = re.compile(rf"^(?:(?P<host>{_HOST})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)$")
#: The longest repository name the distribution grammar (and so every engine) accepts.
_NAME_MAX = 255
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")

#: Media types of a manifest list / image index and of the attestation entries inside one.
_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)

# What the docker CLI and BuildKit say, and what it means (matched in order, lower case).
_UNREACHABLE = (
    "connection refused",
    "no such host",
    "i/o timeout",
    "network is unreachable",
    "no route to host",
    "tls handshake timeout",
    "server misbehaving",
    "connection reset",
    "dial tcp",
)
_AUTH = (
    "unauthorized",
    "no basic auth credentials",
    "authentication required",
    "incorrect username or password",
)
_DENIED = ("denied", "forbidden", "insufficient_scope", "not authorized")
_NAME = ("name_invalid", "invalid repository name", "name invalid", "name_unknown")
_TLS = ("x509:", "certificate", "http response to https client", "tls:")


def parse_repository(text: str) -> str:
    """``text`` checked as a repository to push to (``ghcr.io/acme/api-dev``): no tag, no
    digest, the registry's own naming rules. A :class:`UsageError` when it is not one."""
    value = text.strip()
    if "@" in value:
        raise UsageError(f"--registry {text!r}: give a repository, without a digest")
    host, _, rest = value.rpartition("/")
    if ":" in rest:
        raise UsageError(
            f"--registry {text!r}: give a repository without a tag (devkit names the tags: "
            "the content tag and buildcache-<target>)"
        )
    _check_length(text, value)
    match = _REPOSITORY.match(value)
    if not match or not host:
        raise UsageError(
            f"--registry {text!r} is not a repository name (REGISTRY/PATH: lower-case "
            "letters, digits and separators . _ -, e.g. ghcr.io/acme/api-dev)"
        )
    if "." not in host and ":" not in host and host != "localhost":
        raise UsageError(
            f"--registry {text!r}: name the registry host first (e.g. ghcr.io/{value} or "
            f"docker.io/{value})"
        )
    return value


def _check_length(text: str, repository: str) -> None:
    # The engine refuses longer names itself, after devkit has built the image.
    if len(repository) > _NAME_MAX:
        raise UsageError(
            f"{text[:60]!r}…: a repository name has at most {_NAME_MAX} characters "
            f"(this one has {len(repository)})"
        )


def split_reference(text: str) -> tuple[str, str | None, str | None]:
    """``REPOSITORY[:TAG][@sha256:DIGEST]`` split into its parts (tag and digest None when
    absent); a :class:`UsageError` naming what is wrong when ``text`` is not a reference."""
    value = text.strip()
    rest, _, digest = value.partition("@")
    if digest and not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise UsageError(f"{text!r}: a digest is sha256: and 64 lower-case hex digits")
    head, _, last = rest.rpartition("/")
    tag = None
    if ":" in last:
        last, tag = last.split(":", 1)
        if not _TAG.match(tag):
            raise UsageError(f"{text!r}: {tag!r} is not a valid tag")
    repository = f"{head}/{last}" if head else last
    _check_length(text, repository)
    if not _REPOSITORY.match(repository):
        raise UsageError(
            f"{text!r} is not an image reference (REGISTRY/PATH[:TAG]: lower-case letters, "
            "digits and separators . _ -, e.g. ghcr.io/acme/api-caches:pip)"
        )
    return repository, tag, digest or None


def registry_host(repository: str) -> str:
    """The registry part of a repository name (``ghcr.io``, ``127.0.0.1:5000``)."""
    return repository.split("/", 1)[0]


def check_tag(tag: str) -> str:
    """``tag`` when it is a valid image tag, else :class:`DevkitError`."""
    if not _TAG.match(tag):
        raise DevkitError(f"{tag!r} is not a valid image tag")
    return tag


@dataclass(frozen=True)
class Published:
    """A tag as the registry holds it: its platforms and their manifests."""

    ref: str
    media_type: str
    #: platform (``linux/arm64``) -> digest of its image manifest
    platforms: dict[str, str] = field(default_factory=dict)
    #: Platforms the list names whose manifest the registry does not have (a push cut off).
    missing: tuple[str, ...] = ()

    @property
    def is_list(self) -> bool:
        """True for a manifest list / image index."""
        return self.media_type in _INDEX_TYPES


class Registry:
    """One registry as the docker CLI reaches it.

    ``insecure`` (from the engine's insecure-registry settings, see
    :func:`devkit.prebuild.builder.insecure_registry`) adds ``--insecure`` to
    ``docker manifest inspect``, which otherwise never speaks plain HTTP.
    """

    def __init__(self, docker: str, repository: str, *, insecure: bool = False) -> None:
        self.docker = docker
        self.repository = repository
        self.insecure = insecure

    def ref(self, tag: str) -> str:
        """``REPOSITORY:tag``."""
        return f"{self.repository}:{check_tag(tag)}"

    def manifest(self, ref: str) -> dict[str, Any] | None:
        """The manifest (or manifest list) ``ref`` names; None when the registry has no such
        tag. :class:`DevkitError` (one line: unreachable, credentials, refused) otherwise."""
        argv = [self.docker, "manifest", "inspect"]
        if self.insecure:
            argv.append("--insecure")
        done = run([*argv, ref])
        if done.returncode != 0:
            text = done.stderr + done.stdout
            if "no such manifest" in text.lower() or "manifest unknown" in text.lower():
                return None
            raise explain(text, ref, "reading")
        try:
            data = json.loads(done.stdout)
        except ValueError as exc:
            raise DevkitError(f"{ref}: the registry sent something that is not JSON") from exc
        if not isinstance(data, dict):
            raise DevkitError(f"{ref}: the registry sent something that is not a manifest")
        return data

    def published(self, tag: str) -> Published | None:
        """What the registry holds under ``tag`` (None: nothing), each platform's manifest
        fetched by digest, so a listed platform is really there (else it is ``missing``)."""
        ref = self.ref(tag)
        data = self.manifest(ref)
        if data is None:
            return None
        media = str(data.get("mediaType") or "")
        if media in _INDEX_TYPES or "manifests" in data:
            platforms: dict[str, str] = {}
            missing: list[str] = []
            for entry in data.get("manifests") or []:
                platform = _platform(entry.get("platform") or {})
                if platform is None:
                    continue  # attestations (unknown/unknown) and the like
                child = f"{self.repository}@{entry.get('digest')}"
                if self.manifest(child) is None:
                    missing.append(platform)
                else:
                    platforms[platform] = str(entry.get("digest"))
            return Published(ref, media or _INDEX_TYPES[0], platforms, tuple(missing))
        return Published(ref, media, {})

    def image_labels(self, ref: str) -> dict[str, str] | None:
        """The labels of the image ``ref`` names (its first platform's), read through
        ``docker buildx imagetools inspect``; None when that cannot reach it."""
        data = json_answer(
            [self.docker, "buildx", "imagetools", "inspect", ref, "--format", "{{json .Image}}"]
        )
        if data is None:
            return None
        if isinstance(data, dict) and "config" not in data:
            data = next(iter(data.values()), {})  # one config per platform
        config = data.get("config") if isinstance(data, dict) else None
        labels = config.get("Labels") if isinstance(config, dict) else None
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _platform(raw: dict[str, Any]) -> str | None:
    os_name, arch = raw.get("os"), raw.get("architecture")
    if not os_name or not arch or os_name == "unknown":
        return None
    variant = raw.get("variant")
    return f"{os_name}/{arch}" + (f"/{variant}" if variant else "")


def explain(text: str, ref: str, action: str) -> DevkitError:
    """One line for what the docker CLI or BuildKit said about a registry.

    ``action`` is ``reading`` or ``pushing``. The categories a user acts on differently come
    first: unreachable, credentials, access refused, name refused, TLS.
    """
    host = registry_host(ref)
    low = text.lower()
    detail = last_line(text)
    if any(word in low for word in _NAME):
        return DevkitError(
            f"the registry {host} refuses the repository name of {ref} ({detail})",
            hint="pick a name the registry accepts (lower case; some registries need an "
            "owner or project prefix)",
        )
    if any(word in low for word in _AUTH):
        return DevkitError(
            f"the registry {host} did not accept the credentials for {action} {ref} ({detail})",
            hint=f"log in with `docker login {host}` (devkit uses the engine's own login)",
        )
    if any(word in low for word in _DENIED):
        return DevkitError(
            f"the registry {host} refused {action} {ref} ({detail})",
            hint="check that your account may push to this repository",
        )
    if any(word in low for word in _TLS):
        return DevkitError(
            f"cannot talk to the registry {host} over TLS ({detail})",
            hint=f"trust its CA in /etc/docker/certs.d/{host}/ca.crt, or list it under "
            "insecure-registries if it only speaks plain HTTP",
        )
    if any(word in low for word in _UNREACHABLE):
        return DevkitError(f"cannot reach the registry {host} ({detail})")
    return DevkitError(f"{action} {ref} failed: {detail}")
