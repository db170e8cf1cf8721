"""Helpers every command shares: --root, --format, loading a constitution that must be valid."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from constitution_studio.core.findings import Finding
from constitution_studio.core.sanitize import json_safe
from constitution_studio.core.storage.journal import recover
from constitution_studio.core.workspace import Workspace, load_root, resolve_root
from constitution_studio.errors import InvalidConstitutionError

_quiet = False
_prefix = ""  # the constitution root relative to the repository's top (core/paths.py)


def set_quiet(value: bool) -> None:
    """Set once per run from --quiet: progress bars and `wrote FILE` lines stay silent."""
    global _quiet
    _quiet = value


def is_quiet() -> bool:
    return _quiet


def path_prefix() -> str:
    """Where the constitution of this run is, relative to the repository's top ('' before root_of)."""
    return _prefix


def shown_finding(finding: Finding) -> Finding:
    """A finding with its path relative to the repository's top (the one path rule of every output)."""
    from constitution_studio.core.paths import shown

    return finding.model_copy(update={"path": shown(_prefix, finding.path)}) if _prefix else finding


def add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="constitution folder (holds principles/ and eval_cases/); default: nearest above cwd",
    )


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("text", "json")) -> None:
    parser.add_argument("--format", choices=choices, default="text", help="output format (default: text)")


def add_output(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("text", "json")) -> None:
    """The output options every reporting command shares: --format, --output FILE, --quiet (docs/formats.md)."""
    add_format(parser, choices)
    parser.add_argument(
        "--output", type=Path, default=None, metavar="FILE", help="write the report to FILE instead of stdout"
    )
    add_quiet(parser)


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress, notes or `wrote FILE` lines; errors still print"
    )


def emit(args: argparse.Namespace, text: str) -> None:
    """The report to --output FILE (atomically; `-` is stdout) or to stdout."""
    path = getattr(args, "output", None)
    if path is None or str(path) == "-":
        sys.stdout.write(text)
        return
    from constitution_studio.cli.ci_options import write_report

    write_report(path, text)


def root_of(args: argparse.Namespace) -> Path:
    """The constitution root; first finishes or undoes a write a killed command left behind."""
    global _prefix
    from constitution_studio.core.paths import repo_prefix

    output = getattr(args, "output", None)
    if isinstance(output, Path):  # a report path that cannot be written fails before any work
        from constitution_studio.core.storage.report_files import check_report_path

        check_report_path(output)
    root = resolve_root(args.root)
    _prefix = repo_prefix(root)
    note = recover(root)
    if note:
        sys.stderr.write(f"cstudio: {note}\n")
    return root


def load_valid(root: Path, ref: str | None = None) -> Workspace:
    """The constitution in the work tree (`ref` None) or at git `ref`, refusing (exit 2, the same
    lines as validate) when invalid."""
    if ref is None:
        ws = load_root(root)
    else:
        from constitution_studio.core.versions import load_version

        ws = load_version(root, ref)
    if ws.errors:
        raise InvalidConstitutionError(ws.errors)  # type: ignore[arg-type]
    return ws


def print_json(data: Any) -> None:
    sys.stdout.write(json_safe(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
