"""A registry with htpasswd auth over TLS, its CA made for this test only.

The engine trusts the CA through ``/etc/docker/certs.d/127.0.0.1:PORT/ca.crt`` (removed
afterwards); credentials live in a ``DOCKER_CONFIG`` of the test's own, written by
``docker login``. devkit never sees them: it proves login, push and pull work through the
engine's own credentials, that wrong or missing ones are one line, and that the secret shows
up in no output, no file of the project or of devkit's data folder, and not in the image.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_LABEL_ARG, _require_docker

from devkit.labels import EXTRA_LABELS_ENV
from prebuild.prebuild_helpers import make_project, remove_images

pytestmark = pytest.mark.docker

USER = "devkit-tester"
PASSWORD = "pw-Zq8v1Kx3-never-print-me"
CERTS_D = Path("/etc/docker/certs.d")


@dataclass
class TLSRegistry:
    host: str
    ca: Path


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        msg = f"{tool} is missing (bash .ci/registry.sh installs it)"
        if _require_docker():
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def tls_registry(tmp_path: Path, docker_client: object) -> Iterator[TLSRegistry]:
    registry_bin = _need("docker-registry")
    htpasswd = _need("htpasswd")
    _need("openssl")
    root = tmp_path / "tls-registry"
    (root / "data").mkdir(parents=True)
    port = _free_port()
    host = f"127.0.0.1:{port}"
    # Key usage and key identifiers as a real CA has them: Python 3.13 verifies strictly.
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "1", "-subj", "/CN=devkit throwaway test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash", cwd=root,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1", cwd=root,
    )  # fmt: skip
    (root / "san.cnf").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.cnf", cwd=root,
    )  # fmt: skip
    subprocess.run(
        [htpasswd, "-Bbc", str(root / "htpasswd"), USER, PASSWORD], check=True, capture_output=True
    )
    (root / "config.yml").write_text(
        f"""version: 0.1
log: {{level: warn}}
storage: {{filesystem: {{rootdirectory: {root / "data"}}}}}
http:
  addr: {host}
  tls: {{certificate: {root / "server.crt"}, key: {root / "server.key"}}}
auth:
  htpasswd: {{realm: devkit-test, path: {root / "htpasswd"}}}
"""
    )
    trust = CERTS_D / host
    try:
        trust.mkdir(parents=True)
        shutil.copy(root / "ca.crt", trust / "ca.crt")
    except OSError as exc:
        msg = f"cannot make the engine trust the test CA in {trust}: {exc}"
        if _require_docker():
            pytest.fail(msg)
        pytest.skip(msg)
    log = (root / "registry.log").open("w")
    proc = subprocess.Popen(
        [registry_bin, "serve", str(root / "config.yml")], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        context = ssl.create_default_context(cafile=str(root / "ca.crt"))
        for _ in range(60):
            try:
                urllib.request.urlopen(f"https://{host}/v2/", context=context, timeout=2)
            except urllib.error.HTTPError as exc:
                if exc.code == 401:  # up, and asking for credentials
                    break
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, ssl.SSLCertVerificationError):
                    raise  # the test's own certificates are wrong: waiting will not help
                time.sleep(0.25)
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("the TLS registry did not start: " + (root / "registry.log").read_text())
        yield TLSRegistry(host, root / "ca.crt")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        shutil.rmtree(trust, ignore_errors=True)


@pytest.fixture
def tls_repo(tls_registry: TLSRegistry, docker_client: Any) -> Iterator[str]:
    """This test's repository in the TLS registry; the engine's images of it go afterwards."""
    repo = f"{tls_registry.host}/devkit-test/tls"
    yield repo
    remove_images(docker_client, repo)


def _env(config: Path) -> dict[str, str]:
    return {**os.environ, "DOCKER_CONFIG": str(config), EXTRA_LABELS_ENV: TEST_LABEL_ARG}


def _run(
    argv: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, input=stdin, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _logged_in(tmp_path: Path, registry: TLSRegistry) -> Path:
    """A DOCKER_CONFIG of its own, logged in to ``registry`` with `docker login`."""
    config = tmp_path / "docker-config"
    config.mkdir()
    login = _run(
        ["docker", "login", registry.host, "-u", USER, "--password-stdin"],
        _env(config),
        stdin=PASSWORD,
    )
    assert login.returncode == 0, login.stderr
    return config


def test_login_push_pull_and_no_secret_anywhere(
    tmp_path: Path, tls_registry: TLSRegistry, tls_repo: str, busybox_image: str
) -> None:
    project = make_project(tmp_path / "project")
    repo = tls_repo
    prebuild = ["devkit", "prebuild", str(project), "--registry", repo, "--target", "dev"]
    outputs: list[str] = []

    # No credentials at all: one line, before anything is built.
    empty = tmp_path / "no-login"
    empty.mkdir()
    done = _run([*prebuild, "--push"], _env(empty))
    outputs += [done.stdout, done.stderr]
    assert done.returncode == 1 and done.stdout == ""
    assert "did not accept the credentials" in done.stderr and "docker login" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("devkit: error:") == 1

    # Wrong credentials in the engine's own store: the same.
    wrong = tmp_path / "wrong-login"
    wrong.mkdir()
    token = base64.b64encode(f"{USER}:not-the-password".encode()).decode()
    (wrong / "config.json").write_text(json.dumps({"auths": {tls_registry.host: {"auth": token}}}))
    done = _run([*prebuild, "--push"], _env(wrong))
    outputs += [done.stdout, done.stderr]
    assert done.returncode == 1 and "did not accept the credentials" in done.stderr

    # The engine's login, then push through devkit.
    config = _logged_in(tmp_path, tls_registry)
    done = _run([*prebuild, "--push", "--json"], _env(config))
    outputs += [done.stdout, done.stderr]
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "pushed"
    ref = result["ref"]

    # Pull it back on a "fresh" engine: untag, pull, run.
    assert _run(["docker", "image", "rm", ref], _env(config)).returncode == 0
    pulled = _run(["docker", "pull", ref], _env(config))
    assert pulled.returncode == 0, pulled.stderr
    ran = _run(["docker", "run", "--rm", ref, "cat", "/hello.txt"], _env(config))
    assert ran.stdout == "hello\n", ran.stderr
    image = _run(["docker", "image", "inspect", ref], _env(config))
    outputs.append(image.stdout)
    done = _run([*prebuild, "--push"], _env(config))
    outputs += [done.stdout, done.stderr]
    assert done.stdout.startswith("up to date:"), done.stderr

    # The secret, as typed and as the engine stores it, is nowhere devkit writes or prints.
    secrets = [PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()]
    data_dir = Path(os.environ["DEVKIT_DATA_DIR"])
    files = [p for folder in (project, data_dir) if folder.exists() for p in folder.rglob("*")]
    texts = outputs + [p.read_bytes().decode("utf-8", "replace") for p in files if p.is_file()]
    for secret in secrets:
        assert not [t for t in texts if secret in t]
    # (The engine's own store holds it, as `docker login` always does.)
    assert secrets[1] in (config / "config.json").read_text()


def test_volumes_push_and_pull_use_the_engines_login_and_leak_nothing(
    tmp_path: Path, tls_registry: TLSRegistry, docker_client: Any, busybox_image: str
) -> None:
    """`devkit volumes push/pull` go through the engine's API (docker-py), which reads the
    same DOCKER_CONFIG as the docker CLI: the same one-line refusals, the same login."""
    import uuid

    source, copy = (f"dkt-tls-{uuid.uuid4().hex[:10]}" for _ in range(2))
    ref = f"{tls_registry.host}/devkit-test/tls-volumes:pip"
    labels = {TEST_LABEL_ARG.split("=")[0]: TEST_LABEL_ARG.split("=")[1]}
    docker_client.volumes.create(source, labels=labels)
    outputs: list[str] = []
    try:
        docker_client.containers.run(
            busybox_image,
            ["sh", "-c", "echo warm > /v/cached.txt"],
            volumes={source: {"bind": "/v", "mode": "rw"}},
            labels=labels,
            remove=True,
        )
        push = ["devkit", "volumes", "push", source, ref]
        for name, auths in (("no-login", None), ("wrong-login", "not-the-password")):
            config = tmp_path / name
            config.mkdir()
            if auths is not None:
                token = base64.b64encode(f"{USER}:{auths}".encode()).decode()
                (config / "config.json").write_text(
                    json.dumps({"auths": {tls_registry.host: {"auth": token}}})
                )
            done = _run(push, _env(config))
            outputs += [done.stdout, done.stderr]
            assert done.returncode == 1 and done.stdout == "", done.stderr
            assert "did not accept the credentials" in done.stderr, done.stderr
            assert done.stderr.count("devkit: error:") == 1 and "Traceback" not in done.stderr

        config = _logged_in(tmp_path, tls_registry)
        done = _run([*push, "--json"], _env(config))
        outputs += [done.stdout, done.stderr]
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["ref"] == ref
        done = _run(["devkit", "volumes", "pull", ref, copy, "--json"], _env(config))
        outputs += [done.stdout, done.stderr]
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["volume"] == copy
        cat = docker_client.containers.run(
            busybox_image,
            ["cat", "/v/cached.txt"],
            volumes={copy: {"bind": "/v", "mode": "ro"}},
            labels=labels,
            remove=True,
        )
        assert cat == b"warm\n"
        secrets = [PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()]
        data_dir = Path(os.environ["DEVKIT_DATA_DIR"])
        files = [p for p in data_dir.rglob("*") if p.is_file()] if data_dir.exists() else []
        texts = outputs + [p.read_bytes().decode("utf-8", "replace") for p in files]
        for secret in secrets:
            assert not [t for t in texts if secret in t]
        assert not docker_client.images.list(name=ref.rsplit(":", 1)[0])
    finally:
        for name in (source, copy):
            with contextlib.suppress(Exception):
                docker_client.volumes.get(name).remove(force=True)
