"""pip requirements files and their -r/-c/-e graph (devkit/detect/requirements.py)."""

from __future__ import annotations

from pathlib import Path

from devkit.detect.reader import Repo
from devkit.detect.requirements import requirements_files

from .detect_helpers import fixture, write


def test_a_requirements_folder_with_its_graph() -> None:
    files = {f.file: f for f in requirements_files(Repo(fixture("pip-requirements-folder")))}
    # Roots (included by nothing) come first.
    assert list(files) == [
        "requirements/docs.txt",
        "requirements/tests.txt",
        "requirements/base.txt",
        "requirements/constraints.txt",
    ]
    assert files["requirements/tests.txt"].includes == ("requirements/base.txt",)
    assert files["requirements/docs.txt"].includes == ("requirements/base.txt",)
    assert files["requirements/docs.txt"].constraints == ("requirements/constraints.txt",)
    assert files["requirements/base.txt"].included_by == (
        "requirements/docs.txt",
        "requirements/tests.txt",
    )
    assert files["requirements/constraints.txt"].included_by == ("requirements/docs.txt",)


def test_editable_and_local_installs_are_recorded() -> None:
    files = {f.file: f for f in requirements_files(Repo(fixture("pip-requirements-dev")))}
    assert list(files) == ["requirements-dev.txt", "requirements.txt"]
    assert files["requirements-dev.txt"].local == (".",)
    assert files["requirements.txt"].local == ()


def test_includes_outside_the_usual_names_are_followed_and_bad_ones_warned(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "dev-requirements.txt": "-r ci/pinned.txt\n-e ./plugins/x[extra]\n.[test]\n"
            "--requirement=missing.txt\n-r ../outside.txt\npkg \\\n  >=1\n",
            "ci/pinned.txt": "--constraint ../constraints.txt\nrequests==2.32.5\n",
            "constraints.txt": "urllib3<3\n",
            "notes.txt": "not a requirements file\n",
        },
    )
    repo = Repo(tmp_path)
    files = {f.file: f for f in requirements_files(repo)}
    assert set(files) == {"dev-requirements.txt", "ci/pinned.txt", "constraints.txt"}
    assert files["dev-requirements.txt"].includes == ("ci/pinned.txt",)
    assert files["dev-requirements.txt"].local == ("./plugins/x[extra]", ".[test]")
    assert files["ci/pinned.txt"].constraints == ("constraints.txt",)
    assert repo.warnings == [
        "dev-requirements.txt:4: includes missing.txt, which does not exist",
        "dev-requirements.txt:5: ../outside.txt lies outside the repository",
    ]
