"""Validation against devkit's own JSON schemas, with one readable line per error."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from devkit.errors import DevkitError
from devkit.resources import schema_path

if TYPE_CHECKING:  # jsonschema costs ~40 ms to import; `devkit --help` should not pay it
    import jsonschema


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load one of devkit's schemas from ``schemas/`` (cached; they never change at run time)."""
    with schema_path(name).open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def _field(error: jsonschema.ValidationError) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path]
    return "".join(parts).lstrip(".") or "(top level)"


#: ``user:secret@`` before a host (``https://user:token@host/…``, ``user:pw@ghcr.io/…``).
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?[^/@\s]+@")


def _redacted(value: Any) -> Any:
    """``value`` with any credentials before a host masked: an error message is printed and
    logged, and a credential typed into the wrong answer must not land there."""
    if isinstance(value, str):
        return _USERINFO.sub(lambda m: (m.group("scheme") or "") + "***@", value)
    return value


def _describe(error: jsonschema.ValidationError) -> str:
    """One sentence for one error, naming the allowed values or the rule where we know them."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    value: Any = _redacted(error.instance)
    rule = schema.get("x-rule")
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in schema["enum"])
        return f"{value!r} is not allowed; choose one of: {allowed}"
    if error.validator == "additionalProperties":
        known = ", ".join(sorted(schema.get("properties", {})))
        extra = sorted(set(value) - set(schema.get("properties", {})))
        return f"unknown key(s) {', '.join(extra)}; known keys: {known}"
    if error.validator == "pattern" or (error.validator == "not" and rule):
        return f"{value!r} is not allowed: {rule or 'must match ' + schema['pattern']}"
    if error.validator == "minItems" and "enum" in schema.get("items", {}):
        allowed = ", ".join(str(v) for v in schema["items"]["enum"])
        return f"choose at least one of: {allowed}"
    if error.validator == "uniqueItems":
        return f"{value!r} lists the same value more than once"
    if error.validator in ("minimum", "maximum"):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        return f"{value!r} is out of range; allowed: {lo} to {hi}"
    if error.validator == "type":
        return f"{value!r} has the wrong type; expected {schema['type']}"
    if rule:
        return f"{error.message}: {rule}"
    return error.message


def validation_errors(instance: Any, schema_name: str) -> list[str]:
    """Every problem with ``instance`` under the named schema, one line each, sorted by field."""
    import jsonschema

    schema = load_schema(schema_name)
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    lines: list[str] = []
    ruled: set[tuple[str, str]] = set()
    for error in errors:
        # '' breaks both minLength and pattern of a name: one line stating the rule is enough.
        rule = error.schema.get("x-rule") if isinstance(error.schema, dict) else None
        if rule:
            if (_field(error), rule) in ruled:
                continue
            ruled.add((_field(error), rule))
        lines.append(f"{_field(error)}: {_describe(error)}")
    return lines


def validate(instance: Any, schema_name: str, *, what: str) -> None:
    """Raise :class:`DevkitError` listing every problem, one per line, if ``instance`` is invalid.

    ``what`` names the thing being checked in the first line, e.g. ``"answers"``.
    """
    problems = validation_errors(instance, schema_name)
    if problems:
        raise DevkitError(f"invalid {what}:\n  " + "\n  ".join(problems))
