"""`cstudio validate` and `cstudio schema`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from constitution_studio.cli.common import add_output, add_quiet, add_root, emit, root_of, shown_finding
from constitution_studio.core.findings import Severity
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.schema import schema_documents
from constitution_studio.core.workspace import load_root, resolve_root
from constitution_studio.errors import ExitCode, StudioError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("validate", help="check the constitution's files; exit 1 on errors")
    add_root(p)
    add_output(p, ("text", "json", "github", "sarif"))
    p.add_argument("--sarif", type=Path, default=None, metavar="FILE", help="also write SARIF 2.1.0 here (- is stdout)")
    p.set_defaults(func=run_validate)

    s = subparsers.add_parser(
        "schema", help="print or write the JSON Schemas: the three file kinds (editors) and every JSON report"
    )
    s.add_argument("--out", type=Path, default=None, metavar="DIR", help="write each schema as its own file into DIR")
    s.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="take principle IDs' pattern from this constitution's id_pattern (default: the nearest "
        "constitution above cwd, else ^[A-Z]+-[0-9]{2,}$)",
    )
    add_quiet(s)
    s.set_defaults(func=run_schema)


def run_validate(args: argparse.Namespace) -> int:
    from constitution_studio.cli.ci_options import write_report

    root = root_of(args)
    ws = load_root(root)
    findings = [shown_finding(f) for f in ws.findings]  # paths relative to the repository's top
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    sarif = None
    if args.sarif is not None or args.format == "sarif":
        from constitution_studio.core.report.sarif import render, validate_sarif

        sarif = render(validate_sarif(findings, ""))
    if args.sarif is not None and sarif is not None:
        write_report(args.sarif, sarif)
    if args.format == "sarif" and sarif is not None:
        emit(args, sarif)
    elif args.format == "github":
        from constitution_studio.core.report.github import finding_annotations

        emit(args, finding_annotations(findings, ""))
    elif args.format == "json":
        from constitution_studio.core.report.json_models import ValidationReport
        from constitution_studio.core.report.report_schemas import json_text

        report = ValidationReport(
            ok=errors == 0,
            errors=errors,
            warnings=warnings,
            principles=len(ws.principles),
            cases=len(ws.cases),
            findings=findings,
        )
        emit(args, json_text("validate", report.model_dump(mode="json")))
    else:
        emit(args, "".join(sanitize(finding.format()) + "\n" for finding in findings))
    if not args.quiet and args.format == "text":
        from constitution_studio.core.wording import plural

        counts = [plural(len(ws.principles), "principle"), plural(len(ws.cases), "case")]
        summary = f"{', '.join(counts)}: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
        sys.stderr.write(("ok: " if errors == 0 else "failed: ") + summary + "\n")
    return int(ExitCode.CHECK_FAILED if errors else ExitCode.OK)


def run_schema(args: argparse.Namespace) -> int:
    """The editor schemas and the report schemas: one JSON object on stdout, or one file each in --out.

    Principle IDs in the editor schemas carry the constitution's `id_pattern` (--root, else the
    nearest constitution above cwd, else the default)."""
    from constitution_studio.core.report.report_schemas import report_schema_documents

    docs = {**schema_documents(_id_pattern(args.root)), **report_schema_documents()}
    if args.out is None:
        combined = {name: json.loads(text) for name, text in docs.items()}
        sys.stdout.write(json.dumps(combined, indent=2, sort_keys=True) + "\n")
        return 0
    from constitution_studio.core.storage.report_files import report_folder, write_report_file

    folder = report_folder(args.out)  # a symlinked DIR is refused; each file replaces a link, never follows it
    for name, text in docs.items():
        write_report_file(folder / name, text)
        if not args.quiet:
            sys.stderr.write(f"wrote {folder / name}\n")
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
