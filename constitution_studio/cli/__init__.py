"""The `cstudio` command: parse arguments, call core, render, map errors to exit codes.

Each command lives in its own module with a `register(subparsers)` function; adding a
command is one line in `COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import logging
import os
import sqlite3
import sys
import traceback
from collections.abc import Sequence

from constitution_studio import __version__
from constitution_studio.core.sanitize import sanitize
from constitution_studio.errors import ExitCode, InvalidConstitutionError, StudioError

COMMAND_MODULES = [
    "constitution_studio.cli.tui_cmd",
    "constitution_studio.cli.init_cmd",
    "constitution_studio.cli.validate_cmd",
    "constitution_studio.cli.author_cmd",
    "constitution_studio.cli.import_cmd",
    "constitution_studio.cli.diff_cmd",
    "constitution_studio.cli.shift_cmd",
    "constitution_studio.cli.check_cmd",
    "constitution_studio.cli.compare_cmd",
    "constitution_studio.cli.critic_cmd",
    "constitution_studio.cli.review_cmd",
    "constitution_studio.cli.trust_cmd",
    "constitution_studio.cli.export_cmd",
    "constitution_studio.cli.revise_cmd",
    "constitution_studio.cli.revisions_cmd",
    "constitution_studio.cli.completion_cmd",
]


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default is also 2, but prints usage too)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(
            f"cstudio: usage: {message} (see `cstudio {self.prog.split()[-1]} --help`)\n"
            if " " in self.prog
            else f"cstudio: usage: {message} (see `cstudio --help`)\n"
        )
        raise SystemExit(ExitCode.BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cstudio", description="Write, version and test the constitution that steers your model.")
    parser.add_argument("--version", action="version", version=f"cstudio {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _is_terminal() -> bool:
    """Whether both ends are a terminal: the studio is full-screen and would hang in a pipe."""
    return all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout))


def _no_terminal_hint(parser: argparse.ArgumentParser) -> str:
    """One line saying why the studio did not open, then the commands (for CI logs)."""
    lines = ["cstudio: the studio needs a terminal (stdin and stdout are not one); run a command instead:"]
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for choice in getattr(action, "_choices_actions", []):
            lines.append(f"  {choice.dest:<10} {choice.help}")
    return "\n".join(lines) + "\n"


def _where(exc: BaseException) -> str:
    """`path: ` of the file an OSError or sqlite error was about, when it says."""
    name = getattr(exc, "filename", None)
    if name:
        try:
            return f"{os.path.relpath(str(name))}: "
        except ValueError:
            return f"{name}: "
    return ""


def _describe(exc: BaseException) -> str:
    """One line for an error from the machine, not the input: disk full, permissions, a broken cache."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason = "no space left on the device"
        elif exc.errno == errno.ENAMETOOLONG:
            reason = "file name too long"
        return f"{_where(exc)}error: {reason}"
    if isinstance(exc, sqlite3.Error):
        return f"error: the score cache failed ({exc}); run `cstudio cache clear` or delete .cstudio/critic.sqlite"
    if isinstance(exc, RecursionError):
        return "error: a file is nested too deeply to read"
    return "error: out of memory (is a file or the constitution unusually large?)"


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    if debug:
        args_list.remove("--debug")
    parser = build_parser()
    studio_first = args_list and args_list[0].startswith(("--root", "--critic-server"))  # `cstudio --root D`
    if not args_list or (studio_first and "tui" not in args_list):
        if not _is_terminal():
            sys.stderr.write(_no_terminal_hint(parser))
            return int(ExitCode.BAD_INPUT)
        args_list = ["tui", *args_list]
    args = parser.parse_args(args_list)
    if args.command == "tui" and not _is_terminal():  # `cstudio tui` in a pipe: the hint, not a hang
        sys.stderr.write(_no_terminal_hint(parser))
        return int(ExitCode.BAD_INPUT)
    from constitution_studio.cli.common import set_quiet

    set_quiet(bool(getattr(args, "quiet", False)))
    from constitution_studio.core.models import SERVER_ENV

    server_before = os.environ.get(SERVER_ENV)
    server = getattr(args, "critic_server", None)
    if server:  # the flag is the variable: every judge this process opens reads it (engine.server_settings)
        os.environ[SERVER_ENV] = server
    handler = _WarningLines()
    log = logging.getLogger("constitution_studio")
    log.addHandler(handler)
    try:
        return int(args.func(args))
    except InvalidConstitutionError as exc:
        from constitution_studio.cli.common import shown_finding

        for finding in exc.findings:
            sys.stderr.write(f"{sanitize(shown_finding(finding).format())}\n")  # type: ignore[arg-type]
        return int(ExitCode.BAD_INPUT)
    except StudioError as exc:
        sys.stderr.write(f"cstudio: {sanitize(exc.one_line())}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        # Scores are committed to the cache per batch: what finished is kept for the next run.
        sys.stderr.write("cstudio: cancelled (finished critic scores are kept in the cache)\n")
        return int(ExitCode.BAD_INPUT)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except (OSError, sqlite3.Error, RecursionError, MemoryError) as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"cstudio: {sanitize(_describe(exc))}\n")
        return int(ExitCode.BAD_INPUT)
    except Exception as exc:  # a bug: say so, with its own exit code
        if debug:
            traceback.print_exc()
        sys.stderr.write(
            f"cstudio: internal error, please report ({type(exc).__name__}: {sanitize(str(exc))[:200]}); "
            "run again with --debug for the traceback\n"
        )
        return int(ExitCode.INTERNAL)
    finally:
        # One run's --quiet and --critic-server end with it: a caller running several commands in
        # one process (tests, a notebook) does not get the last one's settings.
        log.removeHandler(handler)
        set_quiet(False)
        if server:
            if server_before is None:
                os.environ.pop(SERVER_ENV, None)
            else:
                os.environ[SERVER_ENV] = server_before


class _WarningLines(logging.Handler):
    """Core's warnings (a corrupt cache moved aside, an untrusted .cstudio) as `cstudio: warning:` lines."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a warning must never become the error
            sys.stderr.write(f"cstudio: warning: {sanitize(record.getMessage())}\n")
