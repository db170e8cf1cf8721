"""`cstudio shift` as plain text for a terminal: trust first, then a table per principle and the flips."""

from __future__ import annotations

from constitution_studio.core.analysis.shift_models import CaseShift, LocaleShift, ShiftReport
from constitution_studio.core.analysis.trust import format_trust_text, trust_headline
from constitution_studio.core.critic.types import served_description
from constitution_studio.core.report.shift_common import (
    delta,
    flips,
    gold_acc,
    over_refusal,
    prob_change,
    rank,
    side_label,
)
from constitution_studio.core.sanitize import sanitize as safe
from constitution_studio.core.wording import case_gold_text, label_word, plural


def format_shift_text(report: ShiftReport, *, per_principle_trust: bool = False) -> str:
    out = [format_trust_text(report.trust, report.critic, per_principle=per_principle_trust)]
    out += [f"warning: {safe(w)}\n" for w in report.warnings]
    if report.scope:
        out.append(
            f"scoped to {', '.join(safe(p) for p in report.scope)} (--principle): only their cases were scored\n"
        )
    out += [f"{safe(p)}\n" for p in report.partial]
    served = served_description(report.critic)
    if served:
        out.append(f"{safe(served)}\n")
    panel = report.critic.get("panel") or []
    if panel:
        out.append(f"panel of {plural(len(panel), 'critic')}: {', '.join(safe(m) for m in panel)}\n")
    if report.locale:
        out.append(
            f"locale {safe(report.locale)}: the judge read each statement with its {safe(report.locale)} addendum\n"
        )
    if not report.engagement:
        out.append("engagement off (critic.engagement): the highest-priority linked principle decides each case\n")
    if report.cancelled:
        out.append("CANCELLED: scoring stopped early; the figures are partial\n")
    if report.incomplete:
        out.append(f"{plural(len(report.incomplete), 'case')} without a verdict (not every principle scored)\n")
    if report.undecided:
        out.append(
            f"{plural(len(report.undecided), 'case')} no principle may decide on one side (all linked deprecated)\n"
        )
    out.append(f"label shift {report.base} -> {report.head}: {plural(report.overall.scored, 'case')} affected")
    if report.priority_changed:
        out.append(" (priority order changed)")
    out.append("\n")
    if not report.principles and not report.cases:
        out.append("nothing to score: no principle wording, link, case or priority change\n")
        return "".join(out)
    head = f"{'principle':<12} {'changes':<22} {'rank':<8} {'n':>4} {'stable':>6} {'unstbl':>6} {'|dp| mean/max':<15} "
    head += f"{'gold acc':<12} {'over-refusal':<12}"
    out.append(head.rstrip() + "\n")
    for ps in report.principles:
        s = ps.stats
        row = (
            f"{ps.principle_id:<12} {','.join(ps.changes):<22} {rank(ps.rank_base, ps.rank_head):<8} {s.scored:>4} "
            f"{s.n_flips_stable:>6} {s.n_flips_unstable:>6} {delta(s):<15} {gold_acc(s):<12} {over_refusal(s):<12}"
        )
        out.append(row.rstrip() + "\n")
    o = report.overall
    out.append(
        f"overall: {plural(o.scored, 'case')}; flips stable {flips(o.flips_stable)}, "
        f"unstable {flips(o.flips_unstable)}; |dp| {delta(o)}; gold accuracy {gold_acc(o)}; "
        f"over-refusal on benign {over_refusal(o)}; "
        f"conflicts resolved by priority {o.conflicts_base} -> {o.conflicts_head}\n"
    )
    out += _flipped(report.cases)
    if report.disputed:
        out.append(
            f"disputed flips (panel members disagree at base or head; never counted): "
            f"{', '.join(safe(c) for c in report.disputed)}\n"
        )
    for loc in report.locales:
        out += _locale(loc, report.critic)
    out.append(
        f"scored {plural(report.requests, 'request')}, {report.cached} from the cache, "
        f"{plural(report.model_calls, 'model call')}\n"
    )
    return "".join(out)


def _flipped(cases: list[CaseShift]) -> list[str]:
    flipped = [c for c in cases if c.flipped]
    if not flipped:
        return []
    out = ["flipped cases (overall label):\n"]
    for c in flipped:
        mark = "" if c.stable else "  [unstable: judge variants disagree at base or head]"
        if c.disputed:
            mark += "  [disputed: panel members disagree]"
        gold = f" {case_gold_text(c.gold, c.gold_by_principle)}" if c.gold else ""
        reg = "  REGRESSION" if c.gold_regression else ("  fixed" if c.gold_fix else "")
        deciders = f"{c.base.deciding if c.base else '-'} -> {c.head.deciding if c.head else '-'}"
        engaged = ",".join(c.head.engaged) if c.head and c.head.engaged else "none"
        out.append(
            f"  {safe(c.case_id):<16} {label_word(side_label(c.base))} -> {label_word(side_label(c.head))}  "
            f"{prob_change(c.base, c.head, c.kind)}  decided by {deciders}, engaged {engaged}"
            f"{gold}{reg}{mark}\n"
        )
        out += [f"      {safe(turn)}\n" for turn in c.turns]
    return out


def _locale(loc: LocaleShift, critic: dict[str, object]) -> list[str]:
    """One configured locale's shift: the same figures, judged on statement + its addendum."""
    o = loc.overall
    out = [
        f"locale {safe(loc.locale)} (statement + addendum): {plural(o.scored, 'case')}; flips stable "
        f"{flips(o.flips_stable)}, unstable {flips(o.flips_unstable)}; |dp| {delta(o)}; gold accuracy "
        f"{gold_acc(o)}; over-refusal on benign {over_refusal(o)}\n",
        f"  {trust_headline(loc.trust)}\n",
    ]
    for ps in loc.principles:
        if ps.stats.n_flips_stable or ps.stats.n_flips_unstable:
            out.append(
                f"  {ps.principle_id:<12} stable {ps.stats.n_flips_stable}, unstable {ps.stats.n_flips_unstable}\n"
            )
    out += ["  " + line for line in _flipped(loc.cases)]
    if loc.disputed:
        out.append(f"  disputed flips (never counted): {', '.join(safe(c) for c in loc.disputed)}\n")
    return out
