"""End to end: `devkit new`, then the reference Dev Containers CLI on a real engine.

For each small project in tests/fixtures/adopt/ (laid out like real ones: pip with
requirements-dev and extras, a uv workspace, Poetry, npm/pnpm/Yarn workspaces, a Go module),
rendered on the default Debian 13 base with the answers a detector gives it (no `# syntax=`
line since nothing can be pulled): `devcontainer up` builds with BuildKit, Node.js 24 comes
from a mirror on 127.0.0.1 filled from the npm registry (tests/toolchain_mirror.py), and the
project's own test command passes with no step before it; the remote user is not root and can
write into every named volume; after `devcontainer up --remove-existing-container` what was
written and what was installed by hand are still there. Cheaper tests build single stages:
the base stage with an extra CA certificate, the dev stage on a base that already has the
uid, and the upstream toolchain stages against stand-ins of Go, rustup, .NET and Python builds
(checksums checked, a wrong one refused).

Every run uses unique project names and removes exactly what it made: the compose project's
containers and network, the volumes labelled dev.devkit.project=<name>, the images labelled
the same way (the template labels its builds; the CLI's `vsc-…-uid` image inherits the label).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import toolchain_mirror
from conftest import TEST_LABEL_ARG, TEST_LABELS
from template_helpers import REPO_ROOT, load_devcontainer, render_cli, volume_targets

pytestmark = [pytest.mark.docker, pytest.mark.slow]

UP_TIMEOUT = 1500
EXEC_TIMEOUT = 120
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "adopt"
#: The host's trust bundle (behind a TLS-intercepting proxy, its CA is in it).
HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def _env() -> dict[str, str]:
    """Debian's docker client first (it builds with BuildKit), BuildKit on for compose v1.

    ``DEVKIT_DOCKER`` names another docker client (CI's Docker 20.10 lane), whose folder then
    comes first on PATH: Compose v1 builds with the ``docker`` it finds there.
    """
    env = dict(os.environ)
    first = os.path.dirname(env["DEVKIT_DOCKER"]) if env.get("DEVKIT_DOCKER") else "/usr/bin"
    env["PATH"] = first + os.pathsep + env.get("PATH", "")
    env["DOCKER_BUILDKIT"] = "1"
    env["COMPOSE_DOCKER_CLI_BUILD"] = "1"
    return env


def _cli_paths() -> list[str]:
    """``--docker-path``/``--docker-compose-path`` from ``DEVKIT_DOCKER``/``DEVKIT_COMPOSE``.

    Without them the Dev Containers CLI picks ``docker`` and ``docker compose`` (else
    ``docker-compose``) from PATH; CI's Docker 20.10 lane points them at that engine's client
    and at Compose v1.
    """
    extra = []
    for variable, option in (
        ("DEVKIT_DOCKER", "--docker-path"),
        ("DEVKIT_COMPOSE", "--docker-compose-path"),
    ):
        if os.environ.get(variable):
            extra += [option, os.environ[variable]]
    return extra


def _devcontainer() -> str:
    exe = shutil.which("devcontainer")
    if exe is None:
        if os.environ.get("DEVKIT_REQUIRE_DOCKER") == "1":
            pytest.fail("the Dev Containers CLI (`devcontainer`) is not installed")
        pytest.skip("the Dev Containers CLI (`devcontainer`) is not installed")
    return exe


def _cleanup(client: Any, name: str) -> None:
    """Remove what one project made in the engine, and nothing else."""
    compose_project = {"label": f"com.docker.compose.project={name}"}  # compose.yaml's name:
    ours = {"label": f"dev.devkit.project={name}"}
    seen = set()
    for filters in (compose_project, ours):
        for container in client.containers.list(all=True, filters=filters):
            if container.id not in seen:
                seen.add(container.id)
                container.remove(force=True, v=False)
    for network in client.networks.list(filters=compose_project):
        network.remove()
    for volume in client.volumes.list(filters=ours):
        volume.remove(force=True)
    # Children (the CLI's vsc-…-uid image, our dev image on a test base) must go before their
    # parents, so retry in passes until nothing of ours is left.
    for _ in range(5):
        images = client.images.list(filters=ours)
        if not images:
            break
        for image in images:
            with contextlib.suppress(docker.errors.APIError):
                client.images.remove(image.id, force=True, noprune=False)
    left = client.images.list(filters=ours) + client.volumes.list(filters=ours)
    assert not left, f"could not clean up {left}"


@pytest.fixture
def new_project(
    docker_client: Any, trixie_image: str, tmp_path: Path
) -> Iterator[Callable[..., Path]]:
    """Render a uniquely named project with `devkit new --defaults` (into a copy of a fixture
    layout, when given); clean up afterwards."""
    names: list[str] = []

    def make(prefix: str, data: dict[str, Any], fixture: str | None = None) -> Path:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        names.append(name)
        if fixture is not None:
            shutil.copytree(FIXTURES / fixture, tmp_path / name)
        project = render_cli(
            tmp_path / name, {"dockerfile_syntax": False, "project_name": name, **data}
        )
        # As on a developer's machine, the files belong to the host user whose UID the
        # template's `uid` answer matches (the tests run as root; the default uid is 1000).
        for path in [project, *project.rglob("*")]:
            os.chown(path, 1000, 1000)
        return project

    try:
        yield make
    finally:
        for name in names:
            _cleanup(docker_client, name)


def _up(project: Path, *extra: str) -> tuple[dict[str, Any], str]:
    result = subprocess.run(
        [_devcontainer(), "up", "--workspace-folder", str(project), *_cli_paths(), *extra],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=UP_TIMEOUT,
        check=False,
    )
    log = result.stdout + result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else {}
    assert result.returncode == 0 and outcome.get("outcome") == "success", log[-6000:]
    return outcome, log


def _exec(project: Path, script: str, timeout: int = EXEC_TIMEOUT) -> str:
    result = subprocess.run(
        [
            _devcontainer(),
            "exec",
            "--workspace-folder",
            str(project),
            *_cli_paths(),
            "bash",
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{script}:\n{result.stdout}{result.stderr}"
    return result.stdout


#: Every fixture layout (tests/fixtures/adopt/) with the answers a detector would give for it,
#: the project's own test command, and a package the user installs by hand inside the
#: container (which must survive a re-created container while the manifests stay the same).
LAYOUTS: dict[str, dict[str, Any]] = {
    "pip-src": {
        "data": {
            "stacks": ["python"],
            "python_package_manager": "pip",
            "python_manifests": ["requirements.txt", "requirements-dev.txt", "pyproject.toml"],
        },
        "test": "pytest -q -p no:cacheprovider",
        "hand": ("uv pip install idna==3.10", "python -c 'import idna, fxpip'"),
    },
    "uv-workspace": {
        "data": {
            "stacks": ["python"],
            "python_package_manager": "uv",
            "python_manifests": ["pyproject.toml", "uv.lock", "packages/core/pyproject.toml"],
        },
        "test": "pytest -q -p no:cacheprovider",
        "hand": ("uv pip install idna==3.10", "python -c 'import idna, fxuv, fxuv_core'"),
    },
    "poetry": {
        "data": {
            "stacks": ["python"],
            "python_package_manager": "poetry",
            "python_manifests": ["pyproject.toml", "poetry.lock"],
        },
        "test": "python -m unittest discover -s tests -v",
        "hand": ("pip install idna==3.10", "python -c 'import idna, fxpoetry'"),
    },
    "npm-workspace": {
        "data": {
            "stacks": ["node"],
            "node_package_manager": "npm",
            "node_manifests": [
                "package.json",
                "package-lock.json",
                "packages/a/package.json",
                "packages/b/package.json",
            ],
        },
        "test": "npm test",
        "hand": ("npm install --no-save left-pad@1.3.0", "node -e 'require(\"left-pad\")'"),
    },
    "pnpm-workspace": {
        "data": {
            "stacks": ["node"],
            "node_package_manager": "pnpm",
            "node_manifests": [
                "package.json",
                "pnpm-lock.yaml",
                ".npmrc",  # credential-free settings: copied, so the .dockerignore lets it in
                "pnpm-workspace.yaml",
                "packages/a/package.json",
                "packages/b/package.json",
            ],
        },
        "test": "pnpm test",
        "hand": None,  # pnpm adds packages through the manifests only
    },
    "yarn-berry-workspace": {
        "data": {
            "stacks": ["node"],
            "node_package_manager": "yarn",
            "node_manifests": [
                "package.json",
                "yarn.lock",
                ".yarnrc.yml",
                "packages/a/package.json",
                "packages/b/package.json",
            ],
        },
        "test": "yarn test",
        "hand": None,  # as pnpm
    },
    "go-module": {
        "data": {"stacks": ["go"], "go_version": "1.24"},  # Debian 13's own golang-go
        "test": "go test ./...",
        "hand": None,
    },
}


@pytest.fixture(scope="module")
def node_mirror() -> Iterator[str]:
    """Node.js releases on 127.0.0.1, filled from the npm registry (cached between runs)."""
    root = toolchain_mirror.fill_node()
    with toolchain_mirror.serve(root) as url:
        yield url


def _network_answers(data: dict[str, Any], node_mirror: str) -> dict[str, Any]:
    """What this network needs: the host's trust bundle (a TLS-intercepting proxy's CA may be
    in it, as for a user behind one) and, for Node, the mirror on 127.0.0.1 and the registry
    corepack takes pnpm and Yarn from (whose signatures a proxy may strip)."""
    extra: dict[str, Any] = {}
    if HOST_BUNDLE.is_file():
        extra["ca_certificates"] = str(HOST_BUNDLE)
    if "node" in data["stacks"]:
        extra.update(
            node_mirror=f"{node_mirror}/",
            node_version="24",
            npm_registry="https://registry.npmjs.org",
            npm_verify_signatures=False,
        )
    return {**extra, **data}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_adopted_layout_runs_its_tests_and_keeps_what_was_added(
    new_project: Callable[..., Path], docker_client: Any, node_mirror: str, layout: str
) -> None:
    """A project laid out like real ones comes up on Debian 13 with everything installed: its
    own test command passes at once (dependencies, dev/test groups, extras, workspace members
    and the project itself), the remote user is not root and owns every named volume, and after
    `devcontainer up --remove-existing-container` the volumes' data and a package installed by
    hand are still there (the manifests did not change, so nothing is re-installed)."""
    spec = LAYOUTS[layout]
    project = new_project(
        f"e2e-{layout}", _network_answers(spec["data"], node_mirror), fixture=layout
    )
    targets = volume_targets(project)
    # The environment volumes belong to the package managers (npm removes what it did not put
    # in node_modules): what a user adds there is checked with a package installed by hand.
    caches = {n: t for n, t in targets.items() if not n.endswith(("-python-env", "-node-modules"))}
    first, log = _up(project)
    # BuildKit built it: its step lines, never the classic builder's "Step 1/N". (The
    # Dockerfile's RUN --mount=type=cache would not even parse without BuildKit.) Compose v2
    # names the service first ("#7 [dev base 3/7] RUN …").
    assert re.search(r"#\d+ \[(?:\S+ )?base \d+/\d+\] RUN --mount=type=cache", log), log[-4000:]
    assert not re.search(r"^Step \d+/\d+ :", log, re.M)
    assert first["remoteUser"] == load_devcontainer(project)["remoteUser"] == "dev"
    assert first.get("composeProjectName") == project.name  # compose.yaml's `name:`

    # The remote user is not root and can write into every named volume.
    token = uuid.uuid4().hex
    writes = "; ".join(
        f"echo {token} > {t}/devkit-e2e-probe"
        if t in caches.values()
        else f"touch {t}/devkit-e2e-probe && rm {t}/devkit-e2e-probe"
        for t in targets.values()
    )
    out = _exec(project, f"set -e; id -u; id -un; {writes}; echo written")
    uid, user, done = out.split()
    assert uid != "0" and user == "dev" and done == "written"
    # Those really are the named volumes the compose file declares, with devkit's labels.
    container = docker_client.containers.get(first["containerId"])
    mounted = {m["Name"]: m["Destination"] for m in container.attrs["Mounts"] if m.get("Name")}
    assert mounted == targets
    for volume_name in targets:
        labels = docker_client.volumes.get(volume_name).attrs["Labels"]
        assert labels["dev.devkit.project"] == project.name
        assert labels["dev.devkit.managed"] == "true"

    # The project's own test command, with no step before it.
    _exec(project, spec["test"], timeout=300)
    if spec["hand"]:
        _exec(project, spec["hand"][0], timeout=300)
    # Running post-create again is a no-op that says so.
    again = _exec(project, "bash .devcontainer/post-create.sh")
    if "python" in spec["data"]["stacks"] or "node" in spec["data"]["stacks"]:
        assert "up to date" in again, again

    second, log = _up(project, "--remove-existing-container")
    assert second["containerId"] != first["containerId"]
    reads = "; ".join(f"cat {t}/devkit-e2e-probe" for t in caches.values())
    assert _exec(project, reads).split() == [token] * len(caches)
    if spec["hand"]:
        _exec(project, spec["hand"][1])  # the hand-installed package is still importable
    _exec(project, spec["test"], timeout=300)


def test_extra_ca_certificate_is_trusted_in_the_image(
    new_project: Callable[..., Path],
    docker_client: Any,
    buildkit_docker: str,
    tmp_path: Path,
) -> None:
    """Build only the base stage (cheap: the apt layer is cached) with a freshly made CA.

    The CA file also holds the host's own trust bundle, as a user behind a TLS-intercepting
    proxy would pass it: when the host reaches PyPI over HTTPS, the image must too.
    """
    if shutil.which("openssl") is None:
        if os.environ.get("DEVKIT_REQUIRE_DOCKER") == "1":  # CI installs it: never skip there
            pytest.fail("openssl is needed to make a test CA")
        pytest.skip("openssl is needed to make a test CA")
    ca_dir = tmp_path / "ca"
    ca_dir.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN=devkit test CA {uuid.uuid4().hex[:8]}",
         "-keyout", str(ca_dir / "ca.key"), "-out", str(ca_dir / "ca.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    ca_file = ca_dir / "proxy-cas.pem"
    ca_file.write_text(
        (ca_dir / "ca.pem").read_text() + (HOST_BUNDLE.read_text() if HOST_BUNDLE.is_file() else "")
    )
    project = new_project("e2e-ca", {"ca_certificates": str(ca_file)})
    assert (project / ".devcontainer" / "certs" / "extra-ca.crt").is_file()
    tag = _build_stage(project, "base", buildkit_docker)
    body = "".join((ca_dir / "ca.pem").read_text().strip().splitlines()[1:-1])
    script = (
        "set -e; b=/etc/ssl/certs/ca-certificates.crt; "
        'tr -d "\\n" < "$b" | grep -qF "$BODY"; '
        'openssl verify -CAfile "$b" /usr/local/share/ca-certificates/devkit/extra-ca.crt; '
        "for v in SSL_CERT_FILE REQUESTS_CA_BUNDLE PIP_CERT NODE_EXTRA_CA_CERTS CURL_CA_BUNDLE "
        'GIT_SSL_CAINFO NPM_CONFIG_CAFILE; do [ "${!v}" = "$b" ] || exit 7; done; '
        'if [ "$HTTPS_CHECK" = 1 ]; then '
        'curl -sS -o /dev/null --max-time 60 "$URL"; echo https-ok; fi'
    )
    url = "https://pypi.org/simple/pip/"
    https_check = "1" if _host_reaches(url) else "0"
    env = {"BODY": body, "URL": url, "HTTPS_CHECK": https_check}
    output = docker_client.containers.run(
        tag, ["bash", "-c", script], environment=env, remove=True,
        labels={**TEST_LABELS, "dev.devkit.project": project.name}, user="root",
    )  # fmt: skip
    assert b"extra-ca.crt: OK" in output
    if https_check == "1":
        assert b"https-ok" in output


def _host_reaches(url: str) -> bool:
    """Whether this machine itself gets an HTTPS answer from ``url`` (registries only here)."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=20):
            return True
    except OSError:
        return False


def test_base_image_that_already_has_the_uid(
    new_project: Callable[..., Path],
    docker_client: Any,
    trixie_image: str,
    buildkit_docker: str,
) -> None:
    """Like the Dev Containers images (vscode 1000:1000): that user becomes `dev`, no clash."""
    # Built with BuildKit and labelled only as a test image, so a rerun produces the very same
    # image id and the dev build on top of it is served from BuildKit's cache (cheap). Tagged
    # `:trixie` as the Dev Containers images name their Debian release, which the template reads
    # to use Debian 13's own python3.
    base_tag = f"e2e-vscode-base-{uuid.uuid4().hex[:8]}:trixie"
    base_dockerfile = (
        f"FROM {trixie_image}\n"
        "RUN groupadd -g 1000 vscode && useradd -l -m -u 1000 -g 1000 -s /bin/bash vscode"
        " && touch /home/vscode/.from-base\n"
    )
    made = subprocess.run(
        [buildkit_docker, "build", "--label", TEST_LABEL_ARG, "-t", base_tag, "-"],
        input=base_dockerfile, env=_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project: Path | None = None
    try:
        extra = {"ca_certificates": str(HOST_BUNDLE)} if HOST_BUNDLE.is_file() else {}
        project = new_project("e2e-uid", {"base_image": base_tag, **extra})
        _check_dev_stage_on(project, docker_client, buildkit_docker)
    finally:
        # The dev image built FROM it first, then the base itself.
        if project is not None:
            _cleanup(docker_client, project.name)
        with contextlib.suppress(docker.errors.APIError):
            docker_client.images.remove(base_tag, force=True)


def _check_dev_stage_on(project: Path, docker_client: Any, buildkit_docker: str) -> None:
    tag = _build_stage(project, "dev", buildkit_docker)
    script = (
        "id -un; id -u; id -gn; getent passwd vscode || echo no-vscode; "
        "stat -c %U /home/dev/.cache/pip /home/dev/.vscode-server/extensions; "
        "ls -A /home/dev | grep -x .from-base"
    )
    output = docker_client.containers.run(
        tag, ["bash", "-c", script], remove=True,
        labels={**TEST_LABELS, "dev.devkit.project": project.name},
    )  # fmt: skip
    assert output.decode().split() == [
        "dev",
        "1000",
        "dev",
        "no-vscode",
        "dev",
        "dev",
        ".from-base",
    ]


def _build_stage(project: Path, target: str, buildkit_docker: str, *, fails: bool = False) -> str:
    """Build one stage of the project's Dockerfile with BuildKit, on the host's network (for
    mirrors on 127.0.0.1, as compose.yaml's `network: host`); returns the test-labelled tag,
    or with ``fails`` the build's output, asserting that it failed."""
    tag = f"{project.name}-{target}:test"
    labels = ["--label", f"dev.devkit.project={project.name}", "--label", TEST_LABEL_ARG]
    build = subprocess.run(
        [buildkit_docker, "build", "--network", "host", "--progress", "plain", "--target", target,
         *labels, "-f", ".devcontainer/Dockerfile", "-t", tag, "."],
        cwd=project, env=_env(), capture_output=True, text=True, timeout=UP_TIMEOUT, check=False,
    )  # fmt: skip
    if fails:
        assert build.returncode != 0, build.stdout + build.stderr
        return build.stdout + build.stderr
    assert build.returncode == 0, build.stdout + build.stderr
    return tag


def test_upstream_toolchains_are_checked_and_installed(
    new_project: Callable[..., Path], docker_client: Any, buildkit_docker: str, tmp_path: Path
) -> None:
    """Go, Rust and .NET versions Debian lacks come from their upstreams' layouts (here
    stand-ins on 127.0.0.1), each download checked against its published checksum: Go's
    newest patch of 1.25 by probing, rustup-init with the dist server it is told, the .NET
    SDK of a channel by its releases.json (sha512). A checksum that does not match stops the
    build, naming the file."""
    mirror = tmp_path / "mirror"
    toolchain_mirror.fill_fakes(
        mirror, go="1.25", go_patches=2, rust="1.91.1", dotnet_sdk="8.0.404"
    )
    toolchain_mirror.fill_fakes(
        mirror, go="1.26", go_patches=1, rust="1.91.1", dotnet_sdk="8.0.404"
    )
    # 1.26.1's published checksum is not its archive's.
    (mirror / "go" / f"go1.26.1.linux-{toolchain_mirror.GO_ARCH}.tar.gz.sha256").write_text(
        "0" * 64 + "\n"
    )
    with toolchain_mirror.serve(mirror) as url:
        answers = {
            "stacks": ["go", "rust", "dotnet"],
            "go_version": "1.25",
            "rust_version": "1.91.1",
            "dotnet_version": "8.0",
            "go_mirror": f"{url}/go",
            "rust_mirror": f"{url}/rust",
            "dotnet_mirror": f"{url}/dotnet",
        }
        project = new_project("e2e-toolchains", answers)
        compose = (project / ".devcontainer" / "compose.yaml").read_text()
        assert "network: host" in compose  # the mirrors are on this machine's loopback
        tag = _build_stage(project, "tools", buildkit_docker)
        script = "go version; rustc --version; cat /opt/rustup/installed; dotnet --version"
        output = docker_client.containers.run(
            tag, ["bash", "-c", script], remove=True,
            labels={**TEST_LABELS, "dev.devkit.project": project.name},
        ).decode()  # fmt: skip
        assert output.splitlines() == [
            f"go version go1.25.2 linux/{toolchain_mirror.GO_ARCH} (devkit test stand-in)",
            "rustc 1.91.1 (devkit test stand-in)",
            f"1.91.1 from {url}/rust",
            "8.0.404",
        ]
        bad = new_project("e2e-badsum", {**answers, "go_version": "1.26.1"})
        log = _build_stage(bad, "go-toolchain", buildkit_docker, fails=True)
        assert f"go1.26.1.linux-{toolchain_mirror.GO_ARCH}.tar.gz: FAILED" in log, log[-3000:]


def test_python_build_download_is_checked(
    new_project: Callable[..., Path], buildkit_docker: str, tmp_path: Path
) -> None:
    """A Python version Debian lacks is a uv-managed build from the python_mirror answer (here
    a downloads list of its own on 127.0.0.1); uv refuses an archive whose sha256 is not the
    listed one, and the build stops with its reason."""
    arch = {"x64": "x86_64", "arm64": "aarch64"}[toolchain_mirror.NODE_ARCH]
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    # A well-formed archive (uv unpacks while it downloads), but not the one listed.
    archive = {"python/bin/python3": ("#!/bin/sh\n", 0o755)}
    # A name of its own: uv keeps downloaded archives in the toolchain cache mount, by name.
    name = f"cpython-{uuid.uuid4().hex[:8]}.tar.gz"
    (mirror / name).write_bytes(toolchain_mirror.tar_gz(archive))
    with toolchain_mirror.serve(mirror) as url:
        entry = {
            "name": "cpython", "arch": {"family": arch, "variant": None}, "os": "linux",
            "libc": "gnu", "major": 3, "minor": 12, "patch": 99, "prerelease": "",
            "url": f"{url}/{name}", "sha256": "1" * 64, "variant": None,
            "build": "20990101",
        }  # fmt: skip
        (mirror / "downloads.json").write_text(
            json.dumps({f"cpython-3.12.99-linux-{arch}-gnu": entry})
        )
        extra = {"ca_certificates": str(HOST_BUNDLE)} if HOST_BUNDLE.is_file() else {}
        project = new_project(
            "e2e-pybuild",
            {"python_version": "3.12", "python_mirror": f"{url}/downloads.json", **extra},
        )
        dockerfile = (project / ".devcontainer" / "Dockerfile").read_text()
        assert f"ARG UV_PYTHON_DOWNLOADS_JSON_URL={url}/downloads.json" in dockerfile
        assert "UV_PYTHON_PREFERENCE=only-managed" in dockerfile
        log = _build_stage(project, "tools", buildkit_docker, fails=True)
        assert "uv python install 3.12" in log
        assert re.search(r"(?i)hash mismatch", log), log[-3000:]
