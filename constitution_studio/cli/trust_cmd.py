"""`cstudio trust [--history [N]]`: how far the critic agrees with gold, now or over versions.

Without `--history`: the work tree's trust report (overall and per principle), and, when gold
labels changed since HEAD, trust before → after those uncommitted verdicts, with "within noise"
when the new kappa lies inside the old interval (analysis/trust_delta.py). With it: for
the last N commits that changed principles or gold, kappa, AUC and n per principle, every
version read from git objects and judged by the work tree's critic, scoring only what the
cache lacks (analysis/trust_history.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from constitution_studio.cli.ci_options import add_critic_model, critic_model, needs_critic
from constitution_studio.cli.common import add_output, add_root, emit, load_valid, root_of
from constitution_studio.cli.progress import ScoringProgress
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import plural
from constitution_studio.errors import BadInputError, ExitCode

if TYPE_CHECKING:
    from constitution_studio.core.critic.judge import Judge
    from constitution_studio.core.workspace import Workspace


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "trust",
        help="the critic's agreement with gold (kappa, AUC, n), now or --history over commits",
        description="How far the critic's labels agree with people: now, or over the last N commits that "
        "changed principles or gold.",
    )
    p.add_argument(
        "--history",
        nargs="?",
        type=int,
        const=10,
        default=None,
        metavar="N",
        help="the last N commits that changed principles or gold (default N: 10)",
    )
    p.add_argument("--ref", default="HEAD", help="with --history: walk back from this ref (default: HEAD)")
    add_output(p, ("text", "json"))
    p.add_argument("--cached-only", action="store_true", help="use only the score cache (never load the model)")
    add_critic_model(p)
    add_root(p)
    p.set_defaults(func=needs_critic(run_trust))


def _critic(args: argparse.Namespace, root: Path) -> tuple[Workspace, Judge]:
    from constitution_studio.core.critic.opening import open_judge
    from constitution_studio.core.models import CriticSettings

    ws = load_valid(root)
    settings = ws.constitution.critic if ws.constitution is not None else CriticSettings()
    return ws, open_judge(settings, root, model=critic_model(args))


def run_trust(args: argparse.Namespace) -> int:
    from constitution_studio.core.report.report_schemas import json_text

    if args.history is not None and args.history < 1:
        raise BadInputError("--history N must be at least 1")
    root = root_of(args)
    ws, critic = _critic(args, root)
    bar = ScoringProgress("scoring", judge=critic)
    try:
        if args.history is not None:
            from constitution_studio.core.analysis.trust_history import trust_history
            from constitution_studio.core.versions import check_ref_syntax

            check_ref_syntax(args.ref)
            history = trust_history(root, critic, args.history, ref=args.ref, score=not args.cached_only, progress=bar)
        else:
            from constitution_studio.core.analysis.trust_delta import head_gold, trust_change
            from constitution_studio.core.analysis.trust_history import current_trust

            report = current_trust(ws, critic, score=not args.cached_only, progress=bar)
            committed = head_gold(root)  # None outside git or before the first commit
            if committed is not None:
                report.uncommitted = trust_change(ws, committed, critic, score=not args.cached_only, progress=bar)
    finally:
        bar.close()
        critic.close()
    if args.history is not None:
        if args.format == "json":
            emit(args, json_text("trust-history", history.model_dump(mode="json")))
        else:
            emit(args, format_history(history))
        return int(ExitCode.OK)
    if args.format == "json":
        emit(args, json_text("trust", report.model_dump(mode="json")))
    else:
        from constitution_studio.core.analysis.trust import format_trust_text

        emit(args, format_trust_text(report) + "\n")
    return int(ExitCode.OK)


def format_history(history: Any) -> str:
    """One block per commit, newest first: overall, then each principle with gold."""
    if not history.points:
        return "no commit changed principles or gold labels\n"
    lines = [
        f"critic agreement with gold over the last {plural(len(history.points), 'commit')} "
        "that changed principles or gold"
    ]
    lines.append(f"  {'commit':<8} {'principle':<14} {'n':>4}  {'trust':<9} {'kappa':<20} {'AUC':<20}")
    for point in history.points:
        subject = sanitize(point.subject)[:50]
        lines.append(f"  {point.short:<8} {point.date[:10]}  {', '.join(point.changed)}  {subject}")
        rows = [("overall", point.trust.overall)] + [(p.principle_id, p.agreement) for p in point.trust.principles]
        for name, a in rows:
            lines.append(
                f"  {'':<8} {sanitize(name):<14} {a.n:>4}  {a.level.value:<9} {a.kappa.text():<20} {a.auc.text():<20}"
            )
        if point.unscored:
            lines.append(f"  {'':<8} ({plural(point.unscored, 'gold case')} not scored)")
    if history.cancelled:
        lines.append("cancelled: the figures are partial")
    return "\n".join(lines) + "\n"
