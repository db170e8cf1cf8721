"""`cstudio diff` (structural diff of two versions) and `cstudio log` (history of one principle).

Core modules are imported inside the run functions: GitPython alone takes ~0.2 s to import,
and every other `cstudio` command builds this parser too.
"""

from __future__ import annotations

import argparse
import os
import sys

from constitution_studio.cli.common import add_output, add_root, emit, path_prefix, root_of
from constitution_studio.core.ids import file_name_problem
from constitution_studio.core.paths import shown
from constitution_studio.core.sanitize import json_safe, sanitize
from constitution_studio.core.source import PRINCIPLES_DIR, WORKTREE
from constitution_studio.core.wording import plural
from constitution_studio.errors import BadInputError, ExitCode, InvalidConstitutionError, UsageError


def check_ref_syntax(ref: str) -> None:
    """Same check as core.versions.check_ref_syntax, without importing GitPython first."""
    from constitution_studio.core.versions import check_ref_syntax as check

    check(ref)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = subparsers.add_parser(
        "diff",
        help="what changed between two versions, by principle ID (default: HEAD against the work tree)",
        description="Structural diff of the constitution between two git refs (or WORKTREE).",
    )
    d.add_argument("base", nargs="?", default="HEAD", metavar="BASE", help="base ref (default: HEAD)")
    d.add_argument("head", nargs="?", default=WORKTREE, metavar="HEAD", help="head ref (default: WORKTREE)")
    add_root(d)
    add_output(d, ("text", "json", "markdown"))
    d.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour text output (auto: TTY, NO_COLOR)"
    )
    d.add_argument("--exit-code", action="store_true", help="exit 1 when there are differences (like git diff)")
    d.set_defaults(func=run_diff)

    lg = subparsers.add_parser("log", help="the commits that changed one principle, newest first")
    lg.add_argument("id", metavar="ID")
    lg.add_argument("--ref", default="HEAD", help="walk history from this ref (default: HEAD)")
    lg.add_argument("-n", "--limit", type=int, default=None, metavar="N", help="show at most N commits")
    add_root(lg)
    add_output(lg, ("text", "json"))
    lg.set_defaults(func=run_log)


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def run_diff(args: argparse.Namespace) -> int:
    from constitution_studio.core.report.diff_json import render_json
    from constitution_studio.core.report.diff_markdown import render_markdown
    from constitution_studio.core.report.diff_text import render_text
    from constitution_studio.core.versions import diff_refs

    for ref in (args.base, args.head):
        check_ref_syntax(ref)  # before anything reaches git
    root = root_of(args)
    diff, base_ws, head_ws = diff_refs(root, args.base, args.head)
    if head_ws.errors:
        raise InvalidConstitutionError(head_ws.errors)  # type: ignore[arg-type]
    if base_ws.errors and not args.quiet:
        sys.stderr.write(
            f"cstudio: warning: base {args.base} has {plural(len(base_ws.errors), 'validation error')}; "
            "the diff shows what did load\n"
        )
    if args.format == "json":
        emit(args, json_safe(render_json(diff)))
    elif args.format == "markdown":
        emit(args, render_markdown(diff))
    else:
        emit(args, render_text(diff, color=args.output is None and _use_color(args.color)))
    return int(ExitCode.CHECK_FAILED if args.exit_code and not diff.empty else ExitCode.OK)


def run_log(args: argparse.Namespace) -> int:
    from constitution_studio.core.history import principle_log

    check_ref_syntax(args.ref)
    problem = file_name_problem(args.id)  # any version's ID (the scheme may have changed since): a file name
    if problem is not None:
        raise BadInputError(f"{args.id[:64]!r} is not a principle ID: it {problem}")
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"-n/--limit must be at least 1 (got {args.limit})")
    root = root_of(args)
    entries = principle_log(root, args.id, limit=args.limit, ref=args.ref)
    entries = [  # paths relative to the repository's top, as every output
        e.model_copy(
            update={
                "path": e.path and shown(path_prefix(), e.path),
                "path_before": e.path_before and shown(path_prefix(), e.path_before),
            }
        )
        for e in entries
    ]
    if not entries and not (root / PRINCIPLES_DIR / f"{args.id}.yaml").exists():
        raise BadInputError(
            f"no principle {args.id}: not in the work tree, and no commit reachable from {args.ref} has it"
        )
    if args.format == "json":
        from constitution_studio.core.report.json_models import PrincipleLog
        from constitution_studio.core.report.report_schemas import json_text

        emit(args, json_text("log", PrincipleLog(id=args.id, commits=entries).model_dump(mode="json")))
        return 0
    if not entries:
        if not args.quiet:
            sys.stderr.write(f"cstudio: no commit reachable from {args.ref} changed {args.id}\n")
        return 0
    lines = []
    for e in entries:
        kinds = ", ".join(e.changes) or "edited (comments or layout)"
        if e.boundary:
            kinds = "history starts here: shallow clone" + (f"; {', '.join(e.changes)}" if e.changes else "")
        if e.fields:
            kinds = kinds.replace("fields", "fields: " + "/".join(e.fields))
        if "moved" in e.changes:
            kinds += f" (rank {e.rank_before or '-'} -> {e.rank_after or '-'})"
        author, subject, path = sanitize(e.author), sanitize(e.subject), sanitize(str(e.path))
        lines.append(f"{e.short}  {e.date[:10]}  {author}  {subject}\n    {kinds}  [{path}]\n")
    emit(args, "".join(lines))
    return 0
