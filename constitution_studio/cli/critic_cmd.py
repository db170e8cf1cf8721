"""`cstudio eval`, `cstudio calibrate` and `cstudio cache`: the critic from the command line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from constitution_studio.cli.ci_options import add_critic_model, critic_model, require_critic
from constitution_studio.cli.common import add_root, print_json, root_of
from constitution_studio.cli.progress import ScoringProgress
from constitution_studio.errors import ExitCode

if TYPE_CHECKING:
    from constitution_studio.core.critic.engine import Critic
    from constitution_studio.core.critic.evaluation import EvalReport
    from constitution_studio.core.workspace import Workspace


def _add_critic_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("critic")
    g.add_argument("--method", default=None, help="scoring method: plain, both, contextual, fewshot or a+b")
    g.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None, help="default: critic.device")
    g.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16"), default=None)
    g.add_argument("--batch-tokens", type=int, default=None, metavar="N", help="token budget of one forward batch")
    g.add_argument("--no-cache", action="store_true", help="score everything again (the cache is not read)")
    add_critic_model(g)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    e = subparsers.add_parser("eval", help="score every principle's linked cases with the critic")
    e.add_argument("--ref", default=None, metavar="REF", help="git ref to evaluate (default: the work tree)")
    e.add_argument("--principle", action="append", default=None, metavar="ID", help="only this principle (repeatable)")
    e.add_argument("--variant", default="default", help="judge template variant (default: default)")
    e.add_argument("--least-certain", type=int, default=3, metavar="N", help="least certain cases shown per principle")
    e.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    add_root(e)
    _add_critic_options(e)
    e.set_defaults(func=run_eval)

    c = subparsers.add_parser("calibrate", help="fit per-principle thresholds on gold labels; write constitution.yaml")
    c.add_argument("--platt", action="store_true", help="also fit a Platt scale per principle")
    c.add_argument("--folds", type=int, default=5, help="cross-validation folds for the before/after figures")
    c.add_argument("--dry-run", action="store_true", help="report only; do not write constitution.yaml")
    c.add_argument(
        "--all",
        action="store_true",
        help="write every fit, also those not better than the default when cross-validated",
    )
    c.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    add_root(c)
    _add_critic_options(c)
    c.set_defaults(func=run_calibrate)

    k = subparsers.add_parser("cache", help="inspect or clear the critic's score cache (.cstudio/)")
    k.add_argument("action", choices=("stats", "clear"), help="stats: what is cached; clear: delete every entry")
    k.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    add_root(k)
    k.set_defaults(func=run_cache)


# -- shared ------------------------------------------------------------------------------


def _open(args: argparse.Namespace, ws: Workspace, root: Path, *, uncalibrated: bool = False) -> Critic:
    from constitution_studio.core.critic import open_critic

    settings = ws.constitution.critic if ws.constitution is not None else None
    if settings is None:
        from constitution_studio.core.models import CriticSettings

        settings = CriticSettings()
    require_critic()
    model = critic_model(args)
    if model:
        settings = settings.model_copy(update={"model": model})
    if uncalibrated:
        settings = settings.model_copy(update={"calibration": {}})
    return open_critic(
        settings,
        root,
        use_cache=not args.no_cache,
        device=args.device,
        dtype=args.dtype,
        batch_tokens=args.batch_tokens,
        method=args.method,
    )


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value + 0.0:.{digits}f}".replace("-0.00", "0.00")


# -- eval --------------------------------------------------------------------------------


def run_eval(args: argparse.Namespace) -> int:
    from constitution_studio.cli.common import load_valid
    from constitution_studio.core.critic.evaluation import requests_for, run_scores, summarize

    root = root_of(args)
    if args.ref:
        from constitution_studio.core.versions import load_version
        from constitution_studio.errors import InvalidConstitutionError

        ws = load_version(root, args.ref)
        if ws.errors:
            raise InvalidConstitutionError(ws.errors)  # type: ignore[arg-type]
    else:
        ws = load_valid(root)
    critic = _open(args, ws, root)
    requests = requests_for(ws, args.principle, args.variant)
    bar = ScoringProgress("scoring")
    start = time.perf_counter()
    try:
        scores = run_scores(critic, requests, progress=bar)
    finally:
        bar.close()
        critic.close()
    report = summarize(ws, scores, critic.info, seconds=time.perf_counter() - start, least_certain=args.least_certain)
    trust = _trust(ws, scores)
    if args.format == "json":
        data = report.model_dump(mode="json")
        if trust is not None:
            data["trust"] = trust.model_dump(mode="json")
        print_json(data)
    else:
        sys.stdout.write(format_eval_text(report, trust))
    return int(ExitCode.OK)


def _trust(ws: Workspace, scores: dict[tuple[str, str], Any]) -> Any:
    """The critic's trust report (issue 7's module), or None when it is unavailable."""
    try:
        from constitution_studio.core.trust import trust_report
    except ImportError:  # pragma: no cover - trust lands with its own issue
        return None
    return trust_report(ws, scores)


def format_eval_text(report: EvalReport, trust: Any = None) -> str:
    info = report.critic
    lines = [
        f"critic: {info.model} ({info.model_identity}), templates {info.template_set}#{info.template_hash}, "
        f"method {info.method}, {info.device}/{info.dtype}",
        f"version: {report.version}; {report.scored + report.cached} score(s): {report.scored} computed, "
        f"{report.cached} from cache, {report.seconds:.1f} s",
    ]
    if trust is not None:
        from constitution_studio.core.trust import format_trust_text

        lines.append(format_trust_text(trust, info.model_dump(), per_principle=False).rstrip("\n"))
    lines.append("")
    head = (
        f"{'principle':<10} {'cases':>5}  {'labels':<24} {'gold':>4} {'acc':>5} {'kappa':>6} {'trust':<9}  "
        f"{'benign':>6} {'over-ref':>8}  least certain"
    )
    lines += [head, "-" * len(head)]
    for p in report.principles:
        labels = " ".join(f"{k}:{v}" for k, v in p.labels.items())
        uncertain = ", ".join(f"{c.case_id} {c.probability:.2f}" for c in p.least_certain)
        agreement = trust.principle(p.principle_id) if trust is not None else None
        level = agreement.level.value if agreement is not None else "unknown"
        lines.append(
            f"{p.principle_id:<10} {p.cases:>5}  {labels:<24} {p.gold_n:>4} {_fmt(p.accuracy):>5} "
            f"{_fmt(p.kappa):>6} {level:<9}  {p.benign_n:>6} {_fmt(p.over_refusal):>8}  {uncertain}"
        )
    lines.append("")
    lines.append(
        f"overall: {len(report.cases)} case(s), gold agreement on {report.overall_gold_n}: "
        f"accuracy {_fmt(report.overall_accuracy)}, kappa {_fmt(report.overall_kappa)}"
    )
    lines.append("")
    lines.append("overall labels (the highest-priority linked principle decides):")
    for v in report.cases:
        gold = f"  gold {v.gold}" if v.gold else ""
        mark = "  CONFLICT" if v.conflict else ""
        lines.append(f"  {v.case_id:<16} {v.label:<9} by {v.deciding}{gold}{mark}")
    lines.append("")
    if report.conflicts:
        lines.append(f"conflicts resolved by priority ({len(report.conflicts)}):")
        for v in report.conflicts:
            others = ", ".join(f"{pid}={label}" for pid, label in v.labels.items())
            lines.append(f"  {v.case_id:<16} -> {v.label} ({v.deciding} decides; {others})")
    else:
        lines.append("conflicts resolved by priority: none")
    return "\n".join(lines) + "\n"


# -- calibrate ---------------------------------------------------------------------------


def run_calibrate(args: argparse.Namespace) -> int:
    from constitution_studio.cli.common import load_valid
    from constitution_studio.core.critic import ScoreRequest
    from constitution_studio.core.critic.calibration import calibrate_principle
    from constitution_studio.core.critic.evaluation import gold_data, run_scores
    from constitution_studio.core.labels import deciding_principle

    root = root_of(args)
    ws = load_valid(root)
    critic = _open(args, ws, root, uncalibrated=True)
    requests = []
    for case in ws.cases.values():
        if case.gold is None or case.kind != "single":
            continue
        pid = deciding_principle(case, ws.priority, ws.principles)
        if pid is not None:
            requests.append(ScoreRequest(pid, ws.principles[pid].statement, case))
    bar = ScoringProgress("scoring gold cases")
    try:
        scores = run_scores(critic, requests, progress=bar)
    finally:
        bar.close()
        critic.close()
    default = critic.settings.threshold
    fits = [
        calibrate_principle(pid, ys, ps, platt=args.platt, default=default, folds=args.folds)
        for pid, (ys, ps) in sorted(gold_data(ws, scores).items(), key=lambda kv: ws.rank(kv[0]) or 10**6)
    ]
    keep = [f for f in fits if f.fit is not None and (args.all or _gains(f))]
    written = None if args.dry_run else _write_calibration(ws, root, keep)
    if args.format == "json":
        print_json(
            {
                "critic": critic.info.model_dump(mode="json"),
                "written": written,
                "principles": [
                    {
                        "principle_id": f.principle_id,
                        "n": f.n,
                        "violates": f.positives,
                        "threshold": None if f.fit is None else f.fit.threshold,
                        "platt_a": None if f.fit is None else f.fit.platt_a,
                        "platt_b": None if f.fit is None else f.fit.platt_b,
                        "before": f.before,
                        "after_cv": f.after,
                        "kept": f in keep,
                    }
                    for f in fits
                ],
            }
        )
    else:
        sys.stdout.write(_calibrate_text(critic.info, fits, keep, written, args.folds))
    return int(ExitCode.OK)


def _gains(f: Any) -> bool:
    """A fit is kept when its cross-validated balanced accuracy beats the default threshold's."""
    before, after = f.before.get("balanced_accuracy"), f.after.get("balanced_accuracy")
    return before is not None and after is not None and after > before


def _write_calibration(ws: Workspace, root: Path, fits: list[Any]) -> str | None:
    """Write critic.calibration into constitution.yaml through the round-trip layer (comments kept)."""
    from ruamel.yaml.comments import CommentedMap

    from constitution_studio.core.source import CONSTITUTION_FILE
    from constitution_studio.core.yamldoc import YamlDocument

    entries = CommentedMap()
    for f in fits:
        if f.fit is None:
            continue
        entry = CommentedMap(threshold=round(f.fit.threshold, 4))
        if f.fit.platt_a is not None:
            entry["platt_a"] = round(f.fit.platt_a, 4)
            entry["platt_b"] = round(f.fit.platt_b or 0.0, 4)
        entry["n"] = f.n
        entries[f.principle_id] = entry
    if not entries:
        return None
    path = root / CONSTITUTION_FILE
    doc = YamlDocument.load(path, CONSTITUTION_FILE)
    if not isinstance(doc.data.get("critic"), dict):
        doc.set(["critic"], CommentedMap())
    doc.set(["critic", "calibration"], entries)
    doc.save()
    return CONSTITUTION_FILE


def _calibrate_text(info: Any, fits: list[Any], keep: list[Any], written: str | None, folds: int) -> str:
    lines = [
        f"critic: {info.model}, method {info.method}, templates {info.template_set}#{info.template_hash}",
        f"gold single-response cases per deciding principle; 'after' is {folds}-fold cross-validated",
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
    lines.append(f"wrote critic.calibration to {written}" if written else "nothing written")
    return "\n".join(lines) + "\n"


# -- cache -------------------------------------------------------------------------------


def run_cache(args: argparse.Namespace) -> int:
    from constitution_studio.core.critic.cache import ScoreCache

    cache = ScoreCache.for_root(root_of(args))
    try:
        if args.action == "clear":
            n = cache.clear()
            if args.format == "json":
                print_json({"cleared": n, "path": str(cache.path)})
            else:
                sys.stdout.write(f"cleared {n} cached score(s) from {cache.path}\n")
            return int(ExitCode.OK)
        stats = cache.stats()
    finally:
        cache.close()
    if args.format == "json":
        print_json(stats)
        return int(ExitCode.OK)
    lines = [f"{stats['path']}: {stats['entries']} score(s), {int(stats['bytes']) / 1e6:.1f} MB"]  # type: ignore[call-overload]
    for g in stats["groups"]:  # type: ignore[attr-defined]
        lines.append(f"  {g['entries']:>7}  {g['model']}  {g['template']}  {g['method']}  {g['variant']}")
    sys.stdout.write("\n".join(lines) + "\n")
    return int(ExitCode.OK)
