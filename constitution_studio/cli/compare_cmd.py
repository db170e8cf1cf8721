"""`cstudio critic compare`: scoring methods x template variants x models over the gold cases."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from constitution_studio.cli.ci_options import needs_critic
from constitution_studio.cli.common import add_output, add_root, emit, load_valid, root_of
from constitution_studio.cli.progress import ScoringProgress

if TYPE_CHECKING:
    from constitution_studio.core.models import PanelMember

DEFAULT_METHODS = ("plain", "both", "contextual", "fewshot", "anchored")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = subparsers.add_parser("critic", help="critic tools: compare scoring methods and models on gold")
    sub = group.add_subparsers(dest="critic_command", metavar="SUBCOMMAND", parser_class=type(group))
    sub.required = True
    c = sub.add_parser(
        "compare",
        help="agreement with gold and speed of each scoring method, template variant and --model",
        description="Score the gold cases under each scoring method, template variant and model, and compare.",
    )
    c.add_argument(
        "--model",
        action="append",
        default=None,
        metavar="MODEL",
        help="a model to compare (repeatable; default: the configured one)",
    )
    c.add_argument(
        "--method",
        action="append",
        default=None,
        metavar="METHOD",
        help=f"a scoring method (repeatable; default: {', '.join(DEFAULT_METHODS)})",
    )
    c.add_argument("--variant", action="append", default=None, metavar="NAME", help="a template variant (default: all)")
    c.add_argument(
        "--panel",
        action="append",
        default=None,
        metavar="MODEL[@METHOD]",
        help="a panel member (repeatable, two or more; default: critic.panel); MODEL@METHOD gives it its own method",
    )
    add_output(c, ("text", "json", "markdown"))
    c.add_argument("--no-cache", action="store_true", help="score everything again (the cache is not read)")
    add_root(c)
    c.set_defaults(func=needs_critic(run_compare))


def _member(text: str) -> PanelMember:
    from constitution_studio.core.models import PanelMember

    model, _, method = text.partition("@")
    return PanelMember(model=model, method=method or None)


def run_compare(args: argparse.Namespace) -> int:
    from constitution_studio.core.compare import compare_critics
    from constitution_studio.core.models import CriticSettings
    from constitution_studio.core.report.compare_render import compare_markdown, compare_text

    root = root_of(args)
    ws = load_valid(root)
    settings = ws.constitution.critic if ws.constitution else CriticSettings()
    bars: dict[str, ScoringProgress] = {}

    def progress(label: str, done: int, total: int) -> None:
        if label not in bars:
            for old in bars.values():
                old.close()
            bars.clear()
            bars[label] = ScoringProgress(label)
        bars[label](done, total)

    try:
        result = compare_critics(
            root,
            ws,
            settings,
            models=args.model or [settings.model],
            methods=args.method or list(DEFAULT_METHODS),
            variants=args.variant,
            use_cache=not args.no_cache,
            progress=progress,
            panel=[_member(m) for m in args.panel] if args.panel else None,
        )
    finally:
        for bar in bars.values():
            bar.close()
    if args.format == "json":
        from constitution_studio.core.report.report_schemas import json_text

        emit(args, json_text("compare", result.model_dump(mode="json")))
    elif args.format == "markdown":
        emit(args, compare_markdown(result))
    else:
        emit(args, compare_text(result))
    return 0
