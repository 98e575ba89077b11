"""DK005 and DK006 (rules/image.py), one detail at a time on small Dockerfiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit import doctor

from .doctor_helpers import (
    audit_dockerfile,
    buildkit_ok,
    copy_fixture,
)

APP = 'COPY app /srv/app\nCMD ["/srv/app/run"]\n'  # an image that ships and runs an app


def test_dk005_toolchain_removed_again_is_fine_and_sdk_base_is_not(tmp_path: Path) -> None:
    purged = (
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt rm -f /etc/apt/apt.conf.d/docker-clean"
        f" && apt-get install -y gcc && make && apt-get purge -y gcc\nUSER 1000\n{APP}"
    )
    assert audit_dockerfile(tmp_path, purged) == []
    sdk = f"FROM golang:1.22\nUSER 1000\n{APP}"
    assert audit_dockerfile(tmp_path, sdk) == [("DK005", 1)]
    multi = f"FROM golang:1.22 AS build\nFROM busybox\nUSER 1000\n{APP}"
    assert audit_dockerfile(tmp_path, multi) == []


def test_dk005_apt_mark_auto_and_autoremove_purge_what_the_run_installed(tmp_path: Path) -> None:
    """The official images' way: mark everything auto, re-mark what was manual before, then
    `apt-get purge --auto-remove` takes the build dependencies away in the same RUN."""
    run = (
        "RUN --mount=type=cache,target=/var/cache/apt rm -f /etc/apt/apt.conf.d/docker-clean"
        ' && saved="$(apt-mark showmanual)" && apt-get install -y gcc libffi-dev make'
        " && make install && apt-mark auto '.*' > /dev/null && apt-mark manual $saved"
        " && apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false\n"
    )
    assert audit_dockerfile(tmp_path, f"FROM debian\n{run}USER 1000\n{APP}") == []
    kept = run.replace("apt-mark auto '.*' > /dev/null && ", "")
    assert audit_dockerfile(tmp_path, f"FROM debian\n{kept}USER 1000\n{APP}") == [("DK005", 2)]


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("Dockerfile", True),
        ("Dockerfile.prod", True),
        ("Dockerfile.dev", False),
        ("test.Dockerfile", False),
        ("Dockerfile.ci", False),
        ("Dockerfile.build", False),
        ("Dockerfile.base", False),  # only built to be used FROM elsewhere
        ("Dockerfile.developer", True),  # a word of its own only
        ("packaging/Dockerfile", False),  # builds a package
    ],
)
def test_dk005_not_for_dockerfiles_named_for_dev_test_or_build(
    tmp_path: Path, name: str, flagged: bool
) -> None:
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_text(
        "FROM debian:bookworm-slim\n"
        "RUN --mount=type=cache,target=/var/cache/apt apt-get install -y build-essential\n"
        f"USER 1000\n{APP}"
    )
    (tmp_path / name).with_name(".dockerignore").write_text(".git\n")
    rules = {f.rule for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings}
    assert ("DK005" in rules) is flagged, rules


def test_dk005_not_for_base_and_tool_images_nobody_builds(tmp_path: Path) -> None:
    """python:3.12 (FROM buildpack-deps) ships gcc on purpose: it runs a REPL, nothing of its
    own; built by a compose service it would be an app's image, and reported."""
    text = 'FROM buildpack-deps:bookworm\nRUN echo runtime built here\nCMD ["python3"]\n'
    assert audit_dockerfile(tmp_path, text) == []
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    build: .\n")
    assert ("DK005", 1) in audit_dockerfile(tmp_path, text)


_BUILD_TOOLS = (
    "RUN --mount=type=cache,target=/var/cache/apt rm -f /etc/apt/apt.conf.d/docker-clean"
    " && apt-get install -y build-essential\n"
)


@pytest.mark.parametrize(
    ("body", "flagged"),
    [
        # the project is mounted at the WORKDIR: the command runs a file nothing puts there
        ('WORKDIR /code\nCMD ["python", "manage.py", "runserver"]\n', False),
        (
            'WORKDIR /code\nRUN pip install django\nCMD ["python", "manage.py", "runserver"]\n',
            False,
        ),
        ('WORKDIR /code\nRUN pip install -e .\nCMD ["python", "manage.py", "runserver"]\n', True),
        ('WORKDIR /srv\nWORKDIR app\nENTRYPOINT ["php", "artisan"]\nCMD ["serve"]\n', False),
        ('WORKDIR /srv/app\nENV RUN_CMD="php /srv/app/console serve"\nCMD ["start"]\n', False),
        # ... but something puts it there, or the command names no file of that folder
        ('WORKDIR /code\nCOPY . .\nCMD ["python", "manage.py", "migrate"]\n', True),
        ('WORKDIR /code\nRUN git clone https://x.org/app.git .\nCMD ["python", "app.py"]\n', True),
        ('WORKDIR /code\nRUN curl -o a.tgz https://x.org/a.tgz\nCMD ["node", "a.js"]\n', True),
        ('WORKDIR /code\nRUN npm ci\nCMD ["node", "server.js"]\n', True),
        ('WORKDIR /code\nCMD ["bash", "-c", "npm start"]\n', True),
        ('WORKDIR /code\nCMD ["python", "-m", "app"]\n', True),
        ('WORKDIR /\nCMD ["python", "manage.py"]\n', True),
        ('CMD ["python", "manage.py"]\n', True),  # no WORKDIR of its own: the base's
        # an init or export image copying what its build made into a volume or a mount
        ("VOLUME /out\nCMD cp /build/site.tar /out/\n", False),
        ('ENTRYPOINT ["sh", "-c", "mkdir -p /out/x && cp -r /build/. /out/x"]\n', False),
        ('VOLUME /out\nCMD ["/srv/gen", "/out"]\n', True),  # runs a program of its own
        ('CMD ["sh", "-c", "cp /build/app.conf /etc/ && /srv/app"]\n', True),
    ],
)
def test_dk005_not_for_mounted_runtimes_and_one_shot_copies(
    tmp_path: Path, body: str, flagged: bool
) -> None:
    text = f"FROM python:3.12-slim\n{_BUILD_TOOLS}{body}"
    assert (("DK005", 2) in audit_dockerfile(tmp_path, text)) is flagged


@pytest.mark.parametrize(
    ("run", "flagged"),
    [
        ('CMD ["npm", "run", "dev"]', False),
        ('CMD ["yarn", "dev"]', False),
        ('ENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["pnpm", "run", "watch"]', False),
        ('CMD ["tini", "--", "nodemon", "server.js"]', False),
        ('CMD ["sh", "-c", "npm ci && npx next dev -p 3000"]', False),
        ('CMD ["uvicorn", "app:app", "--reload"]', False),
        # production commands of the same projects; Django's and Laravel's development
        # servers, which images deployed as they are often run
        ('CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]', True),
        ('CMD ["php", "artisan", "serve", "--host=0.0.0.0"]', True),
        ('CMD ["npm", "start"]', True),
        ('CMD ["npm", "run", "build"]', True),
        ('CMD ["next", "start"]', True),
        ('CMD ["gunicorn", "app:app"]', True),
        ('CMD ["sh", "-c", "npm run migrate && node server.js"]', True),
    ],
)
def test_dk005_not_for_images_running_a_development_server(
    tmp_path: Path, run: str, flagged: bool
) -> None:
    text = f"FROM node:22-slim\n{_BUILD_TOOLS}WORKDIR /app\nCOPY . .\n{run}\n"
    assert (("DK005", 2) in audit_dockerfile(tmp_path, text)) is flagged


def test_dk005_not_for_a_dev_containers_own_image(tmp_path: Path) -> None:
    root = copy_fixture("dk011-cache-no-volume", tmp_path)
    (root / "requirements.txt").unlink()
    (root / ".devcontainer" / "Dockerfile").write_text(
        "FROM golang:1.22\nRUN useradd -m dev\nUSER dev\n"
    )
    assert doctor.audit(root, buildkit=buildkit_ok).findings == []


def test_dk006_explicit_root_and_arg_substituted_user(tmp_path: Path) -> None:
    run = 'CMD ["/srv/app"]\n'  # an image that runs something of its own
    text = f"FROM busybox\nUSER 1000\nUSER root:root\n{run}"
    assert audit_dockerfile(tmp_path, text) == [("DK006", 3)]
    text = f"FROM busybox\nARG USERNAME=dev\nUSER ${{USERNAME}}\n{run}"
    assert audit_dockerfile(tmp_path, text) == []
    text = f"ARG U=0\nFROM busybox\nARG U\nUSER $U\n{run}"
    assert audit_dockerfile(tmp_path, text) == [("DK006", 4)]
    # a variable only the build (or the base image's ENV) knows: no claim either way
    text = f"FROM example.org/notebook\nUSER ${{NB_UID}}\n{run}"
    assert audit_dockerfile(tmp_path, text) == []
    # an unknown base image (FROM $BASE, no default), but USER root said out loud
    text = f"ARG BASE\nFROM $BASE\nUSER 1000\nRUN make\nUSER root\n{run}"
    assert audit_dockerfile(tmp_path, text) == [("DK006", 5)]


def test_dk006_remote_user_and_nonroot_base_images_are_not_root(tmp_path: Path) -> None:
    dev = tmp_path / ".devcontainer"
    dev.mkdir()
    (dev / "devcontainer.json").write_text(
        '{"build": {"dockerfile": "Dockerfile"}, "remoteUser": "vscode"}'
    )
    (dev / "Dockerfile").write_text("FROM debian:bookworm-slim\n")
    (dev / ".dockerignore").write_text(".git\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / ".dockerignore").write_text(".git\n")
    (app / "Dockerfile").write_text(
        "FROM busybox AS build\nRUN echo hi > /out\n"
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=0 /out /out\n"
        'CMD ["/out"]\n'
    )
    (tmp_path / "Dockerfile").write_text(
        'FROM gcr.io/distroless/static-debian12\nCOPY app /app\nCMD ["/app"]\n'
    )
    (tmp_path / ".dockerignore").write_text(".git\n")
    found = [(f.rule, f.file) for f in doctor.audit(tmp_path, buildkit=buildkit_ok).findings]
    assert found == [("DK006", "Dockerfile")]  # only the image that really runs as root


@pytest.mark.parametrize(
    ("dockerfile", "flagged"),
    [
        ('FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]\n', True),
        ('FROM python:3.12-slim\nCMD ["python3"]\n', False),  # a REPL: a base image
        ("FROM golang:1.22\nRUN go install example.org/tool@latest\n", False),  # no command
        ('FROM php:8.3-fpm\nCOPY conf /usr/local/etc/php/\nCMD ["php-fpm"]\n', False),
        ('FROM php:8.3-fpm\nCOPY src /var/www/html\nCMD ["php-fpm"]\n', True),  # an app
        ('FROM debian\nENTRYPOINT ["tini", "--"]\nCMD ["bash"]\n', False),
        ('FROM debian\nENTRYPOINT ["tini", "--"]\nCMD ["/srv/app"]\n', True),
        # an entrypoint script hands over to CMD: here a shell
        ('FROM debian\nENTRYPOINT ["manylinux-entrypoint"]\nCMD ["/bin/bash"]\n', False),
        # a command that only prints information about the runtime
        ('FROM debian\nENTRYPOINT ["/usr/bin/dotnet"]\nCMD ["--info"]\n', False),
        # FROM a micromamba image built here: its user is mambauser
        ('FROM micromamba:local\nCOPY app /app\nCMD ["python", "/app/run.py"]\n', False),
    ],
)
def test_dk006_a_lone_base_or_tool_image_is_not_reported(
    tmp_path: Path, dockerfile: str, flagged: bool
) -> None:
    """A Dockerfile no compose file or dev container builds, whose image runs nothing of its
    own, is built FROM by others: a USER there would break their `apt-get install`."""
    found = audit_dockerfile(tmp_path, dockerfile)
    assert (("DK006", 1) in found) is flagged, found
