"""The `cstudio` command: parse arguments, call core, render, map errors to exit codes.

Each command lives in its own module with a `register(subparsers)` function; adding a
command is one line in `COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from constitution_studio import __version__
from constitution_studio.errors import ExitCode, InvalidConstitutionError, StudioError

COMMAND_MODULES = [
    "constitution_studio.cli.tui_cmd",
    "constitution_studio.cli.validate_cmd",
    "constitution_studio.cli.author_cmd",
    "constitution_studio.cli.diff_cmd",
    "constitution_studio.cli.shift_cmd",
    "constitution_studio.cli.check_cmd",
    "constitution_studio.cli.compare_cmd",
    "constitution_studio.cli.critic_cmd",
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


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not args_list or (args_list[0].startswith("--root") and "tui" not in args_list):
        if not _is_terminal():
            sys.stderr.write(_no_terminal_hint(parser))
            return int(ExitCode.BAD_INPUT)
        args_list = ["tui", *args_list]
    args = parser.parse_args(args_list)
    try:
        return int(args.func(args))
    except InvalidConstitutionError as exc:
        for finding in exc.findings:
            sys.stderr.write(f"{finding.format()}\n")  # type: ignore[attr-defined]
        return int(ExitCode.BAD_INPUT)
    except StudioError as exc:
        sys.stderr.write(f"cstudio: {exc.one_line()}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("cstudio: interrupted\n")
        return 130
    except BrokenPipeError:
        return int(ExitCode.OK)
