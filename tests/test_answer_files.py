"""devkit.answer_files: answers files (YAML, JSON, recorded Copier answers) and CA files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from template_helpers import FAKE_PEM

from devkit import answer_files as af
from devkit import answers as ans
from devkit.errors import DevkitError


def test_load_yaml_and_json_files(tmp_path: Path) -> None:
    yml = tmp_path / "a.yml"
    yml.write_text("project_name: api\nstacks: [go, rust]\nuid: 1001\n")
    assert af.load_file(yml) == {"project_name": "api", "stacks": ["go", "rust"], "uid": 1001}
    js = tmp_path / "a.json"
    js.write_text(json.dumps({"project_name": "web", "dockerfile_syntax": False}))
    assert af.load_file(js) == {"project_name": "web", "dockerfile_syntax": False}


def test_load_file_ignores_copier_bookkeeping(tmp_path: Path) -> None:
    f = tmp_path / ".copier-answers.yml"
    f.write_text("_commit: v1.0.0\n_src_path: /x\nproject_name: api\nuid: 1001\n")
    # Re-rendering the project the answers belong to keeps its name...
    assert af.load_file(f, target=tmp_path) == {"project_name": "api", "uid": 1001}
    # ...seeding another project does not: "api" names the first one (and its volumes).
    assert af.load_file(f, target=tmp_path / "other") == {"uid": 1001}
    assert af.load_file(f) == {"uid": 1001}
    plain = tmp_path / "team.yml"  # not a project's recorded answers: the name is meant
    plain.write_text("project_name: api\n")
    assert af.load_file(plain, target=tmp_path / "other") == {"project_name": "api"}


def test_load_file_takes_a_comma_string_for_a_list(tmp_path: Path) -> None:
    f = tmp_path / "a.yml"
    f.write_text("stacks: python, node\nforward_ports: 8000\napt_packages: jq\n")
    loaded = af.load_file(f)
    assert loaded["stacks"] == ["python", "node"]
    assert loaded["apt_packages"] == ["jq"]
    assert loaded["forward_ports"] == 8000  # not a string: left for validation to report
    with pytest.raises(
        DevkitError, match=r"forward_ports: 8000 has the wrong type; expected array"
    ):
        ans.check({**ans.defaults(), "project_name": "ok-name", **loaded})


def test_load_empty_file_is_no_answers(tmp_path: Path) -> None:
    f = tmp_path / "empty.yml"
    f.write_text("")
    assert af.load_file(f) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("project_name: [unclosed\n", r"is not valid YAML or JSON \(line"),
        ('{"project_name": "x",}', r"is not valid JSON \(line 1, column"),
        ("- a\n- b\n", "must hold a mapping of answers"),
        ("just text", "must hold a mapping of answers"),
    ],
)
def test_load_file_rejects_non_mappings(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / ("bad.json" if content.startswith("{") else "bad.yml")
    f.write_text(content)
    with pytest.raises(DevkitError, match=message):
        af.load_file(f)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DevkitError, match="does not exist"):
        af.load_file(tmp_path / "nope.yml")


def test_unknown_keys_in_a_file_are_reported_by_check(tmp_path: Path) -> None:
    f = tmp_path / "a.yml"
    f.write_text("project_name: api\ncolour: blue\n")
    with pytest.raises(DevkitError) as err:
        ans.check(ans.merge(ans.defaults(), af.load_file(f)))
    assert "unknown key(s) colour" in str(err.value)


def test_ca_file_checks(tmp_path: Path) -> None:
    with pytest.raises(DevkitError, match="does not exist"):
        af.read_ca_file(tmp_path / "missing.pem")
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    with pytest.raises(DevkitError, match="holds no PEM certificate"):
        af.read_ca_file(empty)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
    with pytest.raises(DevkitError, match="holds no PEM certificate"):
        af.read_ca_file(garbage)
    with pytest.raises(DevkitError, match="is a folder"):
        af.read_ca_file(tmp_path)


def test_ca_file_keeps_only_certificates(tmp_path: Path) -> None:
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"
    bundle = tmp_path / "corp.pem"
    bundle.write_text("comment\n" + FAKE_PEM + key + FAKE_PEM)
    text = af.read_ca_file(bundle)
    assert text.count("BEGIN CERTIFICATE") == 2
    assert "PRIVATE KEY" not in text
    assert "comment" not in text
