"""`cstudio validate` and `cstudio schema`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from constitution_studio.cli.common import add_format, add_root, print_json, root_of
from constitution_studio.core.findings import Severity
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.schema import schema_documents
from constitution_studio.core.workspace import load_root, resolve_root
from constitution_studio.errors import ExitCode, StudioError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("validate", help="check the constitution's files; exit 1 on errors")
    add_root(p)
    add_format(p, ("text", "json", "github"))
    p.add_argument("--sarif", type=Path, default=None, metavar="FILE", help="also write SARIF 2.1.0 here (- is stdout)")
    p.set_defaults(func=run_validate)

    s = subparsers.add_parser("schema", help="print or write the JSON Schemas of the three file kinds")
    s.add_argument("--out", type=Path, default=None, metavar="DIR", help="write the schema files into DIR")
    s.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="take principle IDs' pattern from this constitution's id_pattern (default: the nearest "
        "constitution above cwd, else ^[A-Z]+-[0-9]{2,}$)",
    )
    s.set_defaults(func=run_schema)


def run_validate(args: argparse.Namespace) -> int:
    ws = load_root(root_of(args))
    errors = sum(f.severity is Severity.ERROR for f in ws.findings)
    warnings = len(ws.findings) - errors
    if args.sarif is not None:
        from constitution_studio.cli.ci_options import repo_prefix, write_report
        from constitution_studio.core.report.sarif import render, validate_sarif

        write_report(args.sarif, render(validate_sarif(ws.findings, repo_prefix(root_of(args)))))
    if args.format == "github":
        from constitution_studio.cli.ci_options import repo_prefix
        from constitution_studio.core.report.github import finding_annotations

        sys.stdout.write(finding_annotations(ws.findings, repo_prefix(root_of(args))))
    elif args.format == "json":
        print_json(
            {
                "ok": errors == 0,
                "errors": errors,
                "warnings": warnings,
                "principles": len(ws.principles),
                "cases": len(ws.cases),
                "findings": [f.model_dump(mode="json") for f in ws.findings],
            }
        )
    else:
        for finding in ws.findings:
            sys.stdout.write(sanitize(finding.format()) + "\n")
        summary = f"{len(ws.principles)} principles, {len(ws.cases)} cases: {errors} error(s), {warnings} warning(s)"
        sys.stderr.write(("ok: " if errors == 0 else "failed: ") + summary + "\n")
    return int(ExitCode.CHECK_FAILED if errors else ExitCode.OK)


def run_schema(args: argparse.Namespace) -> int:
    docs = schema_documents(_id_pattern(args.root))
    if args.out is None:
        for name, text in docs.items():
            sys.stdout.write(f"# {name}\n{text}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (args.out / name).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {args.out / name}\n")
    return 0


def _id_pattern(root: Path | None) -> str:
    """The constitution's id_pattern for `schema` (an unusable one is refused as validate would)."""
    from constitution_studio.core.ids import DEFAULT_ID_PATTERN
    from constitution_studio.core.workspace import find_root, id_pattern_of

    if root is None:
        try:
            root = find_root(Path.cwd())
        except StudioError:
            return DEFAULT_ID_PATTERN
    return id_pattern_of(resolve_root(root))
