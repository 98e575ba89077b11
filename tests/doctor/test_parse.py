"""parse.py and reading files: JSONC, YAML and Dockerfiles that cannot be parsed are DK000."""

from __future__ import annotations

import json
from pathlib import Path

from devkit import doctor

from .doctor_helpers import (
    buildkit_ok,
    triples,
)


def test_jsonc_keeps_strings_with_comment_markers() -> None:
    text = '{\n  // c\n  "url": "http://x/*y*/", /* z */\n  "list": [1, 2,],\n}\n'
    data = json.loads(doctor.strip_jsonc(text))
    assert data == {"url": "http://x/*y*/", "list": [1, 2]}
    assert doctor.strip_jsonc(text).count("\n") == text.count("\n")


def test_unreadable_dockerfile_and_compose_are_dk000(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("# just a comment\nRUN echo hi\n")
    (tmp_path / "compose.yaml").write_text("services:\n  web: [unclosed\n")
    found = triples(doctor.audit(tmp_path, buildkit=buildkit_ok))
    assert ("DK000", "Dockerfile", None) in found
    assert ("DK000", "compose.yaml", 3) in found


def test_files_that_are_not_utf8_are_dk000_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_bytes(b'{\n  "name": "caf\xe9"\n}\n')
    (tmp_path / "compose.yaml").write_bytes(b"services:\n  web:\n    image: \xff\n")
    found = triples(doctor.audit(tmp_path, buildkit=buildkit_ok))
    assert ("DK000", ".devcontainer/devcontainer.json", 2) in found
    assert ("DK000", "compose.yaml", 3) in found
