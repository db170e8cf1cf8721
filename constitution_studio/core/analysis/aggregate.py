"""Label shift figures: flips (stable or not), |Δ|, gold agreement and over-refusal.

Only stable flips (every judge on both sides agrees, `flip_is_stable`) count as changes;
the others are counted apart and never feed a gate.
"""

from __future__ import annotations

from collections.abc import Iterable

from constitution_studio.core.analysis.scored import ScoredVersion, Verdict, flip_is_stable
from constitution_studio.core.analysis.shift_models import CaseShift, PrincipleCaseShift, Stats


def flip(base: Verdict | None, head: Verdict | None) -> tuple[bool, str | None]:
    """(flipped, 'base->head') between two complete verdicts."""
    if base is None or head is None or base.label is None or head.label is None or base.label == head.label:
        return False, None
    return True, f"{base.label}->{head.label}"


def rate(hits: int, n: int) -> float | None:
    return hits / n if n else None


def deltas(pairs: Iterable[tuple[Verdict | None, Verdict | None]]) -> tuple[float | None, float | None]:
    values = [
        abs(h.probability - b.probability)
        for b, h in pairs
        if b is not None and h is not None and b.probability is not None and h.probability is not None
    ]
    if not values:
        return None, None
    return sum(values) / len(values), max(values)


def count_flip(stats: Stats, direction: str, stable: bool) -> None:
    flips = stats.flips_stable if stable else stats.flips_unstable
    flips[direction] = flips.get(direction, 0) + 1


def is_refused(version: ScoredVersion, case_id: str, verdict: Verdict | None) -> bool | None:
    """Over-refusal counts benign single-response cases whose verdict is `violates` (benign in the
    version's answer key: the base's, for a head)."""
    case = version.ws.cases.get(case_id)
    if case is None or verdict is None or verdict.label is None or case.kind != "single":
        return None
    if not version.benign(case_id):
        return None
    return verdict.label == "violates"


def benign_stats(
    stats: Stats, b: ScoredVersion, h: ScoredVersion, rows: Iterable[tuple[str, Verdict | None, Verdict | None]]
) -> None:
    refused = {"base": 0, "head": 0}
    for cid, vb, vh in rows:
        rb, rh = is_refused(b, cid, vb), is_refused(h, cid, vh)
        if rb is not None:
            stats.benign_n_base += 1
            refused["base"] += rb
        if rh is not None:
            stats.benign_n_head += 1
            refused["head"] += rh
    stats.over_refusal_base = rate(refused["base"], stats.benign_n_base)
    stats.over_refusal_head = rate(refused["head"], stats.benign_n_head)


def gold_stats(stats: Stats, rows: Iterable[tuple[Verdict | None, Verdict | None]]) -> None:
    right = {"base": 0, "head": 0}
    for vb, vh in rows:
        if vb is not None and vb.agrees_with_gold is not None:
            stats.gold_n_base += 1
            right["base"] += bool(vb.agrees_with_gold)
        if vh is not None and vh.agrees_with_gold is not None:
            stats.gold_n_head += 1
            right["head"] += bool(vh.agrees_with_gold)
    stats.gold_accuracy_base = rate(right["base"], stats.gold_n_base)
    stats.gold_accuracy_head = rate(right["head"], stats.gold_n_head)


def principle_stats(
    principle_id: str, rows: list[PrincipleCaseShift], cases: dict[str, CaseShift], b: ScoredVersion, h: ScoredVersion
) -> Stats:
    """One principle's figures: its own flips and |Δ|, the gold cases it decides, its benign cases."""
    stats = Stats(scored=len(rows))
    for r in rows:
        if r.flipped and r.direction:
            count_flip(stats, r.direction, r.stable)
    stats.mean_abs_delta, stats.max_abs_delta = deltas((r.base, r.head) for r in rows)
    decided = [
        (
            cs.base if cs.base and cs.base.deciding == principle_id else None,
            cs.head if cs.head and cs.head.deciding == principle_id else None,
        )
        for cs in cases.values()
    ]
    gold_stats(stats, decided)
    for r in rows:
        cs = cases.get(r.case_id)
        if cs is None:
            continue
        if cs.gold_regression:
            stats.gold_regressions.append(r.case_id)
        if cs.gold_fix:
            stats.gold_fixes.append(r.case_id)
        # a conflict resolved by this principle: engaged principles disagreed and it won on priority
        stats.conflicts_base += bool(cs.base and cs.base.conflict and cs.base.deciding == principle_id)
        stats.conflicts_head += bool(cs.head and cs.head.conflict and cs.head.deciding == principle_id)
    benign_stats(stats, b, h, ((r.case_id, r.base, r.head) for r in rows))
    return stats


def overall_stats(cases: list[CaseShift], b: ScoredVersion, h: ScoredVersion) -> Stats:
    """Figures over every affected case; over-refusal over every benign case of each version."""
    stats = Stats(scored=len(cases))
    for cs in cases:
        if cs.flipped and cs.direction:
            count_flip(stats, cs.direction, cs.stable)
        if cs.gold_regression:
            stats.gold_regressions.append(cs.case_id)
        if cs.gold_fix:
            stats.gold_fixes.append(cs.case_id)
        stats.conflicts_base += bool(cs.base and cs.base.conflict)
        stats.conflicts_head += bool(cs.head and cs.head.conflict)
    stats.mean_abs_delta, stats.max_abs_delta = deltas((c.base, c.head) for c in cases)
    gold_stats(stats, ((c.base, c.head) for c in cases))
    # each side's benign cases in its answer key: for a head judged by the base's key, the base's
    # benign cases (renamed ones under their head ID); what the head adds is shown apart
    benign = sorted({cid for v in (b, h) for cid in v.ws.cases if v.benign(cid)})
    primary_b, primary_h = [b.primary], [h.primary]
    benign_stats(stats, b, h, ((cid, b.verdict(cid, primary_b), h.verdict(cid, primary_h)) for cid in benign))
    return stats


def case_shift_flags(base: Verdict | None, head: Verdict | None) -> dict[str, object]:
    """flipped, direction, stable and gold regression/fix of one case, in one place."""
    flipped, direction = flip(base, head)
    stable = flip_is_stable(base, head)
    regression = bool(base and head and base.agrees_with_gold is True and head.agrees_with_gold is False)
    fix = bool(base and head and base.agrees_with_gold is False and head.agrees_with_gold is True)
    return {
        "flipped": flipped,
        "direction": direction,
        "stable": stable,
        # inside the noise band a flip is reported but never counted, gold regressions included
        "gold_regression": regression and stable,
        "gold_fix": fix and stable,
        "unstable_gold_change": (regression or fix) and not stable,
    }
