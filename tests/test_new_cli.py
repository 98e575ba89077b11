"""`devkit new` end to end (no Docker): in-process through devkit.cli.main and as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from template_helpers import ANSWER_PROPS, FAKE_CERT_BODY, FAKE_PEM

from devkit.cli import main

RENDERED = [
    ".copier-answers.yml",
    ".devcontainer/devcontainer.json",
    ".devcontainer/compose.yaml",
    ".devcontainer/Dockerfile",
    ".dockerignore",
]


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: Any) -> None:
    """In-process runs never see a terminal, even under `pytest -s` from a shell (no wizard)."""
    from devkit.cli._common import UI

    monkeypatch.setattr(UI, "interactive", property(lambda self: False))


@pytest.fixture()
def on_a_terminal(monkeypatch: Any) -> None:
    """This test's in-process runs do see a terminal (the wizard runs)."""
    from devkit.cli._common import UI

    monkeypatch.setattr(UI, "interactive", property(lambda self: True))


@pytest.fixture()
def wizard_calls(monkeypatch: Any, on_a_terminal: None) -> list[object]:
    """On a terminal, with a wizard that answers nothing: the list of its calls."""
    from devkit.cli import wizard

    asked: list[object] = []
    monkeypatch.setattr(wizard, "ask", lambda *a, **k: asked.append(a) or {})
    return asked


def listing(folder: Path) -> list[str]:
    """Every path under ``folder`` (hidden ones too), to prove nothing was left behind."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def recorded(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return data


def devkit(*args: str, cwd: Path | None = None, stdin: Any = subprocess.DEVNULL) -> Any:
    """Run devkit as a user does: a separate process, no terminal."""
    return subprocess.run(
        [sys.executable, "-m", "devkit", *args],
        cwd=cwd,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


# --- the happy paths ---------------------------------------------------------------------


def test_defaults_render_the_project(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "my-service"
    assert main(["new", str(target), "--defaults"]) == 0
    for name in RENDERED:
        assert (target / name).is_file(), name
    answers = recorded(target)
    assert answers["project_name"] == "my-service"  # from the folder's name
    assert answers["stacks"] == ["python"]
    assert answers["_commit"].startswith("v")  # the versioned mirror's tag, for `copier update`
    assert Path(answers["_src_path"]).is_absolute()
    out = capsys.readouterr().out
    assert ".devcontainer/devcontainer.json" in out
    assert f"cd {target} && devcontainer up --workspace-folder ." in out
    assert listing(tmp_path)[0] == "my-service"  # no staging folder left next to it
    assert all(p.startswith("my-service") for p in listing(tmp_path))


def test_data_overrides_and_types(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    code = main(
        [
            "new",
            str(target),
            "--defaults",
            "--data",
            "stacks=python,node",
            "--data",
            "node_package_manager=pnpm",
            "--data",
            "uid=1001",
            "--data",
            "dockerfile_syntax=false",
            "--data",
            "forward_ports=3000,8000",
        ]
    )
    assert code == 0
    answers = recorded(target)
    assert answers["stacks"] == ["python", "node"]
    assert answers["node_package_manager"] == "pnpm"
    assert answers["uid"] == 1001
    assert answers["dockerfile_syntax"] is False
    assert answers["forward_ports"] == [3000, 8000]
    compose = (target / ".devcontainer" / "compose.yaml").read_text()
    assert "svc-pnpm-cache" in compose
    assert not (target / ".devcontainer" / "Dockerfile").read_text().startswith("# syntax=")


@pytest.mark.parametrize("suffix", ["yml", "json"])
def test_answers_file(tmp_path: Path, suffix: str) -> None:
    data = {"project_name": "from-file", "stacks": ["go"], "username": "gopher"}
    answers_file = tmp_path / f"answers.{suffix}"
    answers_file.write_text(json.dumps(data) if suffix == "json" else yaml.safe_dump(data))
    target = tmp_path / "proj"
    # --data beats the file; no --defaults needed without a terminal.
    code = main(["new", str(target), "--answers-file", str(answers_file), "--data", "uid=1234"])
    assert code == 0
    answers = recorded(target)
    assert answers["project_name"] == "from-file"
    assert answers["stacks"] == ["go"]
    assert answers["username"] == "gopher"
    assert answers["uid"] == 1234


def test_a_projects_recorded_answers_seed_another(tmp_path: Path) -> None:
    first = tmp_path / "first"
    assert main(["new", str(first), "--defaults", "--data", "stacks=rust"]) == 0
    second = tmp_path / "second"
    answers_file = str(first / ".copier-answers.yml")
    code = main(
        ["new", str(second), "--answers-file", answers_file, "--data", "project_name=second"]
    )
    assert code == 0
    assert recorded(second)["stacks"] == ["rust"]
    # Without --data project_name the new project is named after its folder, not the first
    # project: two projects must never share volumes by accident.
    third = tmp_path / "third"
    assert main(["new", str(third), "--answers-file", answers_file]) == 0
    assert recorded(third)["project_name"] == "third"
    assert recorded(third)["stacks"] == ["rust"]
    assert 'name: "third-cargo-cache"' in (third / ".devcontainer" / "compose.yaml").read_text()
    # Re-rendering the first project from its own answers keeps its name.
    assert main(["new", str(first), "--force", "--answers-file", answers_file]) == 0
    assert recorded(first)["project_name"] == "first"


def test_existing_repo_gets_a_dev_container_and_keeps_its_files(tmp_path: Path) -> None:
    repo = tmp_path / "legacy-repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("flask==3.0\n")
    (repo / "app.py").write_text("print('hi')\n")
    assert main(["new", str(repo), "--defaults"]) == 0
    assert (repo / "requirements.txt").read_text() == "flask==3.0\n"  # a starter never clobbers
    assert (repo / "app.py").read_text() == "print('hi')\n"
    assert (repo / ".devcontainer" / "Dockerfile").is_file()


def test_force_overwrites_keeps_the_old_files_in_a_backup_and_says_so(
    tmp_path: Path, capsys: Any
) -> None:
    target = tmp_path / "proj"
    assert main(["new", str(target), "--defaults"]) == 0
    (target / ".devcontainer" / "mine.txt").write_text("keep me")
    old_dockerfile = (target / ".devcontainer" / "Dockerfile").read_text()
    old_ignore = (target / ".dockerignore").read_text()
    capsys.readouterr()
    assert main(["new", str(target), "--defaults", "--force", "--data", "uid=2000"]) == 0
    assert recorded(target)["uid"] == 2000
    out = capsys.readouterr().out
    assert ".devcontainer/Dockerfile  (overwritten)" in out
    # The whole old .devcontainer/ and every other replaced file moved to one backup folder,
    # layout kept, and the output says where.
    backups = [p for p in target.iterdir() if p.name.startswith(".devcontainer.devkit-backup-")]
    assert len(backups) == 1
    backup = backups[0]
    assert (backup / ".devcontainer" / "mine.txt").read_text() == "keep me"
    assert (backup / ".devcontainer" / "Dockerfile").read_text() == old_dockerfile
    assert (backup / ".dockerignore").read_text() == old_ignore
    assert not (target / ".devcontainer" / "mine.txt").exists()
    assert f"are in {backup.name}/" in out


def test_ca_certificates_are_copied(tmp_path: Path) -> None:
    ca = tmp_path / "corp.pem"
    ca.write_text("Corporate proxy\n" + FAKE_PEM)
    target = tmp_path / "proj"
    assert main(["new", str(target), "--defaults", "--data", f"ca_certificates={ca}"]) == 0
    copied = (target / ".devcontainer" / "certs" / "extra-ca.crt").read_text()
    assert copied.startswith("-----BEGIN CERTIFICATE-----\n")
    assert "".join(copied.split("\n")[1:-2]) == FAKE_CERT_BODY
    assert "Corporate proxy" not in copied
    assert recorded(target)["ca_certificates"] == str(ca.resolve())


def test_relative_ca_path_is_recorded_absolute(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "proxy.pem").write_text(FAKE_PEM)
    monkeypatch.chdir(tmp_path)
    assert main(["new", "proj", "--defaults", "--data", "ca_certificates=certs/proxy.pem"]) == 0
    assert recorded(tmp_path / "proj")["ca_certificates"] == str(tmp_path / "certs" / "proxy.pem")
    assert (tmp_path / "proj" / ".devcontainer" / "certs" / "extra-ca.crt").is_file()


def test_new_in_current_folder_says_next_step_without_cd(
    tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    here = tmp_path / "here-proj"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["new", ".", "--defaults"]) == 0
    assert recorded(here)["project_name"] == "here-proj"
    out = capsys.readouterr().out
    assert "  devcontainer up --workspace-folder .\n" in out
    assert "cd " not in out


def test_wizard_runs_on_a_terminal(tmp_path: Path, monkeypatch: Any, on_a_terminal: None) -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from devkit.cli import wizard

    real_ask = wizard.ask
    with create_pipe_input() as pipe:
        monkeypatch.setattr(
            wizard,
            "ask",
            lambda initial, skip=(), **kw: real_ask(
                initial, skip=skip, input=pipe, output=DummyOutput(), **kw
            ),
        )
        # --data fixes the stacks, so the wizard skips that question; Enter takes the rest.
        pipe.send_text("\r" * 20)
        target = tmp_path / "wiz-proj"
        assert main(["new", str(target), "--data", "stacks=go"]) == 0
    answers = recorded(target)
    assert answers["project_name"] == "wiz-proj"
    assert answers["stacks"] == ["go"]


def test_bad_given_answers_stop_before_the_wizard(
    tmp_path: Path, wizard_calls: list[object]
) -> None:
    assert main(["new", str(tmp_path / "proj"), "--data", "uid=0"]) == 1
    missing = str(tmp_path / "no-such-template")
    assert main(["new", str(tmp_path / "proj"), "--template", missing]) == 1
    assert wizard_calls == []
    assert listing(tmp_path) == []


def test_existing_devcontainer_is_refused_before_the_wizard(
    tmp_path: Path, capsys: Any, wizard_calls: list[object]
) -> None:
    target = tmp_path / "proj"
    (target / ".devcontainer").mkdir(parents=True)
    (target / ".devcontainer" / "Dockerfile").write_text("FROM scratch\n")
    before = listing(tmp_path)
    assert main(["new", str(target)]) == 1
    err = capsys.readouterr().err
    assert "already holds a dev container (.devcontainer/Dockerfile)" in err
    assert "This repository already has a dev container" in err  # the plan, before anything
    assert "--force" in err
    (tmp_path / "a-file").write_text("x")
    assert main(["new", str(tmp_path / "a-file")]) == 1
    assert "exists and is not a folder" in capsys.readouterr().err
    assert wizard_calls == []
    assert listing(tmp_path) == sorted([*before, "a-file"])
    assert (target / ".devcontainer" / "Dockerfile").read_text() == "FROM scratch\n"
    # With --force the wizard is asked (and the render proceeds).
    assert main(["new", str(target), "--force", "--data", "stacks=go"]) == 0
    assert len(wizard_calls) == 1


# --- bad input: one clear error, exit 1, nothing left behind -------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "project_name=My_Service"], "project_name: 'My_Service' is not allowed"),
        (["--data", "project_name=a;rm -rf ~"], "project_name: 'a;rm -rf ~' is not allowed"),
        (["--data", "project_name="], "project_name: '' is too short"),
        (["--data", "stacks=python,cobol"], "stacks[1]: 'cobol' is not allowed; choose one of"),
        (["--data", "python_package_manager=conda"], "choose one of: pip, uv, poetry"),
        (["--data", "node_package_manager=bun"], "choose one of: npm, pnpm, yarn"),
        (["--data", "java_build_tool=ant"], "choose one of: maven, gradle"),
        (["--data", "uid=0"], "uid: 0 is out of range; allowed: 1 to 65533"),
        (["--data", "gid=99999"], "gid: 99999 is out of range; allowed: 1 to 65533"),
        (["--data", "uid=root"], "uid: 'root' is not a whole number"),
        (["--data", "username=root"], "username: 'root' is not allowed"),
        (["--data", "shoe_size=42"], "unknown answer 'shoe_size'; known answers: project_name"),
        (
            ["--data", "ca_certificates=/nonexistent/ca.pem"],
            "file /nonexistent/ca.pem does not exist",
        ),
        (["--vcs-ref", "v0.0.1"], "the bundled template has no version 'v0.0.1'"),
    ],
)
def test_bad_input(tmp_path: Path, capsys: Any, args: list[str], message: str) -> None:
    target = tmp_path / "proj"
    assert main(["new", str(target), "--defaults", *args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("devkit: error:") == 1
    assert listing(tmp_path) == []


def test_malformed_data_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    assert main(["new", str(tmp_path / "proj"), "--defaults", "--data", "stacks"]) == 2
    err = capsys.readouterr().err
    assert "--data 'stacks' is not KEY=VALUE" in err and err.count("devkit: error:") == 1
    assert listing(tmp_path) == []


def test_target_that_is_a_file(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "proj").write_text("a file")
    assert main(["new", str(tmp_path / "proj"), "--defaults"]) == 1
    assert "exists and is not a folder" in capsys.readouterr().err
    assert listing(tmp_path) == ["proj"]


def test_ca_file_without_pem(tmp_path: Path, capsys: Any) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("this is not a certificate\n")
    target = tmp_path / "proj"
    assert main(["new", str(target), "--defaults", "--data", f"ca_certificates={ca}"]) == 1
    assert "holds no PEM certificate" in capsys.readouterr().err
    assert listing(tmp_path) == ["ca.pem"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.yml", "project_name: [oops\n", "is not valid YAML or JSON"),
        ("a.json", '{"project_name": "x",}', "is not valid JSON"),
        ("a.yml", "- just\n- a list\n", "must hold a mapping of answers"),
        ("a.yml", "project_name: ok-name\ncolour: blue\n", "unknown key(s) colour; known keys:"),
        ("a.json", '{"project_name": "ok-name", "uid": 0}', "uid: 0 is out of range"),
    ],
)
def test_bad_answers_file(
    tmp_path: Path, capsys: Any, name: str, content: str, message: str
) -> None:
    answers_file = tmp_path / name
    answers_file.write_text(content)
    target = tmp_path / "proj"
    assert main(["new", str(target), "--answers-file", str(answers_file)]) == 1
    assert message in capsys.readouterr().err
    assert listing(tmp_path) == [name]


def test_missing_answers_file(tmp_path: Path, capsys: Any) -> None:
    assert main(["new", str(tmp_path / "p"), "--answers-file", str(tmp_path / "no.yml")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert listing(tmp_path) == []


def test_existing_devcontainer_is_refused_without_force(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "proj"
    (target / ".devcontainer").mkdir(parents=True)
    (target / ".devcontainer" / "devcontainer.json").write_text("{}")
    (target / ".dockerignore").write_text("mine\n")
    before = listing(tmp_path)
    assert main(["new", str(target), "--defaults"]) == 1
    err = capsys.readouterr().err
    assert "already holds a dev container (.devcontainer/devcontainer.json)" in err
    assert "Nothing changes without --force" in err  # the plan was shown
    assert ".dockerignore" in err
    assert "--force" in err
    assert listing(tmp_path) == before
    assert (target / ".devcontainer" / "devcontainer.json").read_text() == "{}"


def test_other_files_are_not_overwritten_without_force(tmp_path: Path, capsys: Any) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".dockerignore").write_text("node_modules\n")
    assert main(["new", str(repo), "--defaults"]) == 1
    err = capsys.readouterr().err
    assert "would overwrite: .dockerignore" in err
    assert "--force" in err
    assert listing(tmp_path) == ["repo", "repo/.dockerignore"]
    assert main(["new", str(repo), "--defaults", "--force"]) == 0
    assert (repo / ".dockerignore").read_text() != "node_modules\n"


def test_invalid_folder_name_needs_a_project_name(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "2024"  # no letter in it: no project name can be made from it
    assert main(["new", str(target), "--defaults"]) == 1
    assert "--data project_name=NAME" in capsys.readouterr().err
    assert main(["new", str(target), "--defaults", "--data", "project_name=good-name"]) == 0
    assert recorded(target)["project_name"] == "good-name"


def test_a_folder_name_becomes_a_project_name(tmp_path: Path) -> None:
    target = tmp_path / "commander.js"
    assert main(["new", str(target), "--defaults"]) == 0
    assert recorded(target)["project_name"] == "commander-js"


def test_ctrl_c_while_rendering_leaves_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    import copier

    def interrupted(src: str, dst: Any, **kwargs: Any) -> None:
        Path(dst, ".devcontainer").mkdir(parents=True)
        Path(dst, ".devcontainer", "half.json").write_text("{")
        raise KeyboardInterrupt

    monkeypatch.setattr(copier, "run_copy", interrupted)
    assert main(["new", str(tmp_path / "proj"), "--defaults"]) == 130
    assert listing(tmp_path) == []


def test_ctrl_c_into_an_existing_folder_leaves_it_as_it_was(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import copier

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("hi")

    def interrupted(src: str, dst: Any, **kwargs: Any) -> None:
        Path(dst).mkdir(parents=True)
        Path(dst, "x").write_text("partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(copier, "run_copy", interrupted)
    assert main(["new", str(repo), "--defaults"]) == 130
    assert listing(tmp_path) == ["repo", "repo/README.md"]


def test_failure_removes_the_parent_folders_it_made(tmp_path: Path, monkeypatch: Any) -> None:
    import copier

    def broken(src: str, dst: Any, **kwargs: Any) -> None:
        raise copier.errors.CopierError("template exploded")

    monkeypatch.setattr(copier, "run_copy", broken)
    assert main(["new", str(tmp_path / "a" / "b" / "proj"), "--defaults"]) == 1
    assert listing(tmp_path) == []


def test_a_folder_in_the_way_is_reported_before_anything_moves(tmp_path: Path, capsys: Any) -> None:
    repo = tmp_path / "repo"
    (repo / ".dockerignore").mkdir(parents=True)
    assert main(["new", str(repo), "--defaults"]) == 1
    assert "a folder of that name is in the way" in capsys.readouterr().err
    assert listing(tmp_path) == ["repo", "repo/.dockerignore"]


def test_copier_errors_become_one_line(tmp_path: Path, capsys: Any) -> None:
    target = str(tmp_path / "proj")
    assert main(["new", target, "--defaults", "--template", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("devkit: error: ")
    assert "nope" in err
    assert listing(tmp_path) == []


# --- --template / --vcs-ref (an organisation's own template) -------------------------------


@pytest.fixture()
def org_template(tmp_path: Path) -> Iterator[Path]:
    """A tiny Copier template in git with two tagged versions."""
    repo = tmp_path / "org-template"
    (repo / "project" / ".devcontainer").mkdir(parents=True)
    (repo / "copier.yml").write_text(
        "_subdirectory: project\nproject_name:\n  type: str\n"
        + "".join(f"{k}:\n  type: yaml\n" for k in ANSWER_PROPS if k != "project_name")
    )
    (repo / "project" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml -}}\n"
    )
    dc = repo / "project" / ".devcontainer" / "devcontainer.json.jinja"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)

    git("init", "-q")
    for version in ("1.0.0", "2.0.0"):
        dc.write_text('{"name": "{{ project_name }}", "version": "' + version + '"}\n')
        git("add", "-A")
        git("commit", "-qm", version)
        git("tag", f"v{version}")
    yield repo


def test_org_template_at_a_tag(tmp_path: Path, org_template: Path) -> None:
    target = tmp_path / "svc"
    code = main(
        ["new", str(target), "--defaults", "--template", str(org_template), "--vcs-ref", "v1.0.0"]
    )
    assert code == 0
    assert json.loads((target / ".devcontainer" / "devcontainer.json").read_text()) == {
        "name": "svc",
        "version": "1.0.0",
    }
    assert recorded(target)["_commit"] == "v1.0.0"
    latest = tmp_path / "svc2"
    assert main(["new", str(latest), "--defaults", "--template", str(org_template)]) == 0
    assert recorded(latest)["_commit"] == "v2.0.0"


def test_unreachable_git_template_is_one_line(tmp_path: Path, capsys: Any) -> None:
    url = f"file://{tmp_path}/missing.git"
    assert main(["new", str(tmp_path / "svc"), "--defaults", "--template", url]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "does not appear to be a git repository" in err
    assert listing(tmp_path) == []


def test_org_template_unknown_ref(tmp_path: Path, org_template: Path, capsys: Any) -> None:
    target = tmp_path / "svc"
    args = ["new", str(target), "--defaults", "--template", str(org_template), "--vcs-ref", "v9"]
    assert main(args) == 1
    assert capsys.readouterr().err.count("devkit: error:") == 1
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["org-template"]


# --- as a user runs it: a separate process -------------------------------------------------


def test_subprocess_defaults(tmp_path: Path) -> None:
    result = devkit("new", "demo-app", "--defaults", "--data", "stacks=node", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cd demo-app && devcontainer up --workspace-folder ." in result.stdout
    assert recorded(tmp_path / "demo-app")["stacks"] == ["node"]


@pytest.mark.parametrize("delay", [0.3, 0.6])
def test_subprocess_sigint_leaves_all_or_nothing(tmp_path: Path, delay: float) -> None:
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "devkit", "new", "sig-app", "--defaults"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    complete = all((tmp_path / "sig-app" / name).is_file() for name in RENDERED)
    if proc.returncode == 0:  # it finished first: then the project is complete
        assert complete
    else:
        assert proc.returncode in (130, -signal.SIGINT), err
        # All or nothing: a Ctrl-C that lands during (or after) the final renames is held
        # until they are done, so the project is then complete; otherwise nothing is left.
        assert complete or listing(tmp_path) == []


def test_subprocess_json(tmp_path: Path) -> None:
    result = devkit("new", "json-app", "--defaults", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["target"] == str(tmp_path / "json-app")
    assert set(RENDERED) <= set(report["files"])
    assert report["overwritten"] == []
    assert report["kept"] == []
    assert report["template_version"]


def test_subprocess_without_terminal_does_not_hang(tmp_path: Path) -> None:
    result = devkit("new", "demo-app", cwd=tmp_path)
    assert result.returncode == 1
    assert "no terminal to ask questions on" in result.stderr
    assert "--defaults" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert listing(tmp_path) == []


def test_subprocess_bad_input(tmp_path: Path) -> None:
    result = devkit(
        "new", "x", "--defaults", "--data", "uid=0", "--data", "project_name=A", cwd=tmp_path
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "devkit: error: invalid answers:"
    assert "  uid: 0 is out of range; allowed: 1 to 65533" in lines
    assert all(line.startswith(("  project_name: 'A' ", "  uid: ")) for line in lines[1:])
    assert listing(tmp_path) == []


def test_help_shows_examples_and_imports_nothing_heavy() -> None:
    result = devkit("new", "--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout
    assert "devkit new my-service --defaults" in result.stdout
    code = (
        "import sys\n"
        "from devkit.cli import main\n"
        "try:\n    main(['new', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('copier', 'questionary', 'docker', 'jsonschema')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]")
