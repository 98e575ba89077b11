"""What the buildx builder can do: platforms, registry cache, several platforms at once.

``docker buildx inspect [NAME]`` names the builder's driver and platforms. The ``docker``
driver builds inside the engine; whether it can export a registry cache and build a
manifest list depends on the engine's image store: only the containerd image store
(``docker info`` ``DriverStatus`` ``driver-type io.containerd.snapshotter.v1``) can. The
classic store (overlay2 and friends: Docker 20.10, or 23+ without the
``containerd-snapshotter`` feature) keeps inline cache only, which covers the final stage.
Every other driver (``docker-container``, ``kubernetes``, ``remote``) runs a BuildKit of
its own that can do both.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.errors import DevkitError, UsageError
from devkit.prebuild.dockercli import last_line, run

#: What binfmt_misc calls each architecture's QEMU interpreter (``qemu-<name>``).
QEMU_NAMES = {
    "amd64": "x86_64",
    "386": "i386",
    "arm64": "aarch64",
    "arm": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "mips64le": "mips64el",
    "mips64": "mips64",
    "loong64": "loongarch64",
}
_OSES = ("linux", "windows")
_VARIANTS = {"arm": ("v5", "v6", "v7"), "arm64": ("v8",), "amd64": ("v1", "v2", "v3", "v4")}
_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386"}
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
CONTAINERD_SNAPSHOTTER = "io.containerd.snapshotter.v1"
_TIMEOUT = 60


def parse_platform(text: str) -> str:
    """``text`` as a normalised platform (``linux/arm64``, ``linux/arm/v7``); a
    :class:`UsageError` naming the known ones when it is not one."""
    parts = text.strip().lower().split("/")
    if len(parts) == 1 and parts[0]:
        parts = ["linux", parts[0]]
    if len(parts) not in (2, 3) or parts[0] not in _OSES:
        raise UsageError(f"unknown platform {text!r} (write OS/ARCH, e.g. linux/arm64)")
    parts[1] = _ALIASES.get(parts[1], parts[1])
    if parts[1] not in QEMU_NAMES:
        known = ", ".join(f"linux/{arch}" for arch in QEMU_NAMES)
        raise UsageError(f"unknown platform {text!r} (known: {known})")
    if len(parts) == 3 and parts[2] not in _VARIANTS.get(parts[1], ()):
        raise UsageError(f"unknown platform {text!r}: {parts[1]} has no variant {parts[2]!r}")
    if parts[1] == "arm64" and len(parts) == 3:
        parts = parts[:2]  # arm64/v8 is arm64
    return "/".join(parts)


@dataclass(frozen=True)
class Builder:
    """A buildx builder: ``driver`` (``docker``, ``docker-container``, …), the platforms it
    lists, and for the ``docker`` driver whether the engine uses the containerd image store.
    """

    name: str
    driver: str
    endpoint: str
    platforms: tuple[str, ...] = ()
    containerd_store: bool | None = None
    engine_info: dict[str, Any] = field(default_factory=dict)

    @property
    def registry_cache(self) -> bool:
        """Whether it can export a registry cache of every stage (``mode=max``)."""
        return self.driver != "docker" or self.containerd_store is True

    @property
    def multi_platform(self) -> bool:
        """Whether it can build several platforms into one manifest list at once."""
        return self.driver != "docker" or self.containerd_store is True

    @property
    def local(self) -> bool:
        """Whether it runs on this machine's kernel (so this machine's binfmt_misc counts)."""
        if self.driver == "docker":
            return self.endpoint in ("default", "") or self.endpoint.startswith("unix://")
        return self.driver == "docker-container"

    @property
    def native(self) -> str:
        """The platform it builds without emulation (its first listed one)."""
        return _base(self.platforms[0]) if self.platforms else "linux/amd64"

    def describe(self) -> str:
        """One line, e.g. ``builder default (docker driver, containerd image store)``."""
        store = ""
        if self.driver == "docker":
            store = ", containerd image store" if self.containerd_store else ", classic image store"
        return f"builder {self.name} ({self.driver} driver{store})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "name": self.name,
            "driver": self.driver,
            "platforms": list(self.platforms),
            "containerd_image_store": self.containerd_store,
            "registry_cache": self.registry_cache,
            "multi_platform": self.multi_platform,
        }


def inspect(docker: str, name: str | None = None) -> Builder:
    """The builder ``name`` (None: the current one) as ``docker buildx inspect`` shows it.

    Raises :class:`DevkitError` for an unknown builder or one that is not running.
    """
    argv = [docker, "buildx", "inspect", *([name] if name else [])]
    done = run(argv)
    if done.returncode != 0:
        what = f"builder {name!r}" if name else "the current buildx builder"
        raise DevkitError(
            f"cannot use {what}: {last_line(done.stderr + done.stdout)}",
            hint="list the builders with `docker buildx ls`",
        )
    fields = parse_inspect(done.stdout)
    driver = fields.get("driver", "")
    endpoint = fields.get("endpoint", "")
    platforms = tuple(
        p.strip().rstrip("*") for p in fields.get("platforms", "").split(",") if p.strip()
    )
    status = fields.get("status", "running")
    if status not in ("running", ""):
        raise DevkitError(
            f"buildx builder {fields.get('name', name)!r} is {status}",
            hint=f"start it with `docker buildx inspect --bootstrap {fields.get('name', name)}`",
        )
    info: dict[str, Any] = {}
    store = None
    if driver == "docker":
        info = engine_info(docker, endpoint)
        store = containerd_store(info)
    return Builder(fields.get("name", name or "default"), driver, endpoint, platforms, store, info)


def parse_inspect(text: str) -> dict[str, str]:
    """The first value of each ``Key: value`` line of ``docker buildx inspect`` (lower-case
    keys; the builder's ``Name`` comes before its nodes')."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or line.startswith(" "):
            continue
        key = key.strip().lower()
        if key and key not in fields:
            fields[key] = value.strip()
    return fields


def engine_info(docker: str, context: str | None = None) -> dict[str, Any]:
    """``docker info`` of the engine a docker context (None: the current one) points at."""
    argv = [docker]
    if context and not context.startswith(("unix://", "tcp://", "ssh://", "npipe://")):
        argv += ["--context", context]
    done = run([*argv, "info", "--format", "{{json .}}"])
    if done.returncode != 0:
        raise DevkitError(f"cannot reach the Docker engine: {last_line(done.stderr + done.stdout)}")
    try:
        data = json.loads(done.stdout)
    except ValueError as exc:
        raise DevkitError("`docker info` did not answer JSON") from exc
    return data if isinstance(data, dict) else {}


def containerd_store(info: dict[str, Any]) -> bool:
    """Whether ``docker info`` says the engine keeps images in the containerd image store."""
    status = info.get("DriverStatus") or []
    return any(
        isinstance(pair, list) and len(pair) == 2 and pair[1] == CONTAINERD_SNAPSHOTTER
        for pair in status
    )


def insecure_registry(info: dict[str, Any], host: str) -> bool:
    """Whether the engine speaks to registry ``host`` without TLS checks (its
    ``insecure-registries``: by name, or by address in one of its CIDRs, 127.0.0.0/8 by default).
    """
    config = info.get("RegistryConfig") or {}
    index = (config.get("IndexConfigs") or {}).get(host)
    if isinstance(index, dict) and index.get("Secure") is False:
        return True
    name = host.rsplit(":", 1)[0].strip("[]") if ":" in host else host
    try:
        addresses = {ipaddress.ip_address(name)}
    except ValueError:
        try:
            addresses = {
                ipaddress.ip_address(item[4][0]) for item in socket.getaddrinfo(name, None)
            }
        except (OSError, ValueError):
            return False
    for cidr in config.get("InsecureRegistryCIDRs") or []:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if any(address in network for address in addresses):
            return True
    return False


def check_platforms(
    builder: Builder, platforms: tuple[str, ...], binfmt: Path = BINFMT_DIR
) -> None:
    """Raise :class:`DevkitError` when ``builder`` cannot build ``platforms``: several at once
    on an engine that cannot, or one it lacks an emulator for (saying how to register one)."""
    if len(platforms) > 1 and not builder.multi_platform:
        raise DevkitError(
            f"{builder.describe()} cannot build several platforms at once "
            f"({', '.join(platforms)}): the classic image store holds one platform per image",
            hint='turn on the containerd image store ({"features": {"containerd-snapshotter": '
            "true}} in /etc/docker/daemon.json, then restart dockerd), or name a "
            "docker-container builder with --builder",
        )
    listed = {_base(p) for p in builder.platforms}
    for platform in platforms:
        if _base(platform) in listed:
            continue
        arch = platform.split("/")[1]
        if builder.local and emulator_registered(arch, binfmt):
            continue  # registered after the builder started: BuildKit finds it when it runs
        if builder.local:
            qemu = QEMU_NAMES[arch]
            raise DevkitError(
                f"no emulator for {platform} is registered on this machine "
                f"({builder.describe()} builds {', '.join(sorted(listed)) or 'nothing'})",
                hint="register QEMU with binfmt_misc: `apt-get install qemu-user-static`, then "
                f"write /usr/lib/binfmt.d/qemu-{qemu}.conf to {binfmt}/register (flags OPF, "
                "as systemd-binfmt does), or run "
                f"`docker run --privileged --rm tonistiigi/binfmt --install {arch}`",
            )
        raise DevkitError(
            f"{builder.describe()} cannot build {platform} "
            f"(it builds {', '.join(sorted(listed)) or 'nothing'})",
            hint="pick a builder for that platform with --builder",
        )


def emulator_registered(arch: str, binfmt: Path = BINFMT_DIR) -> bool:
    """Whether binfmt_misc has an enabled ``qemu-<arch>`` entry (any interpreter name)."""
    entry = binfmt / f"qemu-{QEMU_NAMES.get(arch, arch)}"
    try:
        return entry.read_text(encoding="ascii", errors="replace").startswith("enabled")
    except OSError:
        return False


def _base(platform: str) -> str:
    """``os/arch`` of a platform, variant dropped (``linux/amd64/v2`` -> ``linux/amd64``)."""
    return "/".join(platform.split("/")[:2])
