"""`cstudio eval`, `cstudio calibrate` and `cstudio cache`: the critic from the command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from constitution_studio.cli.ci_options import (
    add_critic_model,
    add_locale,
    critic_model,
    needs_critic,
    require_critic,
)
from constitution_studio.cli.common import add_output, add_root, emit, root_of
from constitution_studio.cli.progress import ScoringProgress
from constitution_studio.core.wording import plural
from constitution_studio.errors import BadInputError, ExitCode

if TYPE_CHECKING:
    from constitution_studio.core.critic.judge import Judge
    from constitution_studio.core.workspace import Workspace


def _add_critic_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("critic")
    g.add_argument("--method", default=None, help="scoring method: plain, both, contextual, fewshot or a+b")
    g.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None, help="default: critic.device")
    g.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16"), default=None)
    g.add_argument(
        "--batch-tokens",
        type=_batch_tokens,
        default=None,
        metavar="N",
        help="token budget of one forward batch (>= 64)",
    )
    g.add_argument("--no-cache", action="store_true", help="score everything again (the cache is not read)")
    add_critic_model(g)


def _batch_tokens(text: str) -> int:
    """argparse type: a whole number of at least 64 (what critic.batch_tokens allows)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 64:
        raise argparse.ArgumentTypeError(f"must be at least 64, not {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    e = subparsers.add_parser("eval", help="score every principle's linked cases with the critic")
    e.add_argument("--ref", default=None, metavar="REF", help="git ref to evaluate (default: the work tree)")
    e.add_argument("--principle", action="append", default=None, metavar="ID", help="only this principle (repeatable)")
    e.add_argument("--variant", default="default", help="judge template variant (default: default)")
    add_locale(e)
    e.add_argument("--least-certain", type=int, default=3, metavar="N", help="least certain cases shown per principle")
    add_output(e, ("text", "json"))
    add_root(e)
    _add_critic_options(e)
    e.set_defaults(func=needs_critic(run_eval))

    c = subparsers.add_parser("calibrate", help="fit per-principle thresholds on gold labels; write constitution.yaml")
    c.add_argument("--platt", action="store_true", help="also fit a Platt scale per principle")
    c.add_argument("--folds", type=int, default=5, help="cross-validation folds for the before/after figures")
    c.add_argument("--dry-run", action="store_true", help="report only; do not write constitution.yaml")
    c.add_argument(
        "--all",
        action="store_true",
        help="write every fit, also those not better than the default when cross-validated",
    )
    add_output(c, ("text", "json"))
    add_root(c)
    _add_critic_options(c)
    c.set_defaults(func=needs_critic(run_calibrate))

    k = subparsers.add_parser("cache", help="inspect or clear the critic's score cache (.cstudio/)")
    k.add_argument("action", choices=("stats", "clear"), help="stats: what is cached; clear: delete every entry")
    add_output(k, ("text", "json"))
    add_root(k)
    k.set_defaults(func=run_cache)


# -- shared ------------------------------------------------------------------------------


def _open_judge(
    args: argparse.Namespace, ws: Workspace, root: Path, *, uncalibrated: bool = False, panel: bool = True
) -> Judge:
    """The judge of `critic:` with the command line's overrides: a panel when critic.panel lists
    members (and `panel`; calibrate fits one critic, never a panel), else one critic."""
    from constitution_studio.core.critic.opening import open_judge

    settings = ws.constitution.critic if ws.constitution is not None else None
    if settings is None:
        from constitution_studio.core.models import CriticSettings

        settings = CriticSettings()
    require_critic()
    overrides = {"device": args.device, "dtype": args.dtype, "batch_tokens": args.batch_tokens}
    update: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if uncalibrated:
        update["calibration"] = {}
    if not panel:
        update["panel"] = []
    return open_judge(
        settings.model_copy(update=update),
        root,
        use_cache=not args.no_cache,
        method=args.method,
        model=critic_model(args),
    )


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value + 0.0:.{digits}f}".replace("-0.00", "0.00")


# -- eval --------------------------------------------------------------------------------


def run_eval(args: argparse.Namespace) -> int:
    from constitution_studio.cli.ci_options import check_locale
    from constitution_studio.cli.common import load_valid
    from constitution_studio.core.analysis.evaluation import score_version, summarize
    from constitution_studio.core.report.eval_text import format_eval_text

    root = root_of(args)
    ws = load_valid(root, args.ref or None)
    critic = _open_judge(args, ws, root)
    bar = ScoringProgress("scoring", judge=critic)
    start = time.perf_counter()
    try:
        version, selected, run = score_version(
            ws, critic, args.principle, judge=args.variant, locale=check_locale(ws, args.locale), progress=bar
        )
    finally:
        bar.close()
        critic.close()
    report = summarize(
        version, selected, run, critic, seconds=time.perf_counter() - start, least_certain=args.least_certain
    )
    if args.format == "json":
        from constitution_studio.core.report.report_schemas import json_text

        emit(args, json_text("eval", report.model_dump(mode="json")))
    else:
        for warning in report.warnings:
            sys.stderr.write(f"cstudio: warning: {warning}\n")
        emit(args, format_eval_text(report))
    return int(ExitCode.OK)


# -- calibrate ---------------------------------------------------------------------------


def run_calibrate(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from constitution_studio.cli.common import load_valid
    from constitution_studio.core.analysis.calibration import (
        calibrate_principle,
        calibration_entries,
        fitted_for,
        gains,
        gold_data,
    )
    from constitution_studio.core.analysis.scoring import case_requests, score_versions
    from constitution_studio.core.analysis.shift import scored_version

    root = root_of(args)
    ws = load_valid(root)
    critic = _open_judge(args, ws, root, uncalibrated=True, panel=False)
    version = scored_version(ws, critic)
    gold_cases = [cid for cid, c in ws.cases.items() if c.has_gold and c.kind == "single"]
    bar = ScoringProgress("scoring gold cases", judge=critic)
    try:
        score_versions(critic, [(version, case_requests(version, gold_cases, [version.primary]))], progress=bar)
    finally:
        bar.close()
        critic.close()
    default = critic.settings.threshold
    fits = [
        calibrate_principle(pid, ys, ps, platt=args.platt, default=default, folds=args.folds)
        for pid, (ys, ps) in sorted(gold_data(version).items(), key=lambda kv: ws.rank(kv[0]) or 10**6)
    ]
    keep = [f for f in fits if f.fit is not None and (args.all or gains(f))]
    identity = fitted_for(critic.info)
    entries = calibration_entries(
        keep,
        {pid: p.statement for pid, p in ws.principles.items()},
        identity,
        datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    old = set(ws.constitution.critic.calibration) if ws.constitution is not None else set()
    removed = sorted(old - set(entries))
    written = None if args.dry_run else _write_calibration(root, entries, bool(old))
    if args.format == "json":
        from constitution_studio.core.report.json_models import CalibrationReport, CalibrationRow
        from constitution_studio.core.report.report_schemas import json_text

        rows = [
            CalibrationRow(
                principle_id=f.principle_id,
                n=f.n,
                violates=f.positives,
                threshold=None if f.fit is None else f.fit.threshold,
                platt_a=None if f.fit is None else f.fit.platt_a,
                platt_b=None if f.fit is None else f.fit.platt_b,
                before=f.before,
                after_cv=f.after,
                kept=f in keep,
            )
            for f in fits
        ]
        report = CalibrationReport(
            critic=critic.info.model_dump(mode="json"), written=written, removed=removed, principles=rows
        )
        emit(args, json_text("calibrate", report.model_dump(mode="json")))
    else:
        emit(args, _calibrate_text(critic.info, fits, keep, written, args.folds, removed))
    return int(ExitCode.OK)


def _write_calibration(root: Path, entries: dict[str, dict[str, object]], had_entries: bool) -> str | None:
    """Replace critic.calibration in constitution.yaml (comments kept): fresh fits in, stale ones out."""
    from ruamel.yaml.comments import CommentedMap

    from constitution_studio.core.source import CONSTITUTION_FILE
    from constitution_studio.core.storage.locking import constitution_lock
    from constitution_studio.core.yamldoc import YamlDocument

    if not entries and not had_entries:
        return None
    path = root / CONSTITUTION_FILE
    with constitution_lock(root):  # the same lock as every other writer: read, change, write
        doc = YamlDocument.load(path, CONSTITUTION_FILE)
        if not isinstance(doc.data.get("critic"), dict):
            doc.set(["critic"], CommentedMap())
        doc.set(["critic", "calibration"], CommentedMap({k: CommentedMap(v) for k, v in entries.items()}))
        doc.save()
    return CONSTITUTION_FILE


def _calibrate_text(
    info: Any, fits: list[Any], keep: list[Any], written: str | None, folds: int, removed: list[str]
) -> str:
    lines = [
        f"critic: {info.model}, method {info.method}, templates {info.template_set}#{info.template_hash}",
        f"gold single-response cases each principle answers for; 'after' is {folds}-fold cross-validated",
        "",
        f"{'principle':<10} {'n':>3} {'viol':>4} {'threshold':>9}   {'accuracy':<13} {'bal. acc':<13} {'kappa':<13} "
        "kept",
    ]
    for f in fits:
        t = "too few" if f.fit is None else f"{f.fit.threshold:.3f}"

        def pair(name: str, f: Any = f) -> str:
            after = f.after.get(name) if f.after else None
            return f"{_fmt(f.before.get(name))}→{_fmt(after)}"

        lines.append(
            f"{f.principle_id:<10} {f.n:>3} {f.positives:>4} {t:>9}   "
            f"{pair('accuracy'):<13} {pair('balanced_accuracy'):<13} {pair('kappa'):<13} "
            f"{'yes' if f in keep else 'no (no cross-validated gain)' if f.fit else '-'}"
        )
    lines.append("")
    if removed:
        lines.append(f"removed stale calibration of {', '.join(removed)} (no fit kept for this critic and wording)")
    lines.append(f"wrote critic.calibration to {written}" if written else "nothing written")
    return "\n".join(lines) + "\n"


# -- cache -------------------------------------------------------------------------------


def run_cache(args: argparse.Namespace) -> int:
    from constitution_studio.core.critic.cache import ScoreCache
    from constitution_studio.core.paths import repo_top
    from constitution_studio.core.report.json_models import CacheReport
    from constitution_studio.core.report.report_schemas import json_text

    root = root_of(args)
    cache = ScoreCache.for_root(root)
    top = repo_top(root)
    inside = os.path.realpath(cache.path).startswith(str(top) + os.sep)
    shown_path = os.path.relpath(cache.path, top) if inside else str(cache.path)  # CSTUDIO_SCORE_CACHE: as named
    try:
        if cache.note is not None and "locked" in cache.note:  # opened in memory: the file is in use
            done = "nothing was cleared" if args.action == "clear" else "its figures cannot be read now"
            raise BadInputError(
                f"the score cache is busy (another cstudio process is writing it); {done}, try again",
                path=str(cache.path),
            )
        if args.action == "clear":
            n = cache.clear()
            if args.format == "json":
                emit(args, json_text("cache", CacheReport(path=shown_path, cleared=n).model_dump(mode="json")))
            else:
                emit(args, f"cleared {plural(n, 'cached score')} from {shown_path}\n")
            return int(ExitCode.OK)
        stats = CacheReport.model_validate({**cache.stats(), "path": shown_path})
    finally:
        cache.close()
    if args.format == "json":
        emit(args, json_text("cache", stats.model_dump(mode="json")))
        return int(ExitCode.OK)
    lines = [f"{stats.path}: {plural(stats.entries or 0, 'score')}, {(stats.bytes or 0) / 1e6:.1f} MB"]
    for g in stats.groups:
        lines.append(f"  {g.entries:>7}  {g.model}  {g.template}  {g.method}  {g.variant}")
    emit(args, "\n".join(lines) + "\n")
    return int(ExitCode.OK)
