"""facts.py: what an image does, read from its Dockerfile."""

from __future__ import annotations

from devkit.dockerfile import parse_text
from devkit.doctor.facts import ImageFacts, copied_manifests, copies_everything


def _facts(text: str, **args: str) -> ImageFacts:
    df = parse_text(text)
    return ImageFacts.collect(df, df.final_stage, args)


def test_users_homes_and_the_user_the_image_runs_as() -> None:
    facts = _facts(
        "FROM debian\nARG NAME=dev\nRUN useradd -m -u 1001 -d /srv/$NAME $NAME\nUSER ${NAME}\n"
    )
    assert (facts.runs_as(), facts.homes, facts.uids) == (
        "dev",
        {"dev": "/srv/dev"},
        {"dev": "1001"},
    )
    assert facts.aliases("dev") == {"dev", "1001"}
    assert _facts("FROM mcr.microsoft.com/devcontainers/base:debian\n").runs_as() == "vscode"
    assert _facts("FROM debian\nUSER $FROM_THE_BASE\n").runs_as() is None


def test_paths_created_and_owned_in_order() -> None:
    facts = _facts(
        "FROM debian\nRUN useradd -m dev && mkdir -p /data && chown -R dev /data\n"
        "RUN mkdir /data/later\nCOPY --chown=dev . /app\nUSER dev\nRUN mkdir -p ~/.cache\n"
    )
    aliases = facts.aliases("dev")
    assert facts.ownership("/data", aliases) == (True, True)
    # chown -R changed what existed when it ran: a folder made later (as root) stays root's
    assert facts.ownership("/data/later", aliases) == (True, False)
    assert facts.ownership("/app/src", aliases) == (True, True)
    assert facts.ownership("/home/dev/.cache", aliases) == (True, True)
    assert facts.ownership("/nowhere", aliases) == (False, False)


def test_copies_everything_and_copied_manifests() -> None:
    df = parse_text(
        "FROM x\nCOPY . .\nCOPY ./* /app/\nCOPY src /app/src\n"
        "COPY package.json yarn.lock ./\nCOPY --from=b /x /y\n"
        "RUN --mount=type=bind,source=uv.lock,target=uv.lock uv sync\n"
    )
    ins = df.final_stage.instructions
    assert [copies_everything(i) for i in ins[:4]] == [True, True, False, False]
    assert copied_manifests(ins[3]) == {"npm", "yarn", "pnpm", "bun"}
    assert copied_manifests(ins[5]) == {"pip", "uv", "poetry"}
