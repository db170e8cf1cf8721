"""The review queue: the cases most worth a human look, in the order an auditor should take them.

1. `disagrees`  the critic's verdict disagrees with gold (most confident first: a confident
                 wrong label does the most harm);
2. `uncertain`  no gold, and the critic is least certain (probability closest to its threshold);
3. `unstable`   the label changes across judge variants (inside the noise band);
4. `conflict`   engaged principles disagreed and the priority order decided.

A case appears once, under the first reason that applies; cases the critic has not fully
scored are left out (never judged on a subset). A pure function over a `ScoredVersion`: the
CLI (`cstudio review`) and the studio's review screen read the same list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.scoring import case_requests, fill_from_cache, score_versions
from constitution_studio.core.analysis.shift import scored_version
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.workspace import Workspace

REASONS = ("disagrees", "uncertain", "unstable", "conflict")
REASON_TEXT = {
    "disagrees": "the critic disagrees with the gold label",
    "uncertain": "no gold label, and the critic is unsure",
    "unstable": "the critic's label changes with the judge prompt's wording",
    "conflict": "two principles disagreed; the priority order decided",
}


class ReviewItem(BaseModel):
    """One case in the queue, with what the reviewer needs to see about the critic's verdict."""

    case_id: str
    reason: str = Field(description="One of disagrees, uncertain, unstable, conflict.")
    kind: str
    principle_id: str | None = Field(description="The principle that decided the verdict.")
    principles: list[str] = Field(description="Linked principles, highest priority first.")
    label: str | None
    probability: float | None
    margin: float | None = Field(description="|probability - threshold| of the deciding principle.")
    gold: str | None
    gold_by_principle: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict, description="Each linked principle's own label.")
    variant_labels: dict[str, str] = Field(default_factory=dict)
    engaged: list[str] = Field(default_factory=list)
    conflict: bool = False
    benign: bool = False


def review_queue(
    version: ScoredVersion,
    *,
    thresholds: Mapping[str, float] | None = None,
    case_ids: Iterable[str] | None = None,
    limit: int | None = None,
    unscored: list[str] | None = None,
) -> list[ReviewItem]:
    """The queue over `case_ids` (default: every case), in review order.

    `unscored`, when given, collects the cases left out because they are not fully scored.
    """
    limits = thresholds or {}
    ws = version.ws
    ids = [cid for cid in (case_ids if case_ids is not None else ws.cases) if cid in ws.cases]
    gold_ids = [cid for cid in ids if ws.cases[cid].has_gold]
    groups: dict[str, list[tuple[tuple[float, str], ReviewItem]]] = {r: [] for r in REASONS}
    out: list[ReviewItem] = []

    def take(reason: str) -> bool:
        out.extend(item for _, item in sorted(groups[reason], key=lambda pair: pair[0]))
        return limit is not None and len(out) >= limit

    # Gold cases first: when they fill the limit, the cases without gold need no verdict at all.
    for cid in gold_ids:
        _place(version, cid, limits, groups, gold=True, unscored=unscored)
    if take("disagrees"):
        return out[:limit]
    for cid in ids:
        if not ws.cases[cid].has_gold:
            _place(version, cid, limits, groups, gold=False, unscored=unscored)
    for reason in REASONS[1:]:
        if take(reason):
            return out[:limit]
    return out


def _place(
    version: ScoredVersion,
    cid: str,
    limits: Mapping[str, float],
    groups: dict[str, list[tuple[tuple[float, str], ReviewItem]]],
    *,
    gold: bool,
    unscored: list[str] | None = None,
) -> None:
    case = version.ws.cases[cid]
    v = version.verdict(cid)
    if v is None or v.label is None or v.probability is None:
        if unscored is not None:
            unscored.append(cid)
        return
    limit_p = 0.5 if case.kind == "pair" else limits.get(v.deciding or "", 0.5)
    m = abs(v.probability - limit_p)
    label = version.gold(cid) if gold else None
    if label is not None and v.agrees_with_gold is False:
        reason, key = "disagrees", -m
    elif label is None:
        reason, key = "uncertain", m
    elif not v.stable:
        reason, key = "unstable", m
    elif v.conflict:
        reason, key = "conflict", m
    else:
        return
    eligible, _ = version.eligible(cid)
    item = ReviewItem(
        case_id=cid,
        reason=reason,
        kind=case.kind,
        principle_id=v.deciding,
        principles=eligible,
        label=v.label,
        probability=v.probability,
        margin=m,
        gold=label,
        gold_by_principle=case.gold_by_principle,
        labels=dict(v.labels),
        variant_labels=dict(v.variant_labels),
        engaged=list(v.engaged),
        conflict=v.conflict,
        benign=case.benign,
    )
    groups[reason].append(((key, cid), item))


def first_item(version: ScoredVersion, *, thresholds: Mapping[str, float] | None = None) -> ReviewItem | None:
    """The head of the queue (what the review screen shows first)."""
    queue = review_queue(version, thresholds=thresholds, limit=1)
    return queue[0] if queue else None


class ReviewQueue(BaseModel):
    """`cstudio review --format json`: the queue at one version."""

    version: str
    critic: dict[str, Any] = Field(default_factory=dict)
    items: list[ReviewItem]
    cases: int = Field(description="Cases at this version.")
    unscored: int = Field(description="Cases left out: not every deciding principle was scored under every judge.")


def review_requests(version: ScoredVersion, case_ids: Iterable[str] | None = None) -> list[ScoreRequest]:
    """What the queue needs: every case's deciding principles under every judge (stability)."""
    return case_requests(version, case_ids if case_ids is not None else version.ws.cases)


def scored_for_review(
    ws: Workspace,
    critic: Judge,
    *,
    score: bool = True,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScoredVersion:
    """The version with what the queue needs: scored (missing answers too), or from the cache only."""
    version = scored_version(ws, critic)
    requests = review_requests(version)
    if score:
        score_versions(critic, [(version, requests)], cancel=cancel, progress=progress)
    else:
        fill_from_cache(version, critic, requests)
    return version


def unscored(version: ScoredVersion) -> int:
    return sum(1 for cid in version.ws.cases if (v := version.verdict(cid)) is None or v.label is None)


def disagreements(version: ScoredVersion, case_ids: Iterable[str], limits: Mapping[str, float]) -> list[ReviewItem]:
    """The queue's first group alone, from the primary judge's resolution (no Verdict per case).

    The same order and items as `review_queue`'s "disagrees" group: a case whose label is not
    its gold, most confident first. Fast enough to show the first case of 50,000 at once.
    """
    found: list[tuple[tuple[float, str], str, Any, str]] = []
    ws = version.ws
    for cid in case_ids:
        res = version.resolution(cid)
        if res.label is None or res.deciding is None:
            continue
        gold = version.gold(cid)
        if gold is None or gold == res.label:
            continue
        p = version.verdicts[(res.deciding, cid, version.primary)].probability
        limit = 0.5 if ws.cases[cid].kind == "pair" else limits.get(res.deciding, 0.5)
        found.append(((-abs(p - limit), cid), cid, res, gold))
    found.sort(key=lambda row: row[0])
    items = []
    for (neg_margin, _), cid, res, gold in found:
        case = ws.cases[cid]
        eligible, _ = version.eligible(cid)
        items.append(
            ReviewItem(
                case_id=cid,
                reason="disagrees",
                kind=case.kind,
                principle_id=res.deciding,
                principles=eligible,
                label=res.label,
                probability=version.verdicts[(res.deciding, cid, version.primary)].probability,
                margin=-neg_margin,
                gold=gold,
                gold_by_principle=case.gold_by_principle,
                labels=dict(res.labels),
                variant_labels={version.primary: res.label},
                engaged=list(res.engaged),
                conflict=res.conflict,
                benign=case.benign,
            )
        )
    return items


def review_stages(
    ws: Workspace,
    critic: Judge,
    *,
    score: bool = False,
    thresholds: Mapping[str, float] | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[list[ReviewItem], int | None]]:
    """The queue in two steps, so the first case shows at once on a large constitution.

    First (items, None): the cases whose critic verdict disagrees with gold, from the gold cases
    under the primary judge only (that reason needs no other judge). Then (items, unscored):
    the whole queue over every case under every judge, and how many cases are not scored yet.
    """
    first = scored_version(ws, critic)
    first.judges = first.judges[:1]
    gold = [cid for cid, c in ws.cases.items() if c.has_gold]
    requests = case_requests(first, gold)
    if score:
        score_versions(critic, [(first, requests)], cancel=cancel)
    else:
        fill_from_cache(first, critic, requests)
    yield disagreements(first, gold, thresholds or {}), None
    if cancel is not None and cancel.is_set():
        return
    version = scored_for_review(ws, critic, score=score, cancel=cancel, progress=progress)
    missing: list[str] = []
    items = review_queue(version, thresholds=thresholds, unscored=missing)
    yield items, len(missing)
