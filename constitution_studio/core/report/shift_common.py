"""Small formatting helpers shared by the shift and check renderers."""

from __future__ import annotations

from constitution_studio.core.analysis.scored import Verdict
from constitution_studio.core.analysis.shift_models import Stats
from constitution_studio.core.wording import p_arrow


def prob(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def arrow(base: str, head: str) -> str:
    return base if base == head else f"{base} → {head}"


def prob_change(base: Verdict | None, head: Verdict | None, kind: str) -> str:
    """`P(violates) 0.70 → 0.10` / `P(A) 0.46 → 0.61`: core/wording.py's one way to show it."""
    return p_arrow(
        base.probability if base else None, head.probability if head else None, "pair" if kind == "pair" else "single"
    )


def side_label(side: Verdict | None) -> str:
    return side.label if side and side.label else "–"


def flips(counts: dict[str, int]) -> str:
    """'3 (violates->complies 2, complies->violates 1)' in a stable order."""
    total = sum(counts.values())
    if not total:
        return "0"
    parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return f"{total} ({parts})"


def gold_acc(stats: Stats) -> str:
    return arrow(rate(stats.gold_accuracy_base), rate(stats.gold_accuracy_head))


def over_refusal(stats: Stats) -> str:
    return arrow(rate(stats.over_refusal_base), rate(stats.over_refusal_head))


def delta(stats: Stats) -> str:
    if stats.mean_abs_delta is None or stats.max_abs_delta is None:
        return "–"
    return f"{stats.mean_abs_delta:.3f} / {stats.max_abs_delta:.3f}"


def rank(base: int | None, head: int | None) -> str:
    b = "–" if base is None else str(base)
    h = "–" if head is None else str(head)
    return arrow(b, h)
