"""`cstudio shift [BASE [HEAD]]`: which labels an edit moves, with the critic's trust first."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from constitution_studio.cli.ci_options import (
    DEFAULT_BUDGET,
    add_critic_model,
    add_locale,
    check_locale,
    critic_model,
    needs_critic,
    require_critic,
    write_report,
)
from constitution_studio.cli.common import add_output, add_root, emit, root_of
from constitution_studio.cli.progress import ScoringProgress
from constitution_studio.core.sanitize import json_safe
from constitution_studio.core.source import WORKTREE
from constitution_studio.core.wording import plural
from constitution_studio.errors import ExitCode, InvalidConstitutionError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "shift",
        help="label shift between two versions: flips, |dp|, gold accuracy, over-refusal (default: HEAD vs work tree)",
        description="Score the cases an edit can move under both versions' wording and report what flipped.",
    )
    p.add_argument("base", nargs="?", default="HEAD", metavar="BASE", help="base ref (default: HEAD)")
    p.add_argument("head", nargs="?", default=WORKTREE, metavar="HEAD", help="head ref (default: WORKTREE)")
    p.add_argument(
        "--principle",
        action="append",
        default=None,
        metavar="ID",
        help="only this principle's cases are scored (repeatable); trust and over-refusal then come from the "
        "score cache and the report says how far they reach",
    )
    add_output(p, ("text", "json", "markdown"))
    p.add_argument("--no-cache", action="store_true", help="score everything again (the cache is not read)")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the JSON report (- is stdout)")
    p.add_argument("--markdown", type=Path, default=None, metavar="FILE", help="also write Markdown, within the budget")
    p.add_argument("--markdown-budget", type=int, default=DEFAULT_BUDGET, metavar="CHARS", help="0: no cut")
    p.add_argument(
        "--preferences",
        action="store_true",
        help="also show how the exported preference set changes (pair cases: rows added, removed, flipped, "
        "newly abstained); JSON: key `preferences`",
    )
    add_critic_model(p)
    add_locale(p)
    add_root(p)
    p.set_defaults(func=needs_critic(run_shift))


def run_shift(args: argparse.Namespace) -> int:
    from constitution_studio.core.analysis.gate import judge_settings
    from constitution_studio.core.analysis.judging import report_locales
    from constitution_studio.core.analysis.shift import analyze_shift
    from constitution_studio.core.critic.opening import open_judge
    from constitution_studio.core.report.shift_json import shift_json
    from constitution_studio.core.report.shift_markdown import shift_markdown
    from constitution_studio.core.report.shift_text import format_shift_text
    from constitution_studio.core.versions import check_ref_syntax, diff_refs
    from constitution_studio.errors import BadInputError

    for ref in (args.base, args.head):
        check_ref_syntax(ref)
    from constitution_studio.core.storage.report_files import check_report_path

    for path in (args.json, args.markdown):  # refused before scoring, not after
        if path is not None:
            check_report_path(path)
    require_critic()
    root = root_of(args)
    diff, base, head = diff_refs(root, args.base, args.head)
    if head.errors:
        raise InvalidConstitutionError(head.errors)  # type: ignore[arg-type]
    if base.errors:
        sys.stderr.write(f"cstudio: warning: base {args.base} has {plural(len(base.errors), 'validation error')}\n")
    for pid in args.principle or []:
        if pid not in head.principles and pid not in base.principles:
            raise BadInputError(f"--principle {pid}: no such principle in {args.base} or {args.head}")
    settings = judge_settings(base)
    critic = open_judge(settings, root, use_cache=not args.no_cache, model=critic_model(args))
    locale = check_locale(head, args.locale, base)
    bar = ScoringProgress("scoring", judge=critic)
    try:
        report = analyze_shift(
            base,
            head,
            diff,
            critic,
            principles=args.principle,
            progress=bar,
            locale=locale,
            locales=report_locales(settings.locales, locale),
        )
        prefs = None
        if args.preferences:
            from constitution_studio.core.export.preference_shift import preference_shift

            prefs = preference_shift(
                base, head, critic, root=root, base_ref=args.base, head_ref=args.head, locale=locale, progress=bar
            )
    finally:
        bar.close()
        critic.close()
    from constitution_studio.core.report.report_schemas import json_text, with_schema

    data = shift_json(report)
    if prefs is not None:
        data["preferences"] = prefs.model_dump(mode="json")
    if args.json is not None:
        write_report(args.json, json_safe(json.dumps(with_schema("shift", data), indent=2, ensure_ascii=False)) + "\n")
    if args.markdown is not None:
        from constitution_studio.core.report.markdown_budget import fit_shift_markdown

        write_report(args.markdown, fit_shift_markdown(report, shift_markdown(report), args.markdown_budget))
    if args.format == "json":
        emit(args, json_text("shift", data))
    elif args.format == "markdown":
        md = shift_markdown(report)
        if prefs is not None:
            from constitution_studio.core.export.preference_shift import preference_shift_text

            md += "\n### Preference set\n\n```\n" + preference_shift_text(prefs) + "```\n"
        emit(args, md)
    else:
        text = format_shift_text(report, per_principle_trust=True)
        if prefs is not None:
            from constitution_studio.core.export.preference_shift import preference_shift_text
            from constitution_studio.core.sanitize import sanitize

            text += "\n" + sanitize(preference_shift_text(prefs), keep_newlines=True)
        emit(args, text)
    return int(ExitCode.OK)
