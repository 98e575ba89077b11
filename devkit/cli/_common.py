"""Terminal helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape

from devkit.errors import DevkitError

Handler = Callable[[argparse.Namespace, "UI"], int]


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` for whole numbers >= ``minimum`` (bad values are usage errors)."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {number}")
        return number

    parse.__name__ = f"at_least_{minimum}"
    return parse


def non_negative_float(value: str) -> float:
    """An argparse ``type`` for numbers >= 0 (bad values are usage errors)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not number >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return number


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in epilogs laid out as written."""


class UI:
    """Everything devkit writes to the terminal goes through here.

    ``out`` is stdout (data a script may read); ``err`` is stderr (messages, progress).
    """

    def __init__(self) -> None:
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    @property
    def interactive(self) -> bool:
        """True when both stdin and stderr are terminals (so prompts and progress make sense)."""
        return sys.stdin.isatty() and self.err.is_terminal

    def error(self, message: str) -> None:
        """One error line (more only if the message itself has several)."""
        self.err.print(f"[bold red]devkit: error:[/] {escape(message)}")

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]devkit: warning:[/] {escape(message)}")

    def info(self, message: str) -> None:
        self.err.print(escape(message))

    def print_json(self, data: Any) -> None:
        """Machine-readable output on stdout, exactly JSON (no rich markup)."""
        try:
            sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            raise  # the reader went away: main() treats that as no error
        except OSError as exc:
            raise DevkitError(f"cannot write the output: {exc.strerror or exc}") from exc


@contextmanager
def log_width(console: Console, width: int = 120) -> Iterator[Console]:
    """Widen ``console`` to ``width`` columns while printing tables into a log or a pipe.

    Off a terminal (and without COLUMNS) rich assumes 80 columns and wraps every cell of a
    wide table; ``Console.print(width=...)`` can only narrow, so the console itself is widened.
    """
    saved = console.width
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = max(saved, width)
    try:
        yield console
    finally:
        console.width = saved


def add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    *,
    help: str,
    examples: str,
    handler: Handler | None = None,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand whose ``--help`` ends with the given examples."""
    parser = sub.add_parser(
        name,
        help=help,
        description=description or help,
        epilog="examples:\n" + "\n".join("  " + line for line in examples.strip().splitlines()),
        formatter_class=Formatter,
    )
    if handler is not None:
        parser.set_defaults(func=handler)
    return parser
