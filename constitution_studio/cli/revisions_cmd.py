"""`cstudio revisions CASE...`: the revisions `cstudio revise` recorded for cases, as the studio's
case detail shows them (core/export/revision_record.py reads them, revision_text.py words them)."""

from __future__ import annotations

import argparse

from constitution_studio.cli.common import add_output, add_root, emit, load_valid, root_of
from constitution_studio.core.wording import noun
from constitution_studio.errors import BadInputError, ExitCode


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "revisions",
        help="the revisions `cstudio revise` recorded for cases: rounds, the judge's labels, the accepted round",
        description="Show each case's recorded critique-revision runs, newest first: the principle and whether "
        "its wording is still current, the generator and the judge, every round's critique, revision and the "
        "judge's label, and the round the judge accepted. Read from .cstudio/generations.sqlite (a trusted "
        ".cstudio only).",
    )
    p.add_argument("cases", nargs="+", metavar="CASE", help="case ID (one or more)")
    p.add_argument("--full", action="store_true", help="print every critique and revision whole (default: cut)")
    add_output(p, ("text", "json"))
    add_root(p)
    p.set_defaults(func=run_revisions)


def run_revisions(args: argparse.Namespace) -> int:
    from constitution_studio.core.export.revision_record import RevisionsReport, revisions_for_case
    from constitution_studio.core.export.revision_text import revisions_text
    from constitution_studio.core.report.report_schemas import json_text

    root = root_of(args)
    ws = load_valid(root)
    asked = list(dict.fromkeys(args.cases))
    unknown = [c for c in asked if c not in ws.cases]
    if unknown:
        raise BadInputError(f"unknown case {noun(len(unknown), 'id')}: {', '.join(unknown)}")
    report = RevisionsReport(cases=[revisions_for_case(root, c, ws) for c in asked])
    if args.format == "json":
        emit(args, json_text("revisions", report.model_dump(mode="json")))
    else:
        kinds = {c: ws.cases[c].kind for c in asked}
        emit(args, revisions_text(report.cases, kinds, full=args.full))
    return int(ExitCode.OK)
