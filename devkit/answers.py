"""The answers for ``devkit new``: defaults, ``--data`` values, layers and validation
(answers files and the CA file are read by :mod:`devkit.answer_files`).

Everything here is driven by ``schemas/answers.schema.json`` — the single source of truth for
which keys exist, their types and their defaults. :func:`layers` merges them in this order,
later ones winning: schema defaults < the folder's name < what was detected in the folder
(:mod:`devkit.detect`) < answers file < ``--data KEY=VALUE`` < the wizard
(:meth:`Layers.complete`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Re-exported: reading the answers file and the CA file are part of this module's API.
from devkit.answer_files import load_file as load_file
from devkit.answer_files import read_ca_file as read_ca_file
from devkit.errors import DevkitError, UsageError
from devkit.schema import load_schema, validate, validation_errors

SCHEMA_NAME = "answers.schema.json"

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def schema() -> dict[str, Any]:
    """The answers schema (cached by :func:`devkit.schema.load_schema`)."""
    return load_schema(SCHEMA_NAME)


def properties() -> dict[str, dict[str, Any]]:
    """Every answer key and its sub-schema, in the schema's order (which is the wizard's)."""
    props: dict[str, dict[str, Any]] = schema()["properties"]
    return props


def defaults() -> dict[str, Any]:
    """The schema's defaults for every key that has one (a fresh copy each call)."""
    return {k: copy.deepcopy(p["default"]) for k, p in properties().items() if "default" in p}


def field_errors(key: str, value: Any) -> list[str]:
    """Problems with one answer on its own, one line each (empty when it is fine).

    Used by the wizard to check an answer as it is typed, with the schema's own rule text.
    """
    # Validate a whole, otherwise valid answer set so only this key's problems show up.
    instance = {**defaults(), "project_name": "placeholder", key: value}
    if surely_valid(instance):
        return []
    return [line for line in validation_errors(instance, SCHEMA_NAME) if _is_about(line, key)]


#: The JSON Schema keywords :func:`surely_valid` understands; any other one means "ask jsonschema".
_QUICK_KEYWORDS = frozenset(
    {"$schema", "$id", "title", "description", "default", "examples", "x-rule", "type", "enum",
     "properties", "additionalProperties", "required", "minLength", "maxLength", "pattern",
     "minimum", "maximum", "items", "minItems", "maxItems", "uniqueItems", "not", "const",
     "x-when", "x-ask"}
)  # fmt: skip
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def surely_valid(answers: Mapping[str, Any]) -> bool:
    """A fast check that says True only when ``answers`` is certainly valid under the schema.

    Importing and running jsonschema costs ~0.1 s, a noticeable share of ``devkit new``. This
    understands the few keywords the answers schema uses and is strict: anything unusual (an
    unknown keyword, a type it does not model) gives False, and then jsonschema decides and
    words the errors. It never replaces jsonschema's verdict on an invalid answer set.
    """
    try:
        return _quick(schema(), answers)
    except Exception:  # a malformed value or schema shape: let jsonschema judge
        return False


def _quick(sub: Mapping[str, Any], value: Any) -> bool:
    if not _QUICK_KEYWORDS.issuperset(sub):
        return False
    kind = sub.get("type")
    if kind is not None and (kind not in _TYPES or not _TYPES[kind](value)):
        return False
    if "enum" in sub and not any(_same(value, e) for e in sub["enum"]):
        return False
    if "const" in sub and not _same(value, sub["const"]):
        return False
    if "not" in sub and _quick_not_matches(sub["not"], value):
        return False
    if isinstance(value, str):
        if len(value) < sub.get("minLength", 0) or len(value) > sub.get("maxLength", len(value)):
            return False
        if "pattern" in sub and not re.search(sub["pattern"], value):
            return False
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (value < sub.get("minimum", value) or value > sub.get("maximum", value))
    ):
        return False
    if isinstance(value, list):
        if len(value) < sub.get("minItems", 0) or len(value) > sub.get("maxItems", len(value)):
            return False
        if sub.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(
            value
        ):
            return False
        if "items" in sub and not all(_quick(sub["items"], v) for v in value):
            return False
    if isinstance(value, dict):
        props = sub.get("properties", {})
        if any(k not in value for k in sub.get("required", [])):
            return False
        if sub.get("additionalProperties", True) is not True and any(k not in props for k in value):
            return False
        if not all(_quick(props[k], v) for k, v in value.items() if k in props):
            return False
    return True


def _quick_not_matches(sub: Mapping[str, Any], value: Any) -> bool:
    """True unless ``value`` certainly does not match ``sub`` (only ``const`` is modelled)."""
    if set(sub) == {"const"}:
        return _same(value, sub["const"])
    return True


def _same(a: Any, b: Any) -> bool:
    # Stricter than JSON equality (True is not 1, 1.0 is not 1, also inside lists): a wrong
    # "different" only costs a jsonschema run, a wrong "same" could let a bad value through.
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _is_about(line: str, key: str) -> bool:
    return line.startswith(f"{key}:") or line.startswith(f"{key}[")


def problem(key: str, value: Any) -> str | None:
    """What is wrong with one answer on its own, in the schema's rule text (without the key),
    or None when it is fine. What the wizard shows under a refused answer."""
    problems = field_errors(key, value)
    if not problems:
        return None
    line = problems[0]
    return line.split(": ", 1)[1] if ": " in line else line


def text_problem(key: str, text: str) -> str | None:
    """What is wrong with the text typed for one answer, or None when it is fine.

    The text is read as ``--data`` reads it (:func:`parse_value`), checked with
    :func:`problem`, and a CA file (``ca_certificates``) must hold a certificate.
    """
    try:
        value = parse_value(key, text)
    except DevkitError as exc:
        return exc.message.split(": ", 1)[-1]
    error = problem(key, value)
    if error:
        return error
    if key == "ca_certificates" and value:
        try:
            read_ca_file(Path(value))
        except DevkitError as exc:
            return exc.message.split(": ", 1)[-1]
    return None


def from_prompt(key: str, raw: Any) -> Any:
    """An answer as a prompt returned it, in the schema's type (typed text is parsed as
    ``--data`` is; a choice, a checklist or a yes/no already has its type)."""
    if isinstance(raw, str) and "enum" not in properties()[key]:
        return parse_value(key, raw)
    return raw


def applies(key: str, answers: Mapping[str, Any]) -> bool:
    """Whether the question ``key`` is asked, given the ``answers`` so far.

    A key named ``<stack>_…`` (``python_package_manager``), for a stack among the schema's
    ``stacks`` choices, only applies when that stack was chosen. A key whose schema has
    ``x-when`` (``{"stacks": "node", "node_package_manager": "pnpm"}``) applies only when every
    condition holds: a list answer contains the value, any other answer equals it (or one of
    them, when the value is a list). A key with ``"x-ask": false`` (manifest lists, mirrors:
    detected, or set with ``--data`` / an answers file) is never asked. Every other key applies.
    """
    if properties().get(key, {}).get("x-ask") is False:
        return False
    stacks = properties().get("stacks", {}).get("items", {}).get("enum", [])
    stack = next((str(s) for s in stacks if key.startswith(f"{s}_")), None)
    if stack is not None and stack not in answers.get("stacks", []):
        return False
    when = properties().get(key, {}).get("x-when", {})
    return all(_holds(answers.get(k), v) for k, v in when.items())


def _holds(answer: Any, wanted: Any) -> bool:
    options = wanted if isinstance(wanted, list) else [wanted]
    if isinstance(answer, list):
        return any(o in answer for o in options)
    return answer in options


def name_from_folder(target: Path) -> str | None:
    """The target folder's name as a project name (``commander.js`` → ``commander-js``), or
    ``None`` when even that is not a valid one (the wizard then asks for it)."""
    name = slug(target.resolve().name)
    return name if name and not field_errors("project_name", name) else None


def slug(text: str) -> str:
    """``text`` in a project name's alphabet: lowercase, every run of other characters one
    hyphen, no leading digits or hyphens, no trailing hyphen, at most 40 characters."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower())
    name = re.sub(r"^[^a-z]+", "", name)[:40]
    return name.rstrip("-")


def parse_value(key: str, text: str) -> Any:
    """Turn the text of one answer (``--data`` or the wizard) into the schema's type.

    Arrays are comma-separated lists (empty text is an empty list), integers and booleans are
    converted; strings stay as they are. Raises :class:`DevkitError` naming the key.
    """
    props = properties()
    if key not in props:
        raise DevkitError(f"unknown answer {key!r}; known answers: {', '.join(props)}")
    prop = props[key]
    if prop.get("type") == "array":
        items = prop.get("items", {})
        parts = [p.strip() for p in text.split(",")]
        return [_scalar(key, items, p) for p in parts if p]
    return _scalar(key, prop, text.strip() if prop.get("type") != "string" else text)


def _scalar(key: str, prop: Mapping[str, Any], text: str) -> Any:
    kind = prop.get("type")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise DevkitError(f"{key}: {text!r} is not a whole number") from None
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise DevkitError(f"{key}: {text!r} is not a yes/no value; use true or false")
    return text


def parse_data(items: Iterable[str], *, other_keys_as_text: bool = False) -> dict[str, Any]:
    """Parse repeatable ``--data KEY=VALUE`` arguments (typed by the schema).

    An unknown key is an error, unless ``other_keys_as_text``: then it is kept as text, for
    an organisation's template whose own questions Copier casts by their declared type.
    """
    known = properties()
    result: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--data {item!r} is not KEY=VALUE (e.g. --data stacks=python,node)")
        keep_text = other_keys_as_text and key not in known
        result[key] = value if keep_text else parse_value(key, value)
    return result


def merge(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Later layers win, key by key."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    return merged


@dataclass(frozen=True)
class Layers:
    """The answers of ``devkit new`` before any wizard: what was given, and the whole set.

    ``given`` holds the answers file's and ``--data``'s answers (a wizard never asks them
    again); ``answers`` is every layer so far: the schema's defaults < the folder's name as
    ``project_name`` < what was detected < the answers file < ``--data``. ``detected`` names
    the file each detected answer that is still in force came from (the wizard shows it).
    """

    given: dict[str, Any]
    answers: dict[str, Any]
    detected: dict[str, str] = field(default_factory=dict)

    def check_given(self) -> None:
        """Before a wizard asks anything: refuse a bad given answer now, not after the questions.

        A placeholder stands in for ``project_name`` when the folder's name is not one (the
        wizard asks it then).
        """
        if self.given:
            check({"project_name": "placeholder", **self.answers})

    def complete(self, asked: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The final answer set: these layers with the wizard's ``asked`` answers on top.

        Checked with :func:`check`; the CA file's path is made absolute, because it is
        recorded in ``.copier-answers.yml`` and a path relative to today's folder would mean
        nothing later.
        """
        answers = merge(self.answers, asked or {})
        check(answers)
        if answers.get("ca_certificates"):
            answers["ca_certificates"] = str(
                Path(answers["ca_certificates"]).expanduser().resolve()
            )
        return answers


def layers(
    target: Path,
    answers_file: Path | None,
    data: Iterable[str],
    detected: Mapping[str, Any] | None = None,
    detected_from: Mapping[str, str] | None = None,
) -> Layers:
    """Gather the answers for rendering into ``target``, later layers winning.

    The schema's defaults, the folder's name as ``project_name`` (when it is a valid one),
    the ``detected`` answers (:func:`devkit.detect.adopt`; ``detected_from`` names each one's
    file), the answers file (:func:`load_file`), then ``--data KEY=VALUE`` items
    (:func:`parse_data`).
    Raises :class:`DevkitError` (or :class:`UsageError` for a malformed ``--data``) for what
    cannot be read; the values themselves are checked by :meth:`Layers.check_given` and
    :meth:`Layers.complete`.
    """
    from_file = load_file(answers_file, target=target) if answers_file else {}
    from_data = parse_data(data)
    initial = defaults()
    folder_name = name_from_folder(target)
    if folder_name:
        initial["project_name"] = folder_name
    given = merge(from_file, from_data)
    found = dict(detected or {})
    sources = {k: (detected_from or {}).get(k, "the repository") for k in found if k not in given}
    return Layers(given=given, answers=merge(initial, found, given), detected=sources)


def check(answers: Mapping[str, Any]) -> None:
    """Validate a complete answer set against the schema and check the CA file.

    Raises :class:`DevkitError` with one line per problem.
    """
    if "project_name" not in answers:
        rule = properties()["project_name"].get("x-rule", "")
        raise DevkitError(
            f"project_name: missing, and the folder's name is not a valid project name ({rule})",
            hint="pass --data project_name=NAME",
        )
    if not surely_valid(answers):
        validate(dict(answers), SCHEMA_NAME, what="answers")
    ca = answers.get("ca_certificates") or ""
    if ca:
        read_ca_file(Path(ca))
