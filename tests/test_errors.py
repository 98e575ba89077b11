"""devkit.errors: the user's error type and the one way to make a message one line."""

from __future__ import annotations

from devkit.errors import DevkitError, UsageError, one_line


def test_hint_is_the_second_sentence() -> None:
    assert str(DevkitError("no such volume", hint="list them with `devkit volumes list`")) == (
        "no such volume (list them with `devkit volumes list`)"
    )
    assert isinstance(UsageError("x"), DevkitError)


def test_one_line_joins_lines_and_cuts_long_texts() -> None:
    assert one_line("while parsing\n  in 'x', line 1\n\nexpected <end>") == (
        "while parsing in 'x', line 1 expected <end>"
    )
    assert one_line(ValueError("  spaced   out ")) == "spaced out"
    assert one_line("abcdef", 4) == "abc…"
    assert one_line("abcd", 4) == "abcd"
    assert one_line("") == ""
