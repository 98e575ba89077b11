"""devkit.compose: which compose file a project has, and the named volumes it declares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devkit import compose
from devkit import volumes as vol
from devkit.errors import DevkitError
from devkit.update import volume_migration as update_volumes

WHERE = "x/compose.yaml"
WHERE_RE = re.escape(WHERE)


def _project(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / ".devcontainer"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(f"name: {name.replace('.', '-')}\n")
    return tmp_path


def test_names_in_docker_composes_own_order() -> None:
    # compose-go cli/options.go: DefaultFileNames, the order `docker compose` prefers.
    assert compose.FILE_NAMES == (
        "compose.yaml",
        "compose.yml",
        "docker-compose.yml",
        "docker-compose.yaml",
    )
    assert compose.PATHS[0] == ".devcontainer/compose.yaml"


@pytest.mark.parametrize(
    ("present", "wins"),
    [
        (compose.FILE_NAMES, "compose.yaml"),
        (("compose.yml", "docker-compose.yml"), "compose.yml"),
        (("docker-compose.yaml", "docker-compose.yml"), "docker-compose.yml"),
        (("docker-compose.yaml",), "docker-compose.yaml"),
    ],
)
def test_find_takes_the_first_in_that_order(
    tmp_path: Path, present: tuple[str, ...], wins: str
) -> None:
    project = _project(tmp_path, *present)
    assert compose.find(project) == project / ".devcontainer" / wins


def test_volumes_and_update_read_the_same_file(tmp_path: Path) -> None:
    """The two commands used to disagree when both docker-compose spellings were there."""
    project = _project(tmp_path, "docker-compose.yaml", "docker-compose.yml")
    rel, text = update_volumes.read_compose(project, None)
    assert vol.compose_file(project) == project / rel
    assert text == "name: docker-compose-yml\n"


def test_find_without_a_compose_file(tmp_path: Path) -> None:
    assert compose.find(tmp_path) is None
    (tmp_path / ".devcontainer" / "compose.yaml").mkdir(parents=True)  # a folder is not a file
    assert compose.find(tmp_path) is None
    with pytest.raises(DevkitError, match=r"no \.devcontainer/compose\.yaml"):
        vol.compose_file(tmp_path)


def test_parse() -> None:
    assert compose.parse("", WHERE) == {}
    assert compose.parse("services: {}\n", WHERE) == {"services": {}}
    with pytest.raises(DevkitError, match=r"x/compose\.yaml: not a compose file"):
        compose.parse("- a list\n", WHERE)
    with pytest.raises(DevkitError, match=r"cannot read x/compose\.yaml: "):
        compose.parse("volumes: [unclosed\n", WHERE)


def test_named_volumes() -> None:
    doc = compose.parse(
        """
volumes:
  pip:
    name: p-pip-cache
    labels:
      dev.devkit.purpose: pip-cache
      empty:
      number: 3
  listed:
    name: p-listed
    driver: custom
    labels: ["a=1", "b=x=y", "bare"]
  shared:
    external: true
  anonymous:
""",
        WHERE,
    )
    assert compose.named_volumes(doc, WHERE) == [
        compose.Volume(
            "pip", "p-pip-cache", {"dev.devkit.purpose": "pip-cache", "empty": "", "number": "3"}
        ),
        compose.Volume("listed", "p-listed", {"a": "1", "b": "x=y", "bare": ""}, "custom"),
        compose.Volume("anonymous", None, {}),
    ]
    assert compose.named_volumes({}, WHERE) == []
    assert compose.named_volumes({"volumes": None}, WHERE) == []


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"volumes": ["a"]}, "top-level 'volumes' must be a mapping"),
        ({"volumes": {"a": "text"}}, "volume 'a' must be a mapping"),
        ({"volumes": {"a": {"labels": "k=v"}}}, "volume 'a': labels must be a mapping or a list"),
    ],
)
def test_named_volumes_refuses_what_compose_would(doc: dict[str, object], problem: str) -> None:
    with pytest.raises(DevkitError, match=f"^{WHERE_RE}: {re.escape(problem)}"):
        compose.named_volumes(doc, WHERE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("${TAG}", "3.12"),
        ("$TAG-slim", "3.12-slim"),
        ("${MISSING}", ""),
        ("${MISSING:-fallback}", "fallback"),
        ("${TAG:+set}", "set"),
        ("$$HOME and $${TAG}", "$HOME and ${TAG}"),  # $$: a literal $, never a variable
        ("cost: $$5", "cost: $5"),
    ],
)
def test_interpolate_as_compose_does(text: str, expected: str) -> None:
    assert compose.interpolate(text, {"TAG": "3.12", "HOME": "/root"}) == expected
