"""Answers that come from files: an answers file (``--answers-file``, a project's
``.copier-answers.yml``) and the PEM file of the ``ca_certificates`` answer.

Split from :mod:`devkit.answers` (which re-exports both functions): reading and
normalising files is one concern, the schema's rules and the layers another.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Any

from devkit.errors import DevkitError

_PEM_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*(?P<body>[A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----"
)


def load_file(path: Path, *, target: Path | None = None) -> dict[str, Any]:
    """Read an answers file (YAML or JSON — JSON is read by the YAML parser too).

    Keys starting with ``_`` (Copier's bookkeeping in ``.copier-answers.yml``) are ignored, so a
    project's recorded answers can seed a new project. The ``project_name`` of such recorded
    answers names *that* project: unless the file lies in ``target`` itself, it is dropped, so
    the new project is named after its own folder and never shares the other's volumes.
    Unknown keys are reported by :func:`check`.
    """
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DevkitError(f"answers file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DevkitError(f"cannot read answers file {path}: {exc}") from None
    if path.suffix.lower() == ".json":
        # YAML would accept JSON with mistakes (trailing commas); a .json file gets JSON's rules.
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DevkitError(
                f"answers file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}): "
                f"{exc.msg}"
            ) from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
            raise DevkitError(f"answers file {path} is not valid YAML or JSON{at}") from None
    answers = _answers_mapping(path, data)
    recorded = isinstance(data, dict) and "_src_path" in data
    if recorded and (target is None or path.resolve().parent != target.resolve()):
        answers.pop("project_name", None)
    return answers


def _answers_mapping(path: Path, data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DevkitError(
            f"answers file {path} must hold a mapping of answers (key: value), "
            f"not a {type(data).__name__}"
        )
    from devkit.answers import parse_value, properties

    props = properties()
    answers: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if key.startswith("_"):
            continue
        if isinstance(value, str) and props.get(key, {}).get("type") == "array":
            # `stacks: python, node` reads as one string in YAML; take it as --data would.
            value = parse_value(key, value)
        answers[key] = value
    return answers


def read_ca_file(path: Path) -> str:
    """The PEM certificates in ``path``, normalised; raises if there is none.

    Only ``CERTIFICATE`` blocks are kept, so a private key pasted into the same file never
    ends up in an image.
    """
    try:
        text = path.expanduser().read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise DevkitError(f"ca_certificates: file {path} does not exist") from None
    except IsADirectoryError:
        raise DevkitError(f"ca_certificates: {path} is a folder, not a PEM file") from None
    except OSError as exc:
        raise DevkitError(f"ca_certificates: cannot read {path}: {exc.strerror}") from None
    blocks = []
    for match in _PEM_BLOCK.finditer(text):
        body = "".join(match.group("body").split())
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            continue
        if der[:1] != b"\x30":  # every X.509 certificate is a DER SEQUENCE
            continue
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        blocks.append(
            "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
        )
    if not blocks:
        raise DevkitError(
            f"ca_certificates: {path} holds no PEM certificate "
            "(expected '-----BEGIN CERTIFICATE-----' blocks)"
        )
    return "".join(blocks)
