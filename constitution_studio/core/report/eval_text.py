"""`cstudio eval` as plain text for terminals: critic, trust, per principle, per case."""

from __future__ import annotations

from constitution_studio.core.analysis.evaluation import CaseVerdict, EvalReport, PrincipleSummary
from constitution_studio.core.analysis.trust import format_trust_text
from constitution_studio.core.critic.types import served_description
from constitution_studio.core.sanitize import sanitize as safe
from constitution_studio.core.wording import p_text, plural


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value + 0.0:.{digits}f}".replace("-0.00", "0.00")


def _principle_line(p: PrincipleSummary, level: str) -> str:
    labels = " ".join(f"{k}:{v}" for k, v in p.labels.items())
    uncertain = ", ".join(
        f"{safe(c.case_id)} {p_text(c.probability, 'pair' if c.label in ('a', 'b') else 'single')}"
        for c in p.least_certain
    )
    cal = "yes" if p.calibrated else "no"
    return (
        f"{p.principle_id:<10} {p.cases:>5} {p.engaged:>7} {p.decides:>7}  {labels:<24} {p.gold_n:>4} "
        f"{_fmt(p.accuracy):>5} {_fmt(p.kappa):>6} {level:<9} {cal:<4} {p.benign_n:>6} {_fmt(p.over_refusal):>8}  "
        f"{uncertain}"
    )


def _case_line(c: CaseVerdict) -> str:
    v = c.verdict
    gold = f"  gold {c.gold}" if c.gold else ""
    mark = "  CONFLICT" if v.conflict else ""
    right = "" if v.agrees_with_gold is None else ("  ✓" if v.agrees_with_gold else "  ✗ disagrees with gold")
    engaged = ", ".join(v.engaged) if v.engaged else "none"
    label, decider = v.label or "?", v.deciding or "?"
    line = f"  {safe(c.case_id):<16} {label:<9} by {decider:<9} engaged: {engaged}{gold}{right}{mark}"
    return "\n".join([line, *(f"      {safe(turn)}" for turn in c.turns)])


def format_eval_text(report: EvalReport) -> str:
    info = report.critic
    rule = (
        "the highest-priority engaged linked principle decides; none engaged: violates if any principle is violated"
        if report.engagement
        else "engagement off (critic.engagement): the highest-priority linked principle decides"
    )
    lines = [
        f"critic: {safe(str(info.get('model')))} ({info.get('model_identity')}), templates "
        f"{info.get('template_set')}#{info.get('template_hash')}, method {info.get('method')}, "
        f"{info.get('device')}/{info.get('dtype')}, judge {report.judge}",
        f"version: {safe(report.version)}; {plural(report.scored + report.cached, 'score')}: {report.scored} computed, "
        f"{report.cached} from cache, {report.seconds:.1f} s"
        + ("; CANCELLED, figures are partial" if report.cancelled else ""),
    ]
    served = served_description(info)
    if served:
        lines.append(safe(served))
    panel = info.get("panel") or []
    if panel:
        lines.append(f"panel of {plural(len(panel), 'critic')}: {', '.join(safe(str(m)) for m in panel)}")
    if report.locale:
        lines.append(
            f"locale {safe(report.locale)}: the judge read each statement with its {safe(report.locale)} addendum"
        )
    lines += [f"warning: {safe(w)}" for w in report.warnings]
    lines.append(format_trust_text(report.trust, info, per_principle=False).rstrip("\n"))
    lines.append("")
    head = (
        f"{'principle':<10} {'cases':>5} {'engaged':>7} {'decides':>7}  {'labels':<24} {'gold':>4} {'acc':>5} "
        f"{'kappa':>6} {'trust':<9} {'cal':<4} {'benign':>6} {'over-ref':>8}  least certain"
    )
    lines += [head, "-" * len(head)]
    for p in report.principles:
        agreement = report.trust.principle(p.principle_id)
        lines.append(_principle_line(p, agreement.level.value if agreement is not None else "unknown"))
    if report.deprecated:
        lines.append("")
        lines.append("deprecated (labelled for reference, never decide a case):")
        lines += [_principle_line(p, "-") for p in report.deprecated]
    overall = report.trust.overall
    lines.append("")
    lines.append(
        f"overall: {plural(len(report.cases), 'case')}, gold agreement on {overall.n}: "
        f"accuracy {overall.accuracy.text()}, kappa {overall.kappa.text()}"
    )
    lines.append("")
    lines.append(f"case verdicts ({rule}):")
    lines += [_case_line(c) for c in report.cases]
    if report.incomplete:
        lines.append("")
        ids = ", ".join(map(safe, report.incomplete))
        lines.append(f"incomplete (not every linked principle scored, no verdict): {ids}")
    if report.undecided:
        lines.append("")
        ids = ", ".join(map(safe, report.undecided))
        lines.append(f"no verdict (every linked principle is deprecated; none may decide): {ids}")
    lines.append("")
    if report.conflicts:
        lines.append(f"conflicts resolved by priority ({len(report.conflicts)}):")
        for c in report.conflicts:
            others = ", ".join(f"{pid}={label}" for pid, label in c.verdict.labels.items() if pid in c.verdict.engaged)
            lines.append(f"  {safe(c.case_id):<16} -> {c.verdict.label} ({c.verdict.deciding} decides; {others})")
    else:
        lines.append("conflicts resolved by priority: none")
    return "\n".join(lines) + "\n"
