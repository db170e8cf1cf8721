"""`cstudio import cases|promptfoo|inspect|principles FILE`: bring existing eval sets and specs in.

Parsing, the mapping, the plan, validation and the write are core's (core/imports/); this
module reads the options, calls it and renders the report. Exit 0 when the import was
written (or would be, with --dry-run), 2 for bad input: an unreadable file, a bad mapping,
records that cannot be cases (one line each; nothing written), or a result that would not
validate (validate's lines; nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from constitution_studio.cli.common import add_output, add_root, emit, path_prefix, root_of
from constitution_studio.errors import ExitCode

if TYPE_CHECKING:
    from constitution_studio.core.imports.report import ImportReport

KINDS = {
    "cases": "eval cases from JSONL, JSON, CSV/TSV, YAML, a parquet file or a Hugging Face datasets folder",
    "promptfoo": "eval cases from a promptfoo test file (vars and the assertions that map)",
    "inspect": "eval cases from an inspect-style dataset (input/target, message lists with roles)",
    "principles": "principles from a Markdown document (one per heading at --level)",
}


def _case_options(p: argparse.ArgumentParser, kind: str) -> None:
    m = p.add_argument_group("mapping")
    m.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN,...",
        help="case field from a column or dotted path (fields: id, prompt, system, response, a, b, gold, "
        "principles, benign, tags, note); a column named like a field is used unnamed",
    )
    m.add_argument(
        "--labels",
        action="append",
        default=[],
        metavar="LABEL=VALUE,...",
        help="gold label from the file's value, e.g. violates=unsafe,complies=safe (repeat a label for more values)",
    )
    m.add_argument("--principle", action="append", default=[], metavar="ID", help="link every case to ID (repeatable)")
    m.add_argument("--tag", action="append", default=[], metavar="TAG", help="add TAG to every case (repeatable)")
    m.add_argument(
        "--id-prefix", default=None, metavar="PREFIX", help="prefix of content-hash IDs (default: file name)"
    )
    if kind == "cases":
        m.add_argument("--split", default=None, metavar="NAME", help="the split of a datasets folder (e.g. train)")
    w = p.add_argument_group("writing")
    w.add_argument(
        "--into", default=None, metavar="FILE", help="case file new cases go to (default: eval_cases/NAME.yaml)"
    )
    w.add_argument("--update", action="store_true", help="replace cases whose ID exists with other content")
    w.add_argument("--skip-invalid", action="store_true", help="leave out records that cannot be cases (listed)")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser(
        "import",
        help="bring in eval cases (JSONL/CSV/datasets, promptfoo, inspect) or principles (Markdown)",
        description="Import eval cases or principles; every import is validated and written in one transaction.",
    )
    sub = group.add_subparsers(dest="import_kind", metavar="KIND", parser_class=type(group))
    sub.required = True
    for kind, help_text in KINDS.items():
        p = sub.add_parser(kind, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        p.add_argument("source", type=Path, metavar="FILE" if kind != "cases" else "FILE|FOLDER")
        if kind == "principles":
            _principle_options(p)
        else:
            _case_options(p, kind)
        p.add_argument("--dry-run", action="store_true", help="show what would be written; write nothing")
        add_output(p, ("text", "json"))
        add_root(p)
        p.set_defaults(func=run_import)


def _principle_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--level", type=int, default=2, metavar="N", help="heading level of a principle (default: 2, ##)")
    p.add_argument(
        "--ids",
        choices=("auto", "anchor", "generate"),
        default="auto",
        help="ID from the heading's anchor ({#ID}, a leading ID, the slug) when it fits the ID pattern; "
        "generate: PREFIX-NN; auto: the anchor when it fits, else generated (default)",
    )
    p.add_argument("--id-prefix", default="P", metavar="PREFIX", help="prefix of generated IDs (default: P)")
    p.add_argument("--status", choices=("active", "draft"), default="active", help="status of new principles")
    p.add_argument("--after", default=None, metavar="ID", help="place them after ID in the priority (default: last)")
    p.add_argument(
        "--order",
        default=None,
        metavar="ID,...",
        help="their priority order (default: the document's order); IDs not named follow in document order",
    )
    p.add_argument("--update", action="store_true", help="replace the title and statement of existing principles")


def run_import(args: argparse.Namespace) -> int:
    from constitution_studio.core.imports.report import RecordErrors
    from constitution_studio.core.report.import_text import import_summary, import_text
    from constitution_studio.core.sanitize import sanitize

    root = root_of(args)
    try:
        report = _principles(args, root) if args.import_kind == "principles" else _cases(args, root)
    except RecordErrors as exc:
        for line in exc.lines[:20]:
            sys.stderr.write(sanitize(line) + "\n")
        if len(exc.lines) > 20:
            sys.stderr.write(f"... and {len(exc.lines) - 20} more\n")
        raise
    if path_prefix():  # the one path rule: relative to the repository's top
        from constitution_studio.core.paths import shown

        files = [f.model_copy(update={"path": shown(path_prefix(), f.path)}) for f in report.files]
        report = report.model_copy(update={"files": files})
    if args.format == "json":
        from constitution_studio.core.report.report_schemas import json_text

        emit(args, json_text("import", report.model_dump(mode="json")))
    else:
        emit(args, import_summary(report) + "\n" if args.quiet else import_text(report))
    return int(ExitCode.OK)


def _cases(args: argparse.Namespace, root: Path) -> ImportReport:
    from constitution_studio.core.imports.cases import CaseOptions, default_into, import_cases, slug
    from constitution_studio.core.imports.mapping import Mapping, parse_labels, parse_map
    from constitution_studio.core.imports.records import display
    from constitution_studio.core.imports.report import ImportReport
    from constitution_studio.core.imports.sources import open_source

    given = parse_map(args.map)
    labels = parse_labels(args.labels)
    source = open_source(args.import_kind, args.source, getattr(args, "split", None), given)
    mapping = Mapping(
        fields={**source.defaults, **given}, labels=labels, principles=tuple(args.principle), tags=tuple(args.tag)
    )
    options = CaseOptions(
        mapping=mapping,
        into=args.into or default_into(args.source),
        id_prefix=slug(args.id_prefix) if args.id_prefix else slug(args.source.stem or args.source.name),
        update=args.update,
        skip_invalid=args.skip_invalid,
    )
    report = ImportReport(
        kind=args.import_kind, source=display(args.source), dry_run=args.dry_run, written=False, records=0
    )
    return import_cases(root, source, options, report, dry_run=args.dry_run)


def _principles(args: argparse.Namespace, root: Path) -> ImportReport:
    from constitution_studio.core.imports.principles import PrincipleOptions, import_principles

    options = PrincipleOptions(
        level=args.level,
        ids=args.ids,
        id_prefix=args.id_prefix,
        status=args.status,
        after=args.after,
        order=tuple(x.strip() for x in (args.order or "").split(",") if x.strip()),
        update=args.update,
    )
    return import_principles(root, args.source, options, dry_run=args.dry_run)
