"""The one error type that core modules raise for the user to read."""

from __future__ import annotations


class DevkitError(Exception):
    """A problem the user can act on.

    Core modules raise this (never print or exit); the CLI prints ``str(error)`` as one line
    and exits 1. ``hint`` is an optional second sentence saying what to do about it.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(DevkitError):
    """The command line itself is wrong: options missing, conflicting or malformed.

    A :class:`DevkitError` like any other, but the CLI exits 2 for it (as argparse does for
    its own usage errors) so scripts can tell a wrong call from a failed one.
    """


def one_line(text: object, width: int = 400) -> str:
    """``text`` as one line for an error message: every run of whitespace (line breaks too)
    becomes one space, and a text longer than ``width`` is cut with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
