"""The wizard, driven in-process through a prompt_toolkit pipe (keys in, a dummy screen out)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from template_helpers import ANSWER_PROPS

from devkit import answers as ans
from devkit.cli import wizard

ENTER, DOWN, SPACE, CTRL_U, CTRL_C = "\r", "\x1b[B", " ", "\x15", "\x03"


@pytest.fixture()
def pipe() -> Iterator[Any]:
    with create_pipe_input() as inp:
        yield inp


def run(pipe: Any, keys: list[str], initial: dict[str, Any] | None = None, **kw: Any) -> Any:
    pipe.send_text("".join(keys))
    start = initial if initial is not None else {**ans.defaults(), "project_name": "demo"}
    return wizard.ask(start, input=pipe, output=DummyOutput(), **kw)


#: What the wizard asks with the default stacks ([python], pip): the python questions, not the
#: node/go/rust/java/dotnet ones, not poetry's version (pip chosen), and never the detected or
#: network-specific answers (manifests, extras, groups, uv's version, mirrors: "x-ask": false).
DEFAULT_QUESTIONS = [
    "project_name", "stacks", "python_package_manager", "python_version", "environments",
    "base_image", "username", "uid", "gid", "apt_packages", "volumes", "ca_certificates",
    "forward_ports", "extensions", "dockerfile_syntax",
]  # fmt: skip


def test_enter_everywhere_gives_the_defaults(pipe: Any) -> None:
    questions = DEFAULT_QUESTIONS
    assert [k for k in ANSWER_PROPS if ANSWER_PROPS[k].get("x-ask") is False] == [
        "uv_version", "python_manifests", "python_extras", "python_groups", "node_manifests",
        "pypi_index", "npm_registry", "npm_verify_signatures", "python_mirror", "node_mirror",
        "go_mirror", "rust_mirror", "dotnet_mirror", "prebuild_registry", "ci",
    ]  # fmt: skip
    got = run(pipe, [ENTER] * len(questions))
    assert list(got) == questions
    expected = {k: v for k, v in ans.defaults().items() if k in questions}
    assert {k: got[k] for k in expected} == expected
    assert got["project_name"] == "demo"
    ans.check({**ans.defaults(), **got})


def test_choices_and_typed_answers(pipe: Any) -> None:
    keys = [
        CTRL_U + "shop-api" + ENTER,  # project_name
        DOWN + SPACE + ENTER,  # stacks: python (checked) + node
        DOWN + DOWN + ENTER,  # python_package_manager: poetry
        CTRL_U + "3.12" + ENTER,  # python_version
        ENTER,  # poetry_version (asked: poetry was chosen)
        DOWN + ENTER,  # node_package_manager: pnpm
        ENTER,  # node_version
        CTRL_U + "9" + ENTER,  # pnpm_version (asked: pnpm was chosen)
        DOWN + ENTER,  # environments: workspace
        ENTER,  # base_image
        CTRL_U + "alice" + ENTER,  # username
        CTRL_U + "1001" + ENTER,  # uid
        CTRL_U + "1002" + ENTER,  # gid
        "jq, postgresql-client" + ENTER,  # apt_packages
        SPACE + ENTER,  # volumes: untick package-cache
        ENTER,  # ca_certificates: none
        "3000,8080" + ENTER,  # forward_ports
        "ms-python.black-formatter" + ENTER,  # extensions
        "n",  # dockerfile_syntax
    ]
    got = run(pipe, keys)
    assert got == {
        "project_name": "shop-api",
        "stacks": ["python", "node"],
        "python_package_manager": "poetry",
        "python_version": "3.12",
        "poetry_version": "2.5.1",
        "node_package_manager": "pnpm",
        "node_version": "24",
        "pnpm_version": "9",
        "environments": "workspace",
        "base_image": "debian:trixie-slim",
        "username": "alice",
        "uid": 1001,
        "gid": 1002,
        "apt_packages": ["jq", "postgresql-client"],
        "volumes": ["shell-history", "editor-extensions", "build-cache"],
        "ca_certificates": "",
        "forward_ports": [3000, 8080],
        "extensions": ["ms-python.black-formatter"],
        "dockerfile_syntax": False,
    }


def test_package_manager_questions_follow_the_chosen_stacks(pipe: Any) -> None:
    # Untick python, tick java: no python question, a java one.
    skip = set(ANSWER_PROPS) - {"stacks", "python_package_manager", "java_build_tool"}
    keys = [SPACE + DOWN * 5 + SPACE + ENTER, DOWN + ENTER]
    got = run(pipe, keys, skip=skip)
    assert got == {"stacks": ["java"], "java_build_tool": "gradle"}


def test_invalid_answers_are_refused_until_fixed(pipe: Any) -> None:
    skip = set(ANSWER_PROPS) - {"project_name", "uid"}
    keys = [
        CTRL_U + "Bad Name" + ENTER,  # refused: the rule is shown, the prompt stays
        CTRL_U + "good-name" + ENTER,
        CTRL_U + "0" + ENTER,  # refused: out of range
        CTRL_U + "abc" + ENTER,  # refused: not a number
        CTRL_U + "4242" + ENTER,
    ]
    got = run(pipe, keys, skip=skip)
    assert got == {"project_name": "good-name", "uid": 4242}


def test_validators_show_the_rule_text_of_the_answers_module() -> None:
    check_uid = wizard._text_validator("uid")
    assert (
        check_uid("0") == ans.text_problem("uid", "0") == "0 is out of range; allowed: 1 to 65533"
    )
    assert check_uid("1000") is True


def test_empty_stack_list_is_refused(pipe: Any) -> None:
    skip = set(ANSWER_PROPS) - {"stacks"}
    # Untick python and press Enter: refused (minItems); then tick go.
    keys = [SPACE + ENTER, DOWN * 2 + SPACE + ENTER]
    assert run(pipe, keys, skip=skip) == {"stacks": ["go"]}


@pytest.mark.parametrize(("default", "shown"), [(True, "(Y/n)"), (False, "(y/N)")])
def test_yes_no_question_shows_its_default(pipe: Any, default: bool, shown: str) -> None:
    # Rendered to a real VT100 screen: the help text must not hide which answer Enter gives.
    import io

    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.output.vt100 import Vt100_Output

    screen = io.StringIO()
    out = Vt100_Output(screen, lambda: Size(rows=40, columns=250), term="xterm")
    skip = set(ANSWER_PROPS) - {"dockerfile_syntax"}
    initial = {**ans.defaults(), "project_name": "demo", "dockerfile_syntax": default}
    pipe.send_text(ENTER)
    assert wizard.ask(initial, skip=skip, input=pipe, output=out) == {"dockerfile_syntax": default}
    assert ANSWER_PROPS["dockerfile_syntax"]["description"] in screen.getvalue()
    assert f"{shown} " in screen.getvalue()


def test_skip_leaves_given_answers_alone(pipe: Any) -> None:
    skip = set(ANSWER_PROPS) - {"gid"}
    assert run(pipe, [ENTER], skip=skip) == {"gid": 1000}


def test_defaults_come_from_initial(pipe: Any) -> None:
    skip = set(ANSWER_PROPS) - {"uid", "node_package_manager"}
    initial = {**ans.defaults(), "project_name": "x1", "uid": 1234, "stacks": ["node"]}
    initial["node_package_manager"] = "yarn"
    assert run(pipe, [ENTER, ENTER], initial=initial, skip=skip) == {
        "node_package_manager": "yarn",
        "uid": 1234,
    }


def test_ctrl_c_raises_keyboard_interrupt(pipe: Any) -> None:
    with pytest.raises(KeyboardInterrupt):
        run(pipe, [CTRL_C])


def test_ctrl_d_gives_up_like_ctrl_c(pipe: Any) -> None:
    # End of input on an empty prompt: an interruption (exit 130), not an internal error.
    with pytest.raises(KeyboardInterrupt):
        run(pipe, [CTRL_U + "\x04"])


def test_a_detected_default_says_where_it_came_from(pipe: Any) -> None:
    import io

    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.output.vt100 import Vt100_Output

    screen = io.StringIO()
    out = Vt100_Output(screen, lambda: Size(rows=40, columns=250), term="xterm")
    skip = set(ANSWER_PROPS) - {"node_package_manager", "uid"}
    initial = {
        **ans.defaults(),
        "project_name": "demo",
        "stacks": ["node"],
        "node_package_manager": "pnpm",
    }
    pipe.send_text(ENTER + ENTER)
    detected = {"node_package_manager": "package.json:4 (packageManager)"}
    result = wizard.ask(initial, skip=skip, detected=detected, input=pipe, output=out)
    assert result == {"node_package_manager": "pnpm", "uid": 1000}  # Enter takes the detected one
    shown = screen.getvalue()
    assert "Node package manager (detected from package.json:4 (packageManager))" in shown
    assert "User ID (detected" not in shown
