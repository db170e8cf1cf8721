"""`cstudio check --base REF [--head REF]`: the pre-merge gate.

Reports (--markdown/--json/--junit/--sarif) are written before the exit code is returned, so
a CI job can post the PR comment and still fail. Exit 0 pass, 1 a gate failed, 2 bad input.
A report path `-` means stdout; the human summary then goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from constitution_studio.cli.ci_options import (
    DEFAULT_BUDGET,
    add_critic_model,
    add_locale,
    critic_model,
    needs_critic,
    write_report,
)
from constitution_studio.cli.common import add_root, path_prefix, root_of, shown_finding
from constitution_studio.cli.progress import ScoringProgress
from constitution_studio.core.sanitize import json_safe
from constitution_studio.core.source import WORKTREE
from constitution_studio.errors import ExitCode, UsageError

REPORTS = ("markdown", "markdown_full", "json", "junit", "sarif")
FORMATS = ("text", "json", "markdown", "github", "sarif", "junit")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "check",
        help="pre-merge gate: validate, diff, label shift, gate rules; exit 1 when a gate fails",
        description="Compare BASE and HEAD, score the label shift and apply the `check:` rules of constitution.yaml.",
    )
    p.add_argument("--base", required=True, metavar="REF", help="base ref, e.g. origin/main")
    p.add_argument("--head", default=WORKTREE, metavar="REF", help="head ref (default: WORKTREE)")
    out = p.add_argument_group("reports (FILE `-` is stdout)")
    out.add_argument("--markdown", type=Path, default=None, metavar="FILE", help="the PR comment, within the budget")
    out.add_argument("--markdown-full", type=Path, default=None, metavar="FILE", help="the Markdown report, uncut")
    out.add_argument(
        "--markdown-budget",
        type=int,
        default=DEFAULT_BUDGET,
        metavar="CHARS",
        help=f"most characters of --markdown (default {DEFAULT_BUDGET}; GitHub refuses comments over 65536; 0: no cut)",
    )
    out.add_argument(
        "--markdown-artifact",
        default="constitution-check",
        metavar="NAME",
        help="artifact the cut comment points to for the full report (the action passes its artifact-name)",
    )
    out.add_argument("--json", type=Path, default=None, metavar="FILE", help="the full result as JSON")
    out.add_argument("--junit", type=Path, default=None, metavar="FILE", help="JUnit XML (one test per principle)")
    out.add_argument("--sarif", type=Path, default=None, metavar="FILE", help="SARIF 2.1.0 (findings, failing gates)")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="the report on stdout (or --output): text summary, json, markdown (the comment), github "
        "(workflow-command annotations), sarif or junit; the text summary then goes to stderr",
    )
    p.add_argument("--output", type=Path, default=None, metavar="FILE", help="write the --format report to FILE")
    gate = p.add_argument_group("tolerances (can only tighten the constitution's `check:` rules)")
    gate.add_argument("--max-over-refusal-increase", type=float, default=None, metavar="RATE")
    gate.add_argument("--max-stable-flips", type=int, default=None, metavar="N", help="per principle")
    gate.add_argument("--min-kappa", type=float, default=None, metavar="KAPPA")
    p.add_argument(
        "--principle",
        action="append",
        default=None,
        metavar="ID",
        help="score only what this principle's cases need (repeatable); trust and over-refusal then come "
        "from the score cache and the report says how far they reach",
    )
    add_critic_model(p)
    add_locale(p)
    p.add_argument("--no-cache", action="store_true", help="score everything again (the cache is not read)")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="print only the verdict line; no progress, no `wrote FILE` lines"
    )
    add_root(p)
    p.set_defaults(func=needs_critic(run_check_cmd))


def _format_target(args: argparse.Namespace) -> None:
    """--format json|markdown|sarif|junit is that report flag aimed at --output (or stdout)."""
    if args.format in REPORTS and getattr(args, args.format) is None:
        setattr(args, args.format, args.output if args.output is not None else Path("-"))
    elif args.format in REPORTS and args.output is not None:
        raise UsageError(f"--format {args.format} --output FILE and --{args.format} FILE: name the file once")


def _stdout_users(args: argparse.Namespace) -> list[str]:
    users = [f"--{name.replace('_', '-')}" for name in REPORTS if str(getattr(args, name) or "") == "-"]
    if args.format == "github" and args.output is None:
        users.append("--format github")
    return users


def _tightened(result: Any, args: argparse.Namespace) -> Any:
    """The result with the gates re-applied under the stricter of `check:` and the command-line tolerances."""
    from constitution_studio.core.analysis.gate import effective_settings, evaluate_gates, with_gates

    given = {
        "max_over_refusal_increase": args.max_over_refusal_increase,
        "max_stable_flips_per_principle": args.max_stable_flips,
        "min_kappa": args.min_kappa,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        return result
    settings = effective_settings(result.settings, result.settings.model_copy(update=given))
    gates = evaluate_gates(settings, result.findings, result.shift, result.critic_change)
    return with_gates(result, settings, gates)


def run_check_cmd(args: argparse.Namespace) -> int:
    from constitution_studio.core.report.check_json import check_json
    from constitution_studio.core.report.check_junit import check_junit
    from constitution_studio.core.report.check_markdown import check_markdown
    from constitution_studio.core.report.check_text import check_text
    from constitution_studio.core.report.markdown_budget import fit_check_markdown
    from constitution_studio.core.report.report_schemas import with_schema
    from constitution_studio.core.versions import check_ref_syntax

    _format_target(args)
    users = _stdout_users(args)
    if len(users) > 1:
        raise UsageError(f"only one output can go to stdout, not {' and '.join(users)}")
    if args.markdown_budget < 0:
        raise UsageError("--markdown-budget must be 0 (no cut) or more")
    for ref in (args.base, args.head):
        check_ref_syntax(ref)
    from constitution_studio.core.storage.report_files import check_report_path

    for name in REPORTS:  # a report path that is a folder or runs through a symlink fails before scoring
        if getattr(args, name) is not None:
            check_report_path(getattr(args, name))
    root = root_of(args)
    model = critic_model(args)
    started, clock = datetime.now(UTC), time.monotonic()
    bar = ScoringProgress("check: scoring")
    try:
        from constitution_studio.core.analysis.gate import run_check

        kwargs: dict[str, Any] = {"critic_overrides": {"model": model}} if model else {}
        locale = (args.locale or "").strip() or None
        result = run_check(
            root,
            args.base,
            args.head,
            use_cache=not args.no_cache,
            progress=bar,
            locale=locale,
            principles=args.principle,
            opened=bar.watch,
            **kwargs,
        )
    finally:
        bar.close()
    result = _tightened(result, args)
    located = result  # github and SARIF join the repository prefix themselves (_machine_outputs)
    if path_prefix():  # the other reports name files from the repository's top too
        result = result.model_copy(update={"findings": [shown_finding(f) for f in result.findings]})
    if args.markdown is not None or args.markdown_full is not None:
        full = check_markdown(result)
        if args.markdown_full is not None:
            write_report(args.markdown_full, full)
        if args.markdown is not None:
            write_report(args.markdown, fit_check_markdown(result, full, args.markdown_budget, args.markdown_artifact))
    if args.json is not None:
        data = with_schema("check", check_json(result))
        if data.get("shift") is not None:
            data["shift"] = with_schema("shift", data["shift"])
        write_report(args.json, json_safe(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
    if args.junit is not None:
        write_report(args.junit, check_junit(result, started=started, seconds=time.monotonic() - clock))
    if args.sarif is not None or args.format == "github":
        _machine_outputs(args, root, located)
    text = check_text(result)
    text = text.splitlines()[-1] + "\n" if args.quiet else text
    if args.format == "text" and args.output is not None:
        write_report(args.output, text)
    else:
        (sys.stderr if users else sys.stdout).write(text)
    return int(ExitCode.OK if result.passed else ExitCode.CHECK_FAILED)


def _machine_outputs(args: argparse.Namespace, root: Path, result: Any) -> None:
    from constitution_studio.cli.ci_options import head_locator, repo_prefix
    from constitution_studio.core.report.github import check_annotations
    from constitution_studio.core.report.sarif import check_sarif, render

    locate = head_locator(root, args.head)
    prefix = repo_prefix(root)
    if args.sarif is not None:
        write_report(args.sarif, render(check_sarif(result, locate, prefix)))
    if args.format == "github":
        write_report(args.output or Path("-"), check_annotations(result, locate, prefix))
