"""The interactive wizard of ``devkit new`` (questionary): the terminal side of the answers.

There is no list of questions here, and no rule: every question, its order, choices, default
and help text comes from ``schemas/answers.schema.json``, and :mod:`devkit.answers` decides
which questions apply and what is wrong with an answer. How a question is asked follows from
the schema:

* ``enum`` → a single choice; an array of ``enum`` items → a checklist;
* ``boolean`` → yes/no; ``integer`` → a number checked against its range;
* other arrays → a comma-separated list; strings with ``examples`` → text with completion;
* a key named ``<stack>_…`` (e.g. ``python_package_manager``) is asked only when that stack
  (one of the ``stacks`` choices) was chosen (:func:`devkit.answers.applies`).

Each answer is checked as it is typed with the schema's own rule text
(:func:`devkit.answers.text_problem`). A default that was detected in the repository says so
in the question: "Node version (detected from package.json:12)". Ctrl-C (or Ctrl-D) raises
``KeyboardInterrupt`` (the CLI exits 130 and nothing has been written yet).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Mapping
from typing import Any

from devkit import answers as ans

#: Answers that are file paths get path completion. (How to ask, not what to ask.)
_PATH_KEYS = {"ca_certificates"}


def _text_validator(key: str) -> Callable[[str], bool | str]:
    """A questionary validator: True, or the schema's rule text for what was typed."""
    return lambda text: ans.text_problem(key, text) or True


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


def ask(
    initial: Mapping[str, Any],
    *,
    skip: Collection[str] = (),
    detected: Mapping[str, str] | None = None,
    input: Any = None,
    output: Any = None,
) -> dict[str, Any]:
    """Ask every schema question not in ``skip``; returns the answers given.

    ``initial`` supplies each question's default (schema defaults merged with what was
    detected and what the user passed); ``detected`` names the file a detected default came
    from. ``input``/``output`` are prompt_toolkit objects (tests pass a pipe and a dummy).
    """
    import questionary

    io: dict[str, Any] = {}
    if input is not None:
        io["input"] = input
    if output is None and not sys.stdout.isatty() and sys.stderr.isatty():
        # `devkit new x > log`: the questions belong on the terminal, not in the log file.
        from prompt_toolkit.output import create_output

        output = create_output(stdout=sys.stderr)
    if output is not None:
        io["output"] = output

    result: dict[str, Any] = {}
    for key, prop in ans.properties().items():
        if key in skip or not ans.applies(key, {**initial, **result}):
            continue
        default = initial.get(key, prop.get("default"))
        source = (detected or {}).get(key)
        if source:
            prop = {**prop, "title": f"{prop.get('title', key)} (detected from {source})"}
        question = _question(questionary, key, prop, default, io)
        try:
            raw = question.unsafe_ask()
        except EOFError:  # Ctrl-D (end of input) gives up like Ctrl-C does
            raise KeyboardInterrupt from None
        result[key] = ans.from_prompt(key, raw)
    return result


def _question(
    questionary: Any, key: str, prop: Mapping[str, Any], default: Any, io: dict[str, Any]
) -> Any:
    """The questionary prompt for one schema property (its title, help text and type)."""
    title = prop.get("title", key)
    help_text = prop.get("description", "")
    hint = f"({help_text})" if help_text else None
    if "enum" in prop:
        choices = [str(c) for c in prop["enum"]]
        return questionary.select(
            title,
            choices=choices,
            default=str(default) if default in prop["enum"] else None,
            instruction=hint,
            **io,
        )
    items = prop.get("items", {})
    if prop.get("type") == "array" and "enum" in items:
        picked = set(default or [])
        choices = [questionary.Choice(str(c), value=c, checked=c in picked) for c in items["enum"]]

        def check_list(values: list[Any]) -> bool | str:
            return ans.problem(key, values) or True

        instruction = f"({help_text} Space to toggle, Enter to accept)"
        return questionary.checkbox(
            title, choices=choices, validate=check_list, instruction=instruction, **io
        )
    if prop.get("type") == "boolean":
        # A custom instruction replaces questionary's "(Y/n)", so keep showing the default.
        yes_no = "(Y/n)" if default else "(y/N)"
        return questionary.confirm(
            title, default=bool(default), instruction=f"{hint + ' ' if hint else ''}{yes_no} ", **io
        )
    validate = _text_validator(key)
    text_default = _as_text(default)
    if prop.get("type") == "array":
        list_hint = f"({help_text + ' ' if help_text else ''}comma-separated, empty for none)"
        return questionary.text(
            title, default=text_default, validate=validate, instruction=list_hint, **io
        )
    if key in _PATH_KEYS:
        return questionary.path(
            f"{title} {hint}" if hint else title, default=text_default, validate=validate, **io
        )
    if "examples" in prop:
        return questionary.autocomplete(
            f"{title} {hint}" if hint else title,
            choices=[str(e) for e in prop["examples"]],
            default=text_default,
            validate=validate,
            **io,
        )
    return questionary.text(title, default=text_default, validate=validate, instruction=hint, **io)
