"""devkit.answers: schema defaults, typed --data, answers files, validation, CA files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from template_helpers import ANSWER_PROPS, FAKE_PEM

from devkit import answers as ans
from devkit.errors import DevkitError


def test_defaults_are_the_schema_defaults() -> None:
    expected = {k: p["default"] for k, p in ANSWER_PROPS.items() if "default" in p}
    assert ans.defaults() == expected
    assert "project_name" not in ans.defaults()  # no sensible default: comes from the folder


def test_defaults_are_fresh_copies() -> None:
    first = ans.defaults()
    first["stacks"].append("go")
    assert ans.defaults()["stacks"] == ["python"]


def test_defaults_plus_a_name_are_valid() -> None:
    ans.check({**ans.defaults(), "project_name": "my-service"})


@pytest.mark.parametrize(
    ("item", "key", "value"),
    [
        ("stacks=python,node", "stacks", ["python", "node"]),
        ("stacks= python , go ,", "stacks", ["python", "go"]),
        ("apt_packages=", "apt_packages", []),
        ("uid=1001", "uid", 1001),
        ("forward_ports=3000,8080", "forward_ports", [3000, 8080]),
        ("dockerfile_syntax=false", "dockerfile_syntax", False),
        ("dockerfile_syntax=YES", "dockerfile_syntax", True),
        ("project_name=a=b", "project_name", "a=b"),  # only the first '=' splits
        ("base_image=debian:bookworm-slim", "base_image", "debian:bookworm-slim"),
    ],
)
def test_parse_data_types_values_by_schema(item: str, key: str, value: object) -> None:
    assert ans.parse_data([item]) == {key: value}


def test_parse_data_later_wins() -> None:
    assert ans.parse_data(["uid=1", "uid=2"]) == {"uid": 2}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("stacks", "is not KEY=VALUE"),
        ("=python", "is not KEY=VALUE"),
        ("colour=blue", "unknown answer 'colour'; known answers: project_name, stacks"),
        ("uid=abc", "uid: 'abc' is not a whole number"),
        ("forward_ports=80,http", "forward_ports: 'http' is not a whole number"),
        ("dockerfile_syntax=maybe", "dockerfile_syntax: 'maybe' is not a yes/no value"),
    ],
)
def test_parse_data_rejects_bad_items(item: str, message: str) -> None:
    with pytest.raises(DevkitError, match=message.replace("[", r"\[")):
        ans.parse_data([item])


def test_merge_order_later_layers_win() -> None:
    merged = ans.merge(ans.defaults(), {"uid": 5, "gid": 6}, {"uid": 7})
    assert merged["uid"] == 7
    assert merged["gid"] == 6
    assert merged["username"] == "dev"


def test_layers_defaults_folder_name_file_then_data(tmp_path: Path) -> None:
    target = tmp_path / "shop-api"
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text("username: alice\nuid: 1001\nstacks: go\n")
    layers = ans.layers(target, answers_file, ["uid=1002"])
    assert layers.given == {"username": "alice", "uid": 1002, "stacks": ["go"]}
    assert layers.answers == {
        **ans.defaults(),
        "project_name": "shop-api",
        "username": "alice",
        "uid": 1002,
        "stacks": ["go"],
    }
    # Nothing given: only the defaults and the folder's name; a folder name that cannot
    # become a project name is none.
    assert ans.layers(tmp_path / "42", None, []) == ans.Layers({}, ans.defaults())


def test_layers_check_given_answers_before_any_question(tmp_path: Path) -> None:
    layers = ans.layers(tmp_path / "42", None, ["uid=0"])
    with pytest.raises(DevkitError, match="uid"):
        layers.check_given()  # the placeholder name stands in: only uid is wrong
    ans.layers(tmp_path / "42", None, []).check_given()  # nothing given, nothing to say
    with pytest.raises(DevkitError, match="project_name: missing"):
        ans.layers(tmp_path / "42", None, []).complete()


def test_layers_complete_puts_the_wizard_on_top_and_records_an_absolute_ca_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "corp.pem").write_text(FAKE_PEM)
    monkeypatch.chdir(tmp_path)
    layers = ans.layers(tmp_path / "svc", None, ["ca_certificates=corp.pem", "uid=1001"])
    final = layers.complete({"uid": 1003})
    assert final["uid"] == 1003
    assert final["ca_certificates"] == str(tmp_path / "corp.pem")
    assert layers.answers["ca_certificates"] == "corp.pem"  # the layers are left as they were


@pytest.mark.parametrize(
    ("override", "line"),
    [
        ({"project_name": ""}, "project_name: '' is too short: 2-40 characters"),
        ({"project_name": "My App"}, "project_name: 'My App' is not allowed"),
        ({"project_name": "x; rm -rf /"}, "project_name: 'x; rm -rf /' is not allowed"),
        ({"project_name": "api-"}, "project_name: 'api-' is not allowed"),
        (
            {"stacks": ["python", "cobol"]},
            "stacks[1]: 'cobol' is not allowed; choose one of: python",
        ),
        ({"stacks": []}, "stacks: choose at least one of: python, node, go, rust, dotnet, java"),
        ({"stacks": ["go", "go"]}, "stacks: ['go', 'go'] lists the same value more than once"),
        ({"volumes": ["shell-history"] * 2}, "volumes: ['shell-history', 'shell-history'] lists"),
        ({"python_package_manager": "conda"}, "choose one of: pip, uv, poetry"),
        ({"node_package_manager": "bun"}, "choose one of: npm, pnpm, yarn"),
        ({"uid": 0}, "uid: 0 is out of range; allowed: 1 to 65533"),
        ({"uid": 70000}, "uid: 70000 is out of range; allowed: 1 to 65533"),
        ({"gid": -1}, "gid: -1 is out of range"),
        ({"username": "root"}, "username: 'root' is not allowed: a non-root Linux user name"),
        ({"forward_ports": [0]}, "forward_ports[0]: 0 is out of range; allowed: 1 to 65535"),
        ({"extensions": ["nodot"]}, "extensions[0]: 'nodot' is not allowed: an extension id"),
    ],
)
def test_check_names_the_field_and_the_rule(override: dict[str, object], line: str) -> None:
    answers = {**ans.defaults(), "project_name": "ok-name", **override}
    with pytest.raises(DevkitError) as err:
        ans.check(answers)
    assert line in str(err.value)


def test_one_line_per_field_and_rule() -> None:
    # '' breaks minLength and pattern, which share one rule text: reported once.
    with pytest.raises(DevkitError) as err:
        ans.check({**ans.defaults(), "project_name": ""})
    assert str(err.value).count("project_name:") == 1


def test_check_lists_every_problem_one_per_line() -> None:
    answers = {**ans.defaults(), "project_name": "BAD", "uid": 0, "stacks": ["cobol"]}
    with pytest.raises(DevkitError) as err:
        ans.check(answers)
    lines = str(err.value).splitlines()
    assert lines[0] == "invalid answers:"
    assert len(lines) == 4
    assert [ln.strip().split(":")[0] for ln in lines[1:]] == ["project_name", "stacks[0]", "uid"]


def test_check_without_project_name_says_how_to_give_one() -> None:
    with pytest.raises(DevkitError, match="project_name=NAME"):
        ans.check(ans.defaults())


def test_name_from_folder(tmp_path: Path) -> None:
    assert ans.name_from_folder(tmp_path / "my-service") == "my-service"
    # A folder name that is not a project name is turned into one (issue 10: commander.js).
    assert ans.name_from_folder(tmp_path / "commander.js") == "commander-js"
    assert ans.name_from_folder(tmp_path / "My_Service") == "my-service"
    assert ans.name_from_folder(tmp_path / "2fa--Tool__") == "fa-tool"
    assert ans.name_from_folder(tmp_path / ("a" * 50)) == "a" * 40
    # Nothing usable is left: the wizard asks (or --data project_name=... names it).
    assert ans.name_from_folder(tmp_path / "x") is None
    assert ans.name_from_folder(tmp_path / "42") is None
    assert ans.name_from_folder(tmp_path / "...") is None


def test_layers_put_detection_between_the_folder_and_what_was_given(tmp_path: Path) -> None:
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text("node_package_manager: yarn\n", encoding="utf-8")
    detected = {"stacks": ["node"], "node_package_manager": "pnpm", "uid": 1234}
    sources = {"stacks": "package.json", "node_package_manager": "pnpm-lock.yaml", "uid": "x"}
    layers = ans.layers(
        tmp_path / "shop.js", answers_file, ["uid=1001"], detected=detected, detected_from=sources
    )
    assert layers.answers["project_name"] == "shop-js"
    assert layers.answers["stacks"] == ["node"]  # detected, above the schema's default
    assert layers.answers["node_package_manager"] == "yarn"  # the answers file wins
    assert layers.answers["uid"] == 1001  # --data wins
    assert layers.given == {"node_package_manager": "yarn", "uid": 1001}
    # Only detected answers still in force are marked as detected.
    assert layers.detected == {"stacks": "package.json"}


def test_field_errors_only_about_that_field() -> None:
    assert ans.field_errors("uid", 1000) == []
    assert ans.field_errors("uid", 0) == ["uid: 0 is out of range; allowed: 1 to 65533"]
    assert ans.field_errors("project_name", "ok-name") == []


def test_check_validates_the_ca_file(tmp_path: Path) -> None:
    answers = {**ans.defaults(), "project_name": "api", "ca_certificates": str(tmp_path / "x")}
    with pytest.raises(DevkitError, match=r"ca_certificates: file .* does not exist"):
        ans.check(answers)
    good = tmp_path / "ok.pem"
    good.write_text(FAKE_PEM)
    ans.check({**answers, "ca_certificates": str(good)})


def _jsonschema_valid(answers: dict[str, object]) -> bool:
    from devkit.schema import validation_errors

    return validation_errors(answers, "answers.schema.json") == []


def _variants() -> list[dict[str, object]]:
    base: dict[str, object] = {**ans.defaults(), "project_name": "ok-name"}
    odd_values: dict[str, list[object]] = {
        "project_name": ["", "a", "ab", "A1", "a-", "a" * 40, "a" * 41, 5, None, "ok\n", "é-x"],
        "stacks": [[], ["python"], ["python", "python"], ["cobol"], "python", [1], None],
        "python_package_manager": ["pip", "uv", "conda", 1, None, ["pip"]],
        "uid": [0, 1, 65533, 65534, -1, 1.0, 1.5, True, "1000", None],
        "gid": [1000, 0, False],
        "username": ["root", "dev", "Dev", "_x", "-x", "", "a" * 33],
        "apt_packages": [[], ["jq"], ["jq", "jq"], ["J"], ["a"], "jq", [None]],
        "volumes": [[], ["shell-history"], ["nope"], ["build-cache", "build-cache"]],
        "forward_ports": [[], [1], [0], [65535], [65536], [True], [1, 1], [1.0]],
        "extensions": [["a.b"], ["ab"], [".b"], ["a.b", "a.b"]],
        "dockerfile_syntax": [True, False, 1, 0, "true", None],
        "ca_certificates": ["", "x" * 4096, "x" * 4097, None],
        "base_image": ["debian:bookworm-slim", "Debian", "", "a b", "x@sha256:" + "a" * 64],
        "unknown_key": ["x"],
    }
    out = [base]
    for key, values in odd_values.items():
        out += [{**base, key: v} for v in values]
    out.append({k: v for k, v in base.items() if k != "project_name"})
    return out


@pytest.mark.parametrize("answers", _variants())
def test_quick_check_never_accepts_what_jsonschema_rejects(answers: dict[str, object]) -> None:
    quick = ans.surely_valid(answers)
    full = _jsonschema_valid(answers)
    if quick:
        assert full, answers
    # ... and it is not uselessly strict on ordinary answer sets (floats like 1.0, which JSON
    # Schema counts as integers, are left to jsonschema on purpose).
    if full and ".0" not in json.dumps(answers):
        assert quick, answers


# ---------------------------------------------------------------- what the wizard asks and shows


def test_text_problems_are_the_schema_rules() -> None:
    rule = ANSWER_PROPS["project_name"]["x-rule"]
    assert ans.text_problem("project_name", "Bad Name") == f"'Bad Name' is not allowed: {rule}"
    assert str(ans.text_problem("project_name", "")).endswith(rule)
    assert ans.text_problem("project_name", "fine-name") is None
    assert ans.text_problem("uid", "0") == "0 is out of range; allowed: 1 to 65533"
    assert ans.text_problem("uid", "x") == "'x' is not a whole number"
    assert ans.problem("stacks", []) == (
        "choose at least one of: python, node, go, rust, dotnet, java"
    )
    assert ans.text_problem("apt_packages", "jq,Bad Pkg") is not None
    assert ans.text_problem("apt_packages", "") is None


def test_ca_file_is_checked_as_typed(tmp_path: Path) -> None:
    assert "does not exist" in str(ans.text_problem("ca_certificates", str(tmp_path / "no.pem")))
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    assert "holds no PEM certificate" in str(ans.text_problem("ca_certificates", str(junk)))
    good = tmp_path / "ok.pem"
    good.write_text(FAKE_PEM)
    assert ans.text_problem("ca_certificates", str(good)) is None
    assert ans.text_problem("ca_certificates", "") is None


def test_stack_questions_apply_only_to_chosen_stacks() -> None:
    assert ans.applies("python_package_manager", {"stacks": ["python"]})
    assert not ans.applies("python_package_manager", {"stacks": ["go"]})
    assert not ans.applies("java_build_tool", {})
    assert ans.applies("uid", {"stacks": []})  # not a stack's question
    assert ans.applies("go_version", {"stacks": ["go"]})
    assert not ans.applies("go_version", {"stacks": ["python"]})


def test_manager_questions_apply_only_to_the_chosen_manager() -> None:
    """x-when: poetry's version only with poetry (and the python stack), pnpm's with pnpm."""
    node_pnpm = {"stacks": ["python", "node"], "node_package_manager": "pnpm"}
    assert ans.applies("pnpm_version", node_pnpm)
    assert not ans.applies("yarn_version", node_pnpm)
    assert not ans.applies("pnpm_version", {**node_pnpm, "stacks": ["python"]})
    assert ans.applies("poetry_version", {"stacks": ["python"], "python_package_manager": "poetry"})
    assert not ans.applies("poetry_version", {"stacks": ["python"], "python_package_manager": "uv"})
    assert ans.applies("environments", {"stacks": ["go"]})


def test_detected_and_network_answers_are_never_asked() -> None:
    """x-ask false: manifests, extras, groups, mirrors come from detection, --data or a file."""
    python_node = {"stacks": ["python", "node"], "node_package_manager": "npm"}
    for key in ("python_manifests", "node_manifests", "python_extras", "npm_registry"):
        assert not ans.applies(key, python_node)
    # They are still answers: --data sets them, typed by the schema.
    assert ans.parse_data(["python_manifests=requirements.txt,requirements/dev.txt"]) == {
        "python_manifests": ["requirements.txt", "requirements/dev.txt"]
    }
    assert ans.parse_data(["npm_verify_signatures=false"]) == {"npm_verify_signatures": False}


@pytest.mark.parametrize(
    ("key", "good", "bad"),
    [
        ("python_version", ["3.13", "3.11.2"], ["3", "2.7", "3.12.x", "python3.12"]),
        ("node_version", ["24", "24.11.1"], ["24.1", "v24", "lts", ""]),
        ("go_version", ["1.27", "1.25.5"], ["1", "go1.25", "2.0"]),
        ("rust_version", ["stable", "1.85", "1.91.1"], ["latest", "1"]),
        ("dotnet_version", ["10.0", "8.0.404"], ["10", "8.0.4", "net8"]),
        ("python_manifests", [["requirements/dev.txt", "uv.lock"]], [["/x"], ["../x"], ["a b"]]),
        ("python_extras", [["*"], ["tests", "dev-tools"]], [["a b"], ["-x"]]),
        ("node_mirror", ["", "http://127.0.0.1:8765/node"], ["ftp://x", "http://a b", "http://$(id)"]),
        ("environments", ["volume", "workspace"], ["host"]),
    ],
)  # fmt: skip
def test_new_answers_follow_their_rules(key: str, good: list[object], bad: list[object]) -> None:
    for value in good:
        assert ans.problem(key, value) is None, (key, value)
    for value in bad:
        assert ans.problem(key, value), (key, value)


def test_prompt_answers_get_the_schema_type() -> None:
    assert ans.from_prompt("uid", "1001") == 1001
    assert ans.from_prompt("forward_ports", "3000, 8080") == [3000, 8080]
    assert ans.from_prompt("python_package_manager", "uv") == "uv"  # a choice stays as chosen
    assert ans.from_prompt("dockerfile_syntax", False) is False
