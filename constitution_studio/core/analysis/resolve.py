"""The one rule that turns per-principle answers into a case's verdict (PRODUCT.md, "Priority
and engagement").

Priority resolves *conflicts*, and a conflict needs two principles that both bear on the
conversation. A case's verdict is the verdict of its highest-priority *engaged* linked
principle; when none is engaged, it violates if any linked principle is violated (the
highest-priority such principle decides), else it complies. Deprecated principles never
decide. With `critic.engagement: off` the highest-priority linked principle decides,
whatever the conversation (the rule before engagement existed).

Every surface (eval, trust, shift, check, compare, the studio) reads this module's result;
nothing else derives a verdict. Gold given per principle is turned into the case's overall
gold by the same rule, with the principles a person labelled standing for the engaged ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from constitution_studio.core.models import EvalCase, Principle, Status

POSITIVE = ("violates", "a")

# How the verdict was reached, shown in reports.
RULE_ENGAGED = "engaged"  # the highest-priority engaged principle decided
RULE_VIOLATED = "none-engaged-violated"  # none engaged; the highest-priority violated principle decided
RULE_COMPLIES = "none-engaged-complies"  # none engaged, none violated
RULE_PRIORITY = "priority"  # engagement off: the highest-priority linked principle decided


@dataclass(frozen=True)
class Resolution:
    """A case's verdict at one version under one judge, and how it was reached.

    `label` is None when the case is *incomplete* (`missing` names the linked principles
    without an answer) or has no principle that may decide (all linked ones deprecated).
    """

    label: str | None
    deciding: str | None
    rule: str | None
    engaged: tuple[str, ...] = ()
    conflict: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    deprecated: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.label is not None


def rank_map(priority: Sequence[str]) -> dict[str, int]:
    """Principle ID -> position in the priority order (build once per version, not per case)."""
    return {pid: i for i, pid in enumerate(priority)}


def rank_order(case: EvalCase, priority: Sequence[str] | Mapping[str, int]) -> list[str]:
    """The case's linked principle IDs, highest priority first.

    Principles missing from the priority order rank after every ranked one, in link order.
    """
    rank = priority if isinstance(priority, Mapping) else rank_map(priority)
    linked = list(dict.fromkeys(case.principles))
    if len(linked) == 1:
        return linked
    last = len(rank)
    return sorted(linked, key=lambda p: (rank.get(p, last), linked.index(p)))


def split_linked(
    case: EvalCase, priority: Sequence[str] | Mapping[str, int], principles: Mapping[str, Principle]
) -> tuple[list[str], list[str]]:
    """(principles that may decide, in priority order; deprecated linked principles).

    Linked IDs that do not exist at this version are neither (validation reports them).
    """
    if len(case.principles) == 1:  # most cases: no ordering to do
        only = case.principles[0]
        p = principles.get(only)
        if p is None:
            return [], []
        return ([], [only]) if p.status == Status.DEPRECATED else ([only], [])
    eligible: list[str] = []
    deprecated: list[str] = []
    for pid in rank_order(case, priority):
        p = principles.get(pid)
        if p is None:
            continue
        (deprecated if p.status == Status.DEPRECATED else eligible).append(pid)
    return eligible, deprecated


def resolve(
    eligible: Sequence[str],
    labels: Mapping[str, str],
    engaged: Mapping[str, bool] | None,
    *,
    kind: str = "single",
    deprecated: Sequence[str] = (),
) -> Resolution:
    """The verdict from each eligible principle's label (and engagement, None = engagement off).

    `eligible` is in priority order (see `split_linked`). A principle without a label, or
    (engagement on) without an engagement answer, makes the case incomplete: it is never
    decided by a subset of its principles.
    """
    if len(eligible) == 1:  # most cases link one principle
        return _resolve_one(eligible[0], labels, engaged, kind, tuple(deprecated))
    missing = tuple(p for p in eligible if p not in labels or (engaged is not None and p not in engaged))
    shown = {p: labels[p] for p in eligible if p in labels}
    if missing or not eligible:
        return Resolution(None, None, None, labels=shown, deprecated=tuple(deprecated), missing=missing)
    if engaged is None:
        decider = eligible[0]
        conflict = len({labels[p] for p in eligible}) > 1
        return Resolution(labels[decider], decider, RULE_PRIORITY, (), conflict, shown, tuple(deprecated))
    on = tuple(p for p in eligible if engaged[p])
    if on:
        decider, rule = on[0], RULE_ENGAGED
    elif kind == "pair":
        decider, rule = eligible[0], RULE_PRIORITY  # "violated" has no meaning for a preference
    else:
        violated = [p for p in eligible if labels[p] in POSITIVE]
        decider, rule = (violated[0], RULE_VIOLATED) if violated else (eligible[0], RULE_COMPLIES)
    conflict = len({labels[p] for p in on}) > 1
    return Resolution(labels[decider], decider, rule, on, conflict, shown, tuple(deprecated))


def _resolve_one(
    p: str, labels: Mapping[str, str], engaged: Mapping[str, bool] | None, kind: str, deprecated: tuple[str, ...]
) -> Resolution:
    """`resolve` for one eligible principle (same result, without the general bookkeeping)."""
    label = labels.get(p)
    shown = {p: label} if label is not None else {}
    if label is None or (engaged is not None and p not in engaged):
        return Resolution(None, None, None, labels=shown, deprecated=deprecated, missing=(p,))
    if engaged is None:
        return Resolution(label, p, RULE_PRIORITY, (), False, shown, deprecated)
    if engaged[p]:
        return Resolution(label, p, RULE_ENGAGED, (p,), False, shown, deprecated)
    if kind == "pair":
        return Resolution(label, p, RULE_PRIORITY, (), False, shown, deprecated)
    return Resolution(label, p, RULE_VIOLATED if label in POSITIVE else RULE_COMPLIES, (), False, shown, deprecated)


def resolve_case(
    case: EvalCase,
    priority: Sequence[str] | Mapping[str, int],
    principles: Mapping[str, Principle],
    labels: Mapping[str, str],
    engaged: Mapping[str, bool] | None,
) -> Resolution:
    """`resolve` for one case at one version."""
    eligible, deprecated = split_linked(case, priority, principles)
    return resolve(eligible, labels, engaged, kind=case.kind, deprecated=deprecated)


def case_gold(
    case: EvalCase, priority: Sequence[str] | Mapping[str, int], principles: Mapping[str, Principle]
) -> str | None:
    """The case's overall gold label.

    Gold for the case as a whole is used as written. Gold per principle is resolved by the
    same rule as the critic's labels, the labelled principles standing for the engaged ones:
    the highest-priority labelled principle that may decide gives the overall gold.
    """
    if not case.gold:
        return None
    if isinstance(case.gold, str):
        return case.gold
    eligible, _ = split_linked(case, priority, principles)
    labelled = [p for p in eligible if p in case.gold]
    if not labelled:
        return None
    return resolve(labelled, case.gold, dict.fromkeys(labelled, True), kind=case.kind).label


def explain(
    deciding: str | None,
    rule: str | None,
    *,
    kind: str = "single",
    labels: Mapping[str, str] | None = None,
    engaged: Sequence[str] = (),
    conflict: bool = False,
    missing: Sequence[str] = (),
    deprecated: Sequence[str] = (),
    engagement: bool = True,
) -> str:
    """Who decides the case and why, in words (what a reviewer reads beside the verdict).

    Takes a `Resolution`'s (or a `Verdict`'s) fields; the rule itself is `resolve`'s.
    `engagement`: whether engagement was on (`critic.engagement`).
    """
    labels = labels or {}
    if deciding is None or rule is None:
        if missing:
            return f"not decided yet: {', '.join(missing)} not scored"
        if deprecated:
            return "not decided: every linked principle is deprecated (deprecated principles never decide)"
        return "not decided: no linked principle exists at this version"
    if rule == RULE_ENGAGED:
        why = f"{deciding} decides: it is the highest-priority linked principle the request bears on"
    elif rule == RULE_VIOLATED:
        why = f"{deciding} decides: no linked principle is engaged, and it is the highest-priority one violated"
    elif rule == RULE_COMPLIES:
        why = f"{deciding} decides: no linked principle is engaged and none is violated"
    elif not engagement:
        why = f"{deciding} decides: the highest-priority linked principle (engagement is off)"
    elif kind == "pair":
        why = f"{deciding} decides: no linked principle is engaged, and a pair goes to the highest-priority one"
    else:
        why = f"{deciding} decides: the highest-priority linked principle"
    if conflict:
        sides = ", ".join(f"{p} {labels[p]}" for p in (engaged or labels) if p in labels)
        why += f"; the principles disagreed ({sides}) and the priority order decided"
    if deprecated:
        why += f"; {', '.join(deprecated)} deprecated (never decides)"
    return why
