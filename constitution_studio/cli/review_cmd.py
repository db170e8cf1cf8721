"""`cstudio review`: the review queue (text or JSON), and `--apply FILE` to import human verdicts.

The queue itself is core's (analysis/review.py); the write is core's (gold_writes.py). An
import file is JSON lines, one verdict per line:

    {"case": "harm-003", "principle": "HARM-01", "verdict": "violates", "reviewer": "Ada", "note": "..."}

`principle` may be null (a verdict on the case as a whole); `reviewer` defaults to
`git config user.name`. Every line is checked before anything is written; one bad line and
nothing is (exit 2). A verdict that would change gold already there is refused unless
`--replace` is given. All verdicts are written in one transaction (core's `record_verdicts`,
the studio's write too): every one lands, or none does. `--dry-run` prints what would change.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from constitution_studio.cli.ci_options import add_critic_model, critic_model, require_critic
from constitution_studio.cli.common import add_output, add_root, emit, load_valid, root_of
from constitution_studio.cli.progress import ScoringProgress
from constitution_studio.core.gold_writes import GoldVerdict, check_verdict, preview, replacement
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import plural
from constitution_studio.errors import BadInputError, ExitCode

MAX_LINE = 100_000


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "review",
        help="the cases most worth a human look (disagrees with gold, least certain, unstable, conflicts); "
        "--apply imports verdicts as gold",
        description="List the review queue, or write human verdicts from a JSON lines file as gold labels.",
    )
    add_output(p, ("text", "json"))
    p.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N cases of the queue")
    p.add_argument("--cached-only", action="store_true", help="use only the score cache (never load the model)")
    p.add_argument("--apply", type=Path, default=None, metavar="FILE", help="import verdicts (JSON lines) as gold")
    p.add_argument("--dry-run", action="store_true", help="with --apply: check and show, write nothing")
    p.add_argument("--replace", action="store_true", help="with --apply: let verdicts replace gold that is already set")
    p.add_argument("--reviewer", default=None, metavar="NAME", help="default reviewer (git config user.name)")
    add_critic_model(p)
    add_root(p)
    p.set_defaults(func=run_review)


def run_review(args: argparse.Namespace) -> int:
    if args.apply is not None:
        return _apply(args)
    if args.dry_run:
        raise BadInputError("--dry-run goes with --apply FILE")
    if args.limit is not None and args.limit < 1:
        raise BadInputError("--limit must be at least 1")
    require_critic()
    from constitution_studio.core.analysis.impact import thresholds
    from constitution_studio.core.analysis.review import (
        ReviewQueue,
        answers_needed,
        review_queue,
        scored_for_review,
        unscored,
    )
    from constitution_studio.core.analysis.shift import critic_info
    from constitution_studio.core.critic.opening import open_judge

    root = root_of(args)
    ws = load_valid(root)
    settings = ws.constitution.critic if ws.constitution is not None else None
    if settings is None:
        from constitution_studio.core.models import CriticSettings

        settings = CriticSettings()
    critic = open_judge(settings, root, model=critic_model(args))
    bar = ScoringProgress("scoring", judge=critic)
    try:
        version = scored_for_review(ws, critic, score=not args.cached_only, progress=bar)
    finally:
        bar.close()
    items = review_queue(version, thresholds=thresholds(critic, ws), limit=args.limit)
    queue = ReviewQueue(
        version=ws.label,
        critic=critic_info(critic),
        items=items,
        cases=len(ws.cases),
        unscored=unscored(version),
        gold_cases=sum(1 for c in ws.cases.values() if c.has_gold),
        answers_needed=answers_needed(version, critic),
    )
    critic.close()
    if args.format == "json":
        from constitution_studio.core.report.report_schemas import json_text

        emit(args, json_text("review", queue.model_dump(mode="json")))
        return int(ExitCode.OK)
    emit(args, format_queue(queue))
    return int(ExitCode.OK)


def format_queue(queue: Any) -> str:
    """The queue as text: each case's verdict and gold in core's one wording (core/wording.py)."""
    from constitution_studio.core.analysis.review import REASON_TEXT, item_gold_text
    from constitution_studio.core.wording import verdict_short

    state = queue.state("run without --cached-only")
    if not queue.items and state is not None:
        return f"review queue: {state}\n"
    lines = [f"review queue: {plural(len(queue.items), 'case')} worth a look out of {queue.cases}"]
    if state is not None:
        lines.append(f"  ({state})")
    lines.append(f"  {'#':>4}  {'case':<20} {'decided by':<12} {'critic':<28} {'gold':<24} why")
    for i, item in enumerate(queue.items, 1):
        critic = verdict_short(item.label, item.probability, "pair" if item.kind == "pair" else "single")
        lines.append(
            f"  {i:>4}  {sanitize(item.case_id):<20} {sanitize(item.principle_id or '–'):<12} "
            f"{critic:<28} {sanitize(item_gold_text(item)):<24} {REASON_TEXT[item.reason]}"
        )
    return "\n".join(lines) + "\n"


# --- import -------------------------------------------------------------------------------


def parse_verdicts(path: Path, default_reviewer: str) -> tuple[list[tuple[int, GoldVerdict]], list[str]]:
    """(line number, verdict) per non-blank line, and `FILE:LINE: error: ...` for each bad one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    verdicts: list[tuple[int, GoldVerdict]] = []
    errors: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}: error:"
        if len(line) > MAX_LINE:
            errors.append(f"{where} line longer than {MAX_LINE} characters")
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where} not JSON ({exc.msg})")
            continue
        if not isinstance(data, dict):
            errors.append(f"{where} each line must be a JSON object")
            continue
        case = data.get("case", data.get("case_id"))
        fields = {"case": case, "verdict": data.get("verdict")}
        bad = [k for k, v in fields.items() if not isinstance(v, str) or not v]
        optional = {k: data.get(k) for k in ("principle", "reviewer", "note")}
        bad += [k for k, v in optional.items() if v is not None and not isinstance(v, str)]
        unknown = sorted(set(data) - {"case", "case_id", "principle", "verdict", "reviewer", "note"})
        if bad or unknown:
            what = [f"`{k}` must be a non-empty string" for k in bad] + [f"unknown key `{k}`" for k in unknown]
            errors.append(f"{where} {'; '.join(what)}")
            continue
        verdicts.append(
            (
                n,
                GoldVerdict(
                    case_id=str(case),
                    label=str(data["verdict"]),
                    principle=optional["principle"] or None,
                    reviewer=str(optional["reviewer"] or default_reviewer),
                    note=str(optional["note"] or ""),
                ),
            )
        )
    return verdicts, errors


def _apply(args: argparse.Namespace) -> int:
    from constitution_studio.core.gold_writes import record_verdicts, reviewer_name
    from constitution_studio.core.storage.locking import constitution_lock

    root = root_of(args)
    reviewer = args.reviewer or reviewer_name(root)
    verdicts, errors = parse_verdicts(args.apply, reviewer)
    with constitution_lock(root):  # check and write the same version
        ws = load_valid(root)
        seen: dict[str, set[str | None]] = {}
        for n, v in verdicts:
            problem = check_verdict(ws, v)
            kinds = seen.setdefault(v.case_id, set())
            if problem is None and v.principle in kinds:
                problem = f"a second verdict for {v.case_id}" + (f" / {v.principle}" if v.principle else "")
            elif problem is None and kinds and (v.principle is None) != (None in kinds):
                problem = f"{v.case_id}: overall and per-principle verdicts in one file; keep one kind"
            elif problem is None and not args.replace:
                replaced = replacement(ws, v)
                if replaced is not None:
                    problem = f"{replaced} (pass --replace to replace gold that is already set)"
            kinds.add(v.principle)
            if problem:
                errors.append(f"{args.apply}:{n}: error: {sanitize(problem)}")
        if errors:
            for line in errors:
                sys.stderr.write(line + "\n")
            sys.stderr.write(f"cstudio: {plural(len(errors), 'problem')} in {args.apply}; nothing written\n")
            return int(ExitCode.BAD_INPUT)
        if args.dry_run:
            changes = [c for _, v in verdicts if (c := preview(ws, v)) is not None]
        else:  # one transaction: every verdict, or none
            changes = record_verdicts(root, ws, [v for _, v in verdicts], replace=args.replace)
    by_case = {(v.case_id, v.principle): v for _, v in verdicts}
    for c in changes:
        verb = (
            ("would replace" if c.replaced else "would set") if args.dry_run else ("replaced" if c.replaced else "set")
        )
        who = by_case[(c.case_id, c.principle)].reviewer
        sys.stdout.write(f"{verb} {sanitize(c.describe())} (reviewer {sanitize(who)})\n")
    verb = "would change" if args.dry_run else "changed"
    if not args.quiet:
        sys.stderr.write(
            f"cstudio: {plural(len(verdicts), 'verdict')} read, {plural(len(changes), 'gold label')} {verb}\n"
        )
    return int(ExitCode.OK)
