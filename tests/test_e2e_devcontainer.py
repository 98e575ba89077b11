"""End to end: `devkit new --defaults`, then the reference Dev Containers CLI on a real engine.

For a python and a node project (defaults, no `# syntax=` line since nothing can be pulled):
`devcontainer up` builds with BuildKit and starts the compose service; inside, the remote user
is not root and can write into every named volume; after `devcontainer up
--remove-existing-container` what was written is still there. A cheap extra test builds only
the base stage with an extra CA certificate and checks the image trusts it.

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
from conftest import TEST_LABEL_ARG, TEST_LABELS
from template_helpers import load_devcontainer, render_cli, volume_targets

pytestmark = [pytest.mark.docker, pytest.mark.slow]

UP_TIMEOUT = 1500
EXEC_TIMEOUT = 120


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
    compose_project = {"label": f"com.docker.compose.project={name}_devcontainer"}
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
    docker_client: Any, base_image: str, tmp_path: Path
) -> Iterator[Callable[[str, dict[str, Any]], Path]]:
    """Render a uniquely named project with `devkit new --defaults`; clean up afterwards."""
    names: list[str] = []

    def make(prefix: str, data: dict[str, Any]) -> Path:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        names.append(name)
        project = render_cli(tmp_path / name, {"dockerfile_syntax": False, **data})
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


def _exec(project: Path, script: str) -> str:
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
        timeout=EXEC_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("stack", ["python", "node"])
def test_devcontainer_up_keeps_volume_data_across_recreation(
    new_project: Callable[[str, dict[str, Any]], Path], docker_client: Any, stack: str
) -> None:
    project = new_project(f"e2e-{stack}", {"stacks": [stack]})
    name = project.name
    targets = volume_targets(project)
    assert len(targets) == 4  # <manager>-cache, shell-history, editor-extensions, build-cache

    first, log = _up(project)
    # BuildKit built it: its step lines, never the classic builder's "Step 1/N". (The
    # Dockerfile's RUN --mount=type=cache would not even parse without BuildKit.) Compose v2
    # names the service first ("#7 [dev base 3/7] RUN …"), v1's DOCKER_BUILDKIT=1 build not.
    assert re.search(r"#\d+ \[(?:\S+ )?base \d+/\d+\] RUN --mount=type=cache", log), log[-4000:]
    assert not re.search(r"^Step \d+/\d+ :", log, re.M)
    assert first["remoteUser"] == load_devcontainer(project)["remoteUser"] == "dev"

    # The remote user is not root and can write into every named volume.
    token = uuid.uuid4().hex
    writes = "; ".join(f"echo {token} > {t}/devkit-e2e-probe" for t in targets.values())
    out = _exec(project, f"set -e; id -u; id -un; {writes}; echo written")
    uid, user, done = out.split()
    assert uid != "0" and user == "dev" and done == "written"

    # Those really are the named volumes the compose file declares, with devkit's labels.
    container = docker_client.containers.get(first["containerId"])
    mounted = {m["Name"]: m["Destination"] for m in container.attrs["Mounts"] if m.get("Name")}
    assert mounted == targets
    for volume_name in targets:
        labels = docker_client.volumes.get(volume_name).attrs["Labels"]
        assert labels["dev.devkit.project"] == name
        assert labels["dev.devkit.managed"] == "true"

    # The package manager really uses its volume, as the user, in the running container.
    ask = "pip cache dir" if stack == "python" else "npm config get cache"
    manager = "pip" if stack == "python" else "npm"
    assert _exec(project, ask).strip() == targets[f"{name}-{manager}-cache"]

    # postCreateCommand ran; running it again is quiet and succeeds (idempotent).
    assert _exec(project, "bash .devcontainer/post-create.sh && echo ok").strip() == "ok"
    if stack == "node":
        assert (project / "package-lock.json").is_file()  # made by post-create's npm install

    second, _ = _up(project, "--remove-existing-container")
    assert second["containerId"] != first["containerId"]
    reads = "; ".join(f"cat {t}/devkit-e2e-probe" for t in targets.values())
    assert _exec(project, reads).split() == [token] * len(targets)


def test_extra_ca_certificate_is_trusted_in_the_image(
    new_project: Callable[[str, dict[str, Any]], Path],
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
    host_bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    ca_file = ca_dir / "proxy-cas.pem"
    ca_file.write_text(
        (ca_dir / "ca.pem").read_text() + (host_bundle.read_text() if host_bundle.is_file() else "")
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
    new_project: Callable[[str, dict[str, Any]], Path],
    docker_client: Any,
    base_image: str,
    buildkit_docker: str,
) -> None:
    """Like the Dev Containers images (vscode 1000:1000): that user becomes `dev`, no clash."""
    # Built with BuildKit and labelled only as a test image, so a rerun produces the very same
    # image id and the dev build on top of it is served from BuildKit's cache (cheap).
    base_tag = f"e2e-vscode-base-{uuid.uuid4().hex[:8]}:test"
    base_dockerfile = (
        f"FROM {base_image}\n"
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
        project = new_project("e2e-uid", {"base_image": base_tag})
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


def _build_stage(project: Path, target: str, buildkit_docker: str) -> str:
    """Build one stage of the project's Dockerfile with BuildKit; returns the test-labelled tag."""
    tag = f"{project.name}-{target}:test"
    labels = ["--label", f"dev.devkit.project={project.name}", "--label", TEST_LABEL_ARG]
    build = subprocess.run(
        [buildkit_docker, "build", "--target", target, *labels, "-f", ".devcontainer/Dockerfile",
         "-t", tag, "."],
        cwd=project, env=_env(), capture_output=True, text=True, timeout=UP_TIMEOUT, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    return tag
