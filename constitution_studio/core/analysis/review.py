"""The review queue: the cases most worth a human look, in the order an auditor should take them.

1. `uncertain`  no gold label yet (a new label adds most to trust), least certain first
                (probability closest to its threshold);
2. `disagrees`  the critic's verdict disagrees with gold (most confident first: a confident
                wrong label does the most harm);
3. `unstable`   the label changes across judge variants (inside the noise band);
4. `conflict`   engaged principles disagreed and the priority order decided.

A case appears once, under the first reason that applies; cases the critic has not fully
scored are left out (never judged on a subset). Each item carries what a reviewer must see to
label it honestly: every linked principle's wording with the critic's label and probability
for it, who decides the case and why (analysis/resolve.py), the case's note and its existing
gold, overall and per principle, and why the case is in the queue. A pure function over a
`ScoredVersion`: the CLI (`cstudio review`) and the studio's review screen read the same list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.resolve import explain, rank_map, rank_order
from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.scoring import (
    case_requests,
    distinct_answers,
    fill_from_cache,
    fill_lacking,
    score_versions,
    unanswered,
)
from constitution_studio.core.analysis.shift import scored_version
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.gc_pause import paused_gc
from constitution_studio.core.models import Scope
from constitution_studio.core.wording import case_gold_text, label_word, plural, sure_text
from constitution_studio.core.workspace import Workspace

REASONS = ("uncertain", "disagrees", "unstable", "conflict")
REASON_TEXT = {
    "uncertain": "no gold label yet (the critic's least certain first)",
    "disagrees": "the critic disagrees with the gold label",
    "unstable": "the critic's label changes with the judge prompt's wording",
    "conflict": "two principles disagreed; the priority order decided",
}
FIRST_STAGE = REASONS[:2]  # reasons decided by the primary judge alone
REVIEW_CHUNK_CASES = 16  # a scoring review shows its queue after every this many cases


class LinkedVerdict(BaseModel):
    """One linked principle as the reviewer sees it: its wording and the critic's answer for it."""

    principle_id: str
    title: str | None = Field(description="None when the principle does not exist at this version.")
    statement: str | None = Field(description="The wording the critic judged against.")
    rank: int | None = Field(description="1-based place in the priority order (None: not ranked).")
    status: str | None = None
    label: str | None = Field(description="The critic's label for this principle (primary judge).")
    probability: float | None = Field(description="P(violates) (single) or P(a preferred) (pair) for it.")
    engaged: bool | None = Field(default=None, description="Whether the request bears on it (None: not asked).")
    engagement: float | None = Field(default=None, description="P(engaged).")
    decides: bool = Field(default=False, description="This principle's label is the case's verdict.")
    gold: str | None = Field(default=None, description="Gold given for this principle (per-principle gold).")


class ReviewItem(BaseModel):
    """One case in the queue, with what the reviewer needs to see about the critic's verdict."""

    case_id: str
    reason: str = Field(description="One of uncertain, disagrees, unstable, conflict.")
    why: str = Field(default="", description="Why this case is in the queue, in words.")
    kind: str
    principle_id: str | None = Field(description="The principle that decided the verdict.")
    principles: list[str] = Field(description="Linked principles that may decide, highest priority first.")
    label: str | None
    probability: float | None
    threshold: float | None = Field(default=None, description="The deciding principle's threshold (0.5 for pairs).")
    margin: float | None = Field(description="|probability - threshold| of the deciding principle.")
    decision: str = Field(default="", description="Who decides the case and why (analysis/resolve.py).")
    rule: str | None = None
    gold: str | None = Field(description="The case's overall gold (given, or derived from per-principle gold).")
    gold_scope: Scope | None = Field(
        default=None, description="How the existing gold is given: for the case as a whole, or per principle."
    )
    gold_by_principle: dict[str, str] = Field(default_factory=dict)
    note: str | None = Field(default=None, description="The case's note.")
    linked: list[LinkedVerdict] = Field(default_factory=list, description="Every linked principle, by priority.")
    labels: dict[str, str] = Field(default_factory=dict, description="Each linked principle's own label.")
    variant_labels: dict[str, str] = Field(default_factory=dict)
    engaged: list[str] = Field(default_factory=list)
    conflict: bool = False
    benign: bool = False


class _Decided(Protocol):
    """What a `Resolution` and a `Verdict` both say about how a case was decided."""

    label: str | None
    deciding: str | None
    rule: str | None
    conflict: bool

    @property
    def engaged(self) -> Sequence[str]: ...
    @property
    def labels(self) -> Mapping[str, str]: ...
    @property
    def missing(self) -> Sequence[str]: ...
    @property
    def deprecated(self) -> Sequence[str]: ...


def _limit(version: ScoredVersion, cid: str, deciding: str | None, limits: Mapping[str, float]) -> float:
    return 0.5 if version.ws.cases[cid].kind == "pair" else limits.get(deciding or "", 0.5)


def _item(
    version: ScoredVersion,
    cid: str,
    reason: str,
    decided: _Decided,
    *,
    rank: Mapping[str, int],
    probability: float,
    threshold: float,
    variant_labels: Mapping[str, str],
) -> ReviewItem:
    ws = version.ws
    case = ws.cases[cid]
    eligible, _ = version.eligible(cid)
    primary = version.primary
    gold_by = case.gold_by_principle
    linked = []
    for pid in rank_order(case, rank):
        p = ws.principles.get(pid)
        s = version.verdicts.get((pid, cid, primary))
        e = version.engaged.get((pid, cid, primary))
        linked.append(
            LinkedVerdict(
                principle_id=pid,
                title=p.title if p else None,
                statement=p.statement if p else None,
                rank=rank[pid] + 1 if pid in rank else None,
                status=p.status.value if p else None,
                label=s.label if s else None,
                probability=s.probability if s else None,
                engaged=(e.label == "engaged") if e else None,
                engagement=e.probability if e else None,
                decides=pid == decided.deciding,
                gold=gold_by.get(pid),
            )
        )
    gold = version.gold(cid)
    item = ReviewItem(
        case_id=cid,
        reason=reason,
        kind=case.kind,
        principle_id=decided.deciding,
        principles=eligible,
        label=decided.label,
        probability=probability,
        threshold=threshold,
        margin=abs(probability - threshold),
        decision=explain(
            decided.deciding,
            decided.rule,
            kind=case.kind,
            labels=decided.labels,
            engaged=tuple(decided.engaged),
            conflict=decided.conflict,
            missing=tuple(decided.missing),
            deprecated=tuple(decided.deprecated),
            engagement=version.engagement,
        ),
        rule=decided.rule,
        gold=gold,
        gold_scope=None if not case.gold else ("principle" if isinstance(case.gold, dict) else "case"),
        gold_by_principle=gold_by,
        note=case.note,
        linked=linked,
        labels=dict(decided.labels),
        variant_labels=dict(variant_labels),
        engaged=list(decided.engaged),
        conflict=decided.conflict,
        benign=case.benign,
        why="",
    )
    item.why = why_text(item)
    return item


def item_gold_text(item: ReviewItem) -> str:
    """The case's existing gold and whose it is: `gold (case): violates`, or, given per principle,
    `gold (from HELP-01 violates): violates` (the overall label derived by the priority rule)."""
    return case_gold_text(item.gold, item.gold_by_principle if item.gold_scope == "principle" else None)


def why_text(item: ReviewItem) -> str:
    """Why a case is in the queue, with the figures behind it, in the one wording (core/wording.py)."""
    kind: Literal["single", "pair"] = "pair" if item.kind == "pair" else "single"
    says = label_word(item.label)
    if item.probability is not None:
        says += f" ({sure_text(item.probability, kind, item.principle_id)})"
    if item.reason == "uncertain":
        at = f", threshold {item.threshold:.2f}" if item.threshold not in (None, 0.5) else ""
        return f"no gold label yet; the critic says {says}{at}"
    if item.reason == "disagrees":
        return f"the critic says {says}, but {item_gold_text(item)}"
    if item.reason == "unstable":
        each = ", ".join(f"{j} {label_word(lab)}" for j, lab in item.variant_labels.items())
        return f"the label changes with the judge prompt's wording ({each})"
    sides = ", ".join(f"{p} {label_word(lab)}" for p, lab in item.labels.items() if p in item.engaged)
    return f"the engaged principles disagreed ({sides}); the priority order decided"


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
    with paused_gc():  # tens of thousands of small, acyclic objects
        return _review_queue(version, thresholds, case_ids, limit, unscored)


def _review_queue(
    version: ScoredVersion,
    thresholds: Mapping[str, float] | None,
    case_ids: Iterable[str] | None,
    limit: int | None,
    unscored: list[str] | None,
) -> list[ReviewItem]:
    limits = thresholds or {}
    ws = version.ws
    ids = [cid for cid in (case_ids if case_ids is not None else ws.cases) if cid in ws.cases]
    groups: dict[str, list[tuple[tuple[float, str], ReviewItem]]] = {r: [] for r in REASONS}
    out: list[ReviewItem] = []
    rank = rank_map(ws.priority)

    def take(reason: str) -> bool:
        out.extend(item for _, item in sorted(groups[reason], key=lambda pair: pair[0]))
        return limit is not None and len(out) >= limit

    # Cases without gold first: when they fill the limit, the gold cases need no verdict at all.
    for cid in ids:
        if not ws.cases[cid].has_gold:
            _place(version, cid, limits, rank, groups, unscored=unscored)
    if take("uncertain"):
        return out[:limit]
    for cid in ids:
        if ws.cases[cid].has_gold:
            _place(version, cid, limits, rank, groups, unscored=unscored)
    for reason in REASONS[1:]:
        if take(reason):
            return out[:limit]
    return out


def _place(
    version: ScoredVersion,
    cid: str,
    limits: Mapping[str, float],
    rank: Mapping[str, int],
    groups: dict[str, list[tuple[tuple[float, str], ReviewItem]]],
    *,
    unscored: list[str] | None = None,
) -> None:
    v = version.verdict(cid)
    if v is None or v.label is None or v.probability is None:
        if unscored is not None:
            unscored.append(cid)
        return
    threshold = _limit(version, cid, v.deciding, limits)
    m = abs(v.probability - threshold)
    gold = version.gold(cid)
    if gold is None:
        reason, key = "uncertain", m
    elif v.agrees_with_gold is False:
        reason, key = "disagrees", -m
    elif not v.stable:
        reason, key = "unstable", m
    elif v.conflict:
        reason, key = "conflict", m
    else:
        return
    item = _item(
        version,
        cid,
        reason,
        v,
        rank=rank,
        probability=v.probability,
        threshold=threshold,
        variant_labels=v.variant_labels,
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
    gold_cases: int = Field(default=0, description="Cases with a gold label at this version.")
    answers_needed: int = Field(
        default=0, description="Critic answers a full run would still compute for the unscored cases."
    )

    def state(self, action: str) -> str | None:
        """`empty_state` of this queue."""
        return empty_state(
            items=len(self.items),
            cases=self.cases,
            unscored=self.unscored,
            answers_needed=self.answers_needed,
            action=action,
        )


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


def answers_needed(version: ScoredVersion, critic: Judge) -> int:
    """How many critic answers scoring the rest of the queue would take (distinct, as a run asks them)."""
    lacking = unanswered(version, review_requests(version))
    return distinct_answers(critic, lacking) if lacking else 0


def empty_state(*, items: int, cases: int, unscored: int, answers_needed: int, action: str) -> str | None:
    """What to say instead of (or above) the list when the queue is empty or partial for want of scores.

    `action` is how this surface scores ("run without --cached-only", "press r"). Never
    "nothing to review" when the critic simply has not scored the cases yet. None: nothing to add.
    """
    about = f" (about {plural(answers_needed, 'critic answer')})" if answers_needed else ""
    if cases and unscored >= cases:
        return f"nothing scored yet — {action}{about}"
    if not items and not unscored:
        return "nothing to review: every case has gold the critic agrees with, stably"
    if unscored:
        return (
            f"{plural(unscored, 'case')} not scored yet {'is' if unscored == 1 else 'are'} left out — {action}{about}"
        )
    return None


def unscored(version: ScoredVersion) -> int:
    return sum(1 for cid in version.ws.cases if (v := version.verdict(cid)) is None or v.label is None)


def first_groups(version: ScoredVersion, case_ids: Iterable[str], limits: Mapping[str, float]) -> list[ReviewItem]:
    """The queue's first two groups (no gold; disagrees with gold) from the primary judge alone.

    Both reasons need no other judge, so these are the same items, in the same order, as
    `review_queue`'s; read from each case's resolution (no `Verdict` per case), fast enough to
    show the first case of 50,000 at once.
    """
    with paused_gc():
        return _first_groups(version, case_ids, limits)


def _first_groups(version: ScoredVersion, case_ids: Iterable[str], limits: Mapping[str, float]) -> list[ReviewItem]:
    found: dict[str, list[tuple[tuple[float, str], Any, float, float]]] = {r: [] for r in FIRST_STAGE}
    primary = version.primary
    for cid in case_ids:
        res = version.resolution(cid)
        if res.label is None or res.deciding is None:
            continue
        gold = version.gold(cid)
        if gold is not None and gold == res.label:
            continue
        p = version.verdicts[(res.deciding, cid, primary)].probability
        threshold = _limit(version, cid, res.deciding, limits)
        reason, key = ("uncertain", abs(p - threshold)) if gold is None else ("disagrees", -abs(p - threshold))
        found[reason].append(((key, cid), res, p, threshold))
    rank = rank_map(version.ws.priority)
    return [
        _item(
            version,
            cid,
            reason,
            res,
            rank=rank,
            probability=p,
            threshold=threshold,
            variant_labels={primary: res.label},
        )
        for reason in FIRST_STAGE
        for (_, cid), res, p, threshold in sorted(found[reason], key=lambda row: row[0])
    ]


def disagreements(version: ScoredVersion, case_ids: Iterable[str], limits: Mapping[str, float]) -> list[ReviewItem]:
    """The queue's "disagrees" group alone, from the primary judge (see `first_groups`)."""
    gold = [cid for cid in case_ids if version.ws.cases[cid].has_gold]
    return [item for item in first_groups(version, gold, limits) if item.reason == "disagrees"]


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

    First (items, None): the cases without gold and those whose critic verdict disagrees with
    gold, under the primary judge only (those reasons need no other judge). Then (items,
    unscored): the whole queue under every judge (the primary judge's answers are not asked
    for again), and how many cases are not scored yet. `progress` hears both steps.
    """
    first = scored_version(ws, critic)
    judges = list(first.judges)
    first.judges = judges[:1]
    requests = case_requests(first, ws.cases)
    lacking = fill_lacking(first, critic, requests)
    if score and lacking:
        # In chunks of cases, each chunk's queue shown as it is in: on a slow judge the reviewer
        # starts on the first cases in seconds, not after every answer of the constitution.
        by_case: dict[str, list[ScoreRequest]] = {}
        for r in lacking:
            by_case.setdefault(r.case.id, []).append(r)
        ids = list(by_case)
        total = distinct_answers(critic, lacking)  # what the run asks the judge: one count across chunks
        done_before = 0
        for start in range(0, len(ids), REVIEW_CHUNK_CASES):
            chunk = [r for cid in ids[start : start + REVIEW_CHUNK_CASES] for r in by_case[cid]]
            asked = [0]  # this chunk's answers (one two chunks share is counted in both: clamped)

            def chunk_progress(done: int, n: int, offset: int = done_before, asked: list[int] = asked) -> None:
                asked[0] = n
                if progress is not None:
                    progress(min(offset + done, total), total)

            score_versions(critic, [(first, chunk)], cancel=cancel, progress=chunk_progress)
            done_before += asked[0]
            if cancel is not None and cancel.is_set():
                break
            if start + REVIEW_CHUNK_CASES < len(ids):
                yield first_groups(first, ws.cases, thresholds or {}), None
    yield first_groups(first, ws.cases, thresholds or {}), None
    if cancel is not None and cancel.is_set():
        return
    version = scored_version(ws, critic)
    version.verdicts.update(first.verdicts)  # the primary judge's answers, already read
    version.engaged.update(first.engaged)
    rest = case_requests(version, ws.cases, judges=version.judges[1:]) if len(version.judges) > 1 else []
    if score and rest:
        score_versions(critic, [(version, rest)], cancel=cancel, progress=progress)
    elif rest:
        fill_from_cache(version, critic, rest)
    missing: list[str] = []
    items = review_queue(version, thresholds=thresholds, unscored=missing)
    yield items, len(missing)
