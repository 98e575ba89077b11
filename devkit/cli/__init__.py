"""The command line: argument parsing, terminal output and exit codes.

Only this package talks to the terminal. Each subcommand lives in its own module with a
``register(subparsers)`` function that adds its parser and sets ``func`` to a handler
``handler(args, ui) -> int``. Core modules raise :class:`devkit.errors.DevkitError`; ``main``
turns that into one red line and exit code 1 (2 for its subclass ``UsageError``).

Exit codes: 0 ok, 1 user error, 2 usage error (argparse, ``UsageError``), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

import devkit
from devkit.cli._common import UI, Formatter
from devkit.errors import DevkitError, UsageError

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

EXAMPLES = """\
examples:
  devkit new my-service                       # interactive wizard
  devkit new my-service --defaults --data stacks=python,node
  devkit volumes list --json
  devkit bench . --compare Dockerfile.old
  devkit doctor ~/src/legacy-repo
  devkit prebuild . --registry ghcr.io/acme/api-dev --push
  devkit update ~/src/*/ --jobs 4
"""


#: Subcommand modules, in --help order.
COMMANDS = ("new", "volumes", "bench", "doctor", "prebuild", "update", "template")


def _command_modules(argv: Sequence[str] | None) -> list[Any]:
    """The subcommand modules to load: only the one ``argv`` names, else all of them.

    Each module brings its own imports (rich.live, zstandard, dockerfile-parse, ...); a
    `devkit new` or a quiet postCreateCommand hook should not pay for every other command's.
    """
    names: Sequence[str] = COMMANDS
    if argv is not None:
        first = next((a for a in argv if not a.startswith("-")), None)
        if first in COMMANDS:
            names = (first,)
    return [importlib.import_module(f"devkit.cli.{name}") for name in names]


class _Version(argparse.Action):
    """``--version``: looks the version up only when asked (see devkit/__init__.py)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="show program's version number and exit",
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        sys.stdout.write(f"devkit {devkit.__version__}\n")
        parser.exit()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser (for tests and docs): every subcommand, or the one ``argv`` names."""
    parser = argparse.ArgumentParser(
        prog="devkit",
        description="Fast, safe dev containers across many repositories.",
        epilog=EXAMPLES,
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _command_modules(argv):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``devkit`` console script; returns the exit code."""
    ui = UI()
    return _flush_stdout(_main(ui, argv), ui)


def _flush_stdout(code: int, ui: UI) -> int:
    """Flush stdout while a failure can still be one line and an exit code.

    Python flushes it again at exit, and when that fails (a full disk, a closed pipe) it prints
    "Exception ignored on flushing sys.stdout" and exits 120 (3.13). After a failed flush the
    bytes that could not be written go to /dev/null instead, so that last flush succeeds.
    """
    try:
        sys.stdout.flush()
    except OSError as exc:
        with contextlib.suppress(OSError, ValueError):  # a test's stand-in has no file number
            fileno = sys.stdout.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fileno)
            os.close(devnull)
        # A reader that went away is not an error (`devkit volumes list | head`); an error
        # already reported keeps its code and is not repeated.
        if code == EXIT_OK and exc.errno != errno.EPIPE:
            ui.error(f"cannot write the output: {exc.strerror or exc}")
            return EXIT_USER
    return code


def _main(ui: UI, argv: Sequence[str] | None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        code: int = args.func(args, ui)
        return code
    except KeyboardInterrupt:
        ui.error("interrupted")
        return EXIT_INTERRUPTED
    except UsageError as exc:
        ui.error(str(exc))
        return EXIT_USAGE
    except DevkitError as exc:
        ui.error(str(exc))
        return EXIT_USER
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except BrokenPipeError:
        # `devkit volumes list | head`: the reader went away; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug in devkit: still one line unless asked for the traceback
        if os.environ.get("DEVKIT_DEBUG"):
            raise
        ui.error(f"internal error: {type(exc).__name__}: {exc} (set DEVKIT_DEBUG=1 for details)")
        return EXIT_USER
