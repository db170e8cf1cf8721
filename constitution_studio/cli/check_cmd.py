"""`cstudio check --base REF [--head REF]`: the pre-merge gate.

Reports (--markdown/--json/--junit) are written before the exit code is returned, so a CI
job can post the PR comment and still fail. Exit 0 pass, 1 a gate failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from constitution_studio.cli.common import add_root, root_of
from constitution_studio.cli.progress import ScoringProgress
from constitution_studio.core.source import WORKTREE
from constitution_studio.errors import BadInputError, ExitCode


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "check",
        help="pre-merge gate: validate, diff, label shift, gate rules; exit 1 when a gate fails",
        description="Compare BASE and HEAD, score the label shift and apply the `check:` rules of constitution.yaml.",
    )
    p.add_argument("--base", required=True, metavar="REF", help="base ref, e.g. origin/main")
    p.add_argument("--head", default=WORKTREE, metavar="REF", help="head ref (default: WORKTREE)")
    p.add_argument("--markdown", type=Path, default=None, metavar="FILE", help="write the PR comment here")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the full result as JSON here")
    p.add_argument("--junit", type=Path, default=None, metavar="FILE", help="write JUnit XML (one test per principle)")
    p.add_argument("--no-cache", action="store_true", help="score everything again (the cache is not read)")
    p.add_argument("--quiet", action="store_true", help="print only the verdict line")
    add_root(p)
    p.set_defaults(func=run_check_cmd)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise BadInputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    sys.stderr.write(f"wrote {path}\n")


def run_check_cmd(args: argparse.Namespace) -> int:
    from constitution_studio.core.check import run_check
    from constitution_studio.core.report.check_json import check_json
    from constitution_studio.core.report.check_junit import check_junit
    from constitution_studio.core.report.check_markdown import check_markdown
    from constitution_studio.core.report.check_text import check_text
    from constitution_studio.core.versions import check_ref_syntax

    for ref in (args.base, args.head):
        check_ref_syntax(ref)
    root = root_of(args)
    bar = ScoringProgress("check: scoring")
    try:
        result = run_check(root, args.base, args.head, use_cache=not args.no_cache, progress=bar)
    finally:
        bar.close()
    if args.markdown is not None:
        _write(args.markdown, check_markdown(result))
    if args.json is not None:
        _write(args.json, json.dumps(check_json(result), indent=2, ensure_ascii=False) + "\n")
    if args.junit is not None:
        _write(args.junit, check_junit(result))
    text = check_text(result)
    sys.stdout.write(text.splitlines()[-1] + "\n" if args.quiet else text)
    return int(ExitCode.OK if result.passed else ExitCode.CHECK_FAILED)
