"""Label shift: what an edit of the constitution does to the critic's labels.

Both versions are judged by one critic (opened from the head's settings), so the only
thing that differs between the two sides is the constitution itself: wording, links,
cases and the priority order.

What is scored:

* every case linked (at either version) to a principle that was added, removed,
  reworded or relinked, and every case whose own content or links changed;
* when the priority order changed, every case linked to more than one principle,
  because its overall label (decided by the highest-priority linked principle) can move;
* all of each affected case's linked principles, so its overall label can be recomputed,
  under every judge template variant of the critic: a flip is `unstable` when the base
  label already disagreed across variants (the noise floor);
* the head's gold cases and both versions' benign cases under the primary variant, for
  trust (agreement with gold) and the over-refusal rate over all benign cases.

Only what the critic's cache lacks is computed; requests identical on both sides are
scored once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from constitution_studio.core.models import EvalCase
from constitution_studio.core.trust import TrustReport, trust_report
from constitution_studio.core.worddiff import WordOp
from constitution_studio.core.workspace import Workspace

AFFECTING = ("added", "removed", "reworded", "links")
EXCERPT = 240

Progress = Callable[[int, int], None]


# --- result models ---------------------------------------------------------------------


class Side(BaseModel):
    """One version's verdict on one case (overall) or on one (principle, case) pair."""

    probability: float | None = Field(description="P(violates) (single) or P(a preferred) (pair), primary variant.")
    label: str | None
    deciding: str | None = Field(default=None, description="Principle whose verdict decided the overall label.")
    conflict: bool = Field(default=False, description="Linked principles disagreed; the priority order decided.")
    variant_labels: dict[str, str] = Field(default_factory=dict, description="Label under each template variant.")
    stable: bool = Field(default=True, description="All template variants gave the same label.")
    agrees_with_gold: bool | None = None


class PrincipleCaseShift(BaseModel):
    """One principle's own label on one case, under base and head wording."""

    principle_id: str
    case_id: str
    base: Side | None
    head: Side | None
    flipped: bool
    direction: str | None = Field(default=None, description="'<base label>-><head label>' when flipped.")
    stable: bool = Field(description="False when the base label already disagreed across template variants.")
    delta: float | None = Field(default=None, description="head probability - base probability.")


class CaseShift(BaseModel):
    """One affected case: overall label at base and head, flip, gold."""

    case_id: str
    kind: str
    benign: bool
    gold: str | None
    principles_base: list[str]
    principles_head: list[str]
    prompt: str = Field(description="Excerpt of the last user turn.")
    response: str = Field(description="Excerpt of the response (or of a and b for a pair).")
    base: Side | None
    head: Side | None
    flipped: bool
    direction: str | None = None
    stable: bool = True
    gold_regression: bool = Field(default=False, description="Right at base, wrong at head.")
    gold_fix: bool = Field(default=False, description="Wrong at base, right at head.")
    why: list[str] = Field(default_factory=list, description="What brought the case in: principle IDs, case, priority.")


class Stats(BaseModel):
    """Counts and rates for one principle or for the whole shift."""

    scored: int = 0
    flips_stable: dict[str, int] = Field(default_factory=dict, description="Direction -> count.")
    flips_unstable: dict[str, int] = Field(default_factory=dict)
    mean_abs_delta: float | None = None
    max_abs_delta: float | None = None
    gold_n_base: int = 0
    gold_n_head: int = 0
    gold_accuracy_base: float | None = None
    gold_accuracy_head: float | None = None
    gold_regressions: list[str] = Field(default_factory=list)
    gold_fixes: list[str] = Field(default_factory=list)
    benign_n_base: int = 0
    benign_n_head: int = 0
    over_refusal_base: float | None = None
    over_refusal_head: float | None = None
    conflicts_base: int = 0
    conflicts_head: int = 0

    @property
    def n_flips_stable(self) -> int:
        return sum(self.flips_stable.values())

    @property
    def n_flips_unstable(self) -> int:
        return sum(self.flips_unstable.values())

    @property
    def over_refusal_increase(self) -> float | None:
        if self.over_refusal_base is None or self.over_refusal_head is None:
            return None
        return self.over_refusal_head - self.over_refusal_base


class PrincipleShift(BaseModel):
    """A changed principle: its change kinds, rewording, and what it did to its cases."""

    principle_id: str
    title: str
    changes: list[str]
    rank_base: int | None
    rank_head: int | None
    statement_base: str | None
    statement_head: str | None
    words: list[WordOp] = Field(default_factory=list, description="Word diff of the statement when reworded.")
    stats: Stats
    rows: list[PrincipleCaseShift]


class ShiftReport(BaseModel):
    """Everything `shift` and `check` show: per principle, per case, overall, and trust."""

    base: str
    head: str
    critic: dict[str, Any] = Field(description="Model, template set, method, device of the critic used.")
    variants: list[str]
    priority_changed: bool
    principles: list[PrincipleShift]
    cases: list[CaseShift]
    overall: Stats
    trust: TrustReport = Field(description="The critic's agreement with gold at the head.")
    requests: int = Field(description="Distinct (principle wording, case, variant) scores needed.")
    cached: int = Field(description="How many of them the cache already held.")
    model_calls: int = Field(description="Forward passes the critic ran for this report.")


# --- scoring ---------------------------------------------------------------------------


@dataclass
class _SideScores:
    """Scores of one version: (principle, case, variant) -> Score."""

    ws: Workspace
    scores: dict[tuple[str, str, str], Any] = field(default_factory=dict)


def _requests(ws: Workspace, items: Iterable[tuple[str, str, str]]) -> list[Any]:
    from constitution_studio.core.critic import ScoreRequest

    out = []
    for pid, cid, variant in items:
        principle = ws.principles[pid]
        out.append(ScoreRequest(principle_id=pid, statement=principle.statement, case=ws.cases[cid], variant=variant))
    return out


def _wanted(ws: Workspace, cases: Iterable[str], variants: Sequence[str]) -> set[tuple[str, str, str]]:
    out: set[tuple[str, str, str]] = set()
    for cid in cases:
        case = ws.cases.get(cid)
        if case is None:
            continue
        for pid in dict.fromkeys(case.principles):
            if pid in ws.principles:
                out.update((pid, cid, v) for v in variants)
    return out


def _same_request(base: Workspace, head: Workspace, key: tuple[str, str, str]) -> bool:
    pid, cid, _ = key
    if pid not in head.principles or cid not in head.cases:
        return False
    return (
        base.principles[pid].statement == head.principles[pid].statement
        and base.cases[cid].content_hash() == head.cases[cid].content_hash()
    )


def _score_all(
    critic: Any,
    base: _SideScores,
    head: _SideScores,
    want_base: set[tuple[str, str, str]],
    want_head: set[tuple[str, str, str]],
    *,
    cancel: threading.Event | None,
    progress: Progress | None,
) -> tuple[int, int]:
    """Score what both sides need; a request identical on both sides is scored once."""
    only_base = {k for k in want_base if not (k in want_head and _same_request(base.ws, head.ws, k))}
    head_keys = sorted(want_head)
    base_keys = sorted(only_base)
    total = len(head_keys) + len(base_keys)
    done = 0
    cached = 0

    def run(side: _SideScores, keys: list[tuple[str, str, str]]) -> None:
        nonlocal done, cached
        if not keys:
            return
        for score in critic.score(_requests(side.ws, keys), cancel=cancel):
            side.scores[(score.principle_id, score.case_id, score.variant)] = score
            done += 1
            cached += bool(score.cached)
            if progress is not None:
                progress(done, total)

    if progress is not None:
        progress(0, total)
    run(head, head_keys)
    run(base, base_keys)
    for key in want_base - only_base:
        base.scores[key] = head.scores[key]
    return total, cached


# --- labels ----------------------------------------------------------------------------


def _gold_agrees(case: EvalCase, label: str | None) -> bool | None:
    if case.gold is None or label is None:
        return None
    return case.gold == label


def _overall(side: _SideScores, cid: str, variants: Sequence[str]) -> Side | None:
    """The case's overall label at this version, under each variant; None when not scored."""
    from constitution_studio.core.labels import overall_label

    case = side.ws.cases.get(cid)
    if case is None:
        return None
    linked = [pid for pid in dict.fromkeys(case.principles) if pid in side.ws.principles]
    if not linked:
        return None
    per_variant: dict[str, tuple[str | None, str | None, bool]] = {}
    for variant in variants:
        by_pid = {pid: side.scores[(pid, cid, variant)] for pid in linked if (pid, cid, variant) in side.scores}
        if len(by_pid) != len(linked):
            continue
        per_variant[variant] = overall_label(case, by_pid, side.ws.priority)
    if variants[0] not in per_variant:
        return None
    label, deciding, conflict = per_variant[variants[0]]
    probability = side.scores[(deciding, cid, variants[0])].probability if deciding else None
    labels = {v: lab for v, (lab, _, _) in per_variant.items() if lab is not None}
    return Side(
        probability=probability,
        label=label,
        deciding=deciding,
        conflict=bool(conflict),
        variant_labels=labels,
        stable=len(set(labels.values())) <= 1,
        agrees_with_gold=_gold_agrees(case, label),
    )


def _principle_side(side: _SideScores, pid: str, cid: str, variants: Sequence[str]) -> Side | None:
    case = side.ws.cases.get(cid)
    primary = side.scores.get((pid, cid, variants[0]))
    if case is None or primary is None:
        return None
    labels = {v: side.scores[(pid, cid, v)].label for v in variants if (pid, cid, v) in side.scores}
    return Side(
        probability=primary.probability,
        label=primary.label,
        variant_labels=labels,
        stable=len(set(labels.values())) <= 1,
        agrees_with_gold=_gold_agrees(case, primary.label),
    )


def _flip(base: Side | None, head: Side | None) -> tuple[bool, str | None]:
    if base is None or head is None or base.label is None or head.label is None or base.label == head.label:
        return False, None
    return True, f"{base.label}->{head.label}"


# --- aggregation -----------------------------------------------------------------------


def _rate(hits: int, n: int) -> float | None:
    return hits / n if n else None


def _deltas(pairs: Iterable[tuple[Side | None, Side | None]]) -> tuple[float | None, float | None]:
    values = [
        abs(h.probability - b.probability)
        for b, h in pairs
        if b is not None and h is not None and b.probability is not None and h.probability is not None
    ]
    if not values:
        return None, None
    return sum(values) / len(values), max(values)


def _count(flips: dict[str, int], direction: str) -> None:
    flips[direction] = flips.get(direction, 0) + 1


def _is_refused(case: EvalCase, side: Side | None) -> bool | None:
    """Over-refusal counts benign single-response cases labelled `violates`."""
    if side is None or not case.benign or case.kind != "single":
        return None
    return side.label == "violates"


def _gold_stats(
    stats: Stats, sides: Iterable[tuple[EvalCase | None, Side | None, EvalCase | None, Side | None]]
) -> None:
    right = {"base": 0, "head": 0}
    for case_b, base, case_h, head in sides:
        if case_b is not None and base is not None and base.agrees_with_gold is not None:
            stats.gold_n_base += 1
            right["base"] += bool(base.agrees_with_gold)
        if case_h is not None and head is not None and head.agrees_with_gold is not None:
            stats.gold_n_head += 1
            right["head"] += bool(head.agrees_with_gold)
    stats.gold_accuracy_base = _rate(right["base"], stats.gold_n_base)
    stats.gold_accuracy_head = _rate(right["head"], stats.gold_n_head)


def _benign_stats(
    stats: Stats, sides: Iterable[tuple[EvalCase | None, Side | None, EvalCase | None, Side | None]]
) -> None:
    refused = {"base": 0, "head": 0}
    for case_b, base, case_h, head in sides:
        rb = _is_refused(case_b, base) if case_b is not None else None
        rh = _is_refused(case_h, head) if case_h is not None else None
        if rb is not None:
            stats.benign_n_base += 1
            refused["base"] += rb
        if rh is not None:
            stats.benign_n_head += 1
            refused["head"] += rh
    stats.over_refusal_base = _rate(refused["base"], stats.benign_n_base)
    stats.over_refusal_head = _rate(refused["head"], stats.benign_n_head)


# --- the analysis ----------------------------------------------------------------------


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _case_text(case: EvalCase) -> tuple[str, str]:
    prompt = _excerpt(case.turns[-1].content)
    if case.kind == "single":
        return prompt, _excerpt(case.response or "")
    return prompt, f"A: {_excerpt(case.a or '', EXCERPT // 2)} | B: {_excerpt(case.b or '', EXCERPT // 2)}"


def affected_cases(
    base: Workspace, head: Workspace, diff: Any, only: set[str] | None = None
) -> tuple[list[str], dict[str, list[str]]]:
    """Principles whose wording/links/existence changed, and the cases to score with why each is in."""
    changed = [pc.id for pc in diff.principles if set(pc.changes) & {*AFFECTING, "moved"}]
    if only is not None:
        changed = [pid for pid in changed if pid in only]
    own = {pc.id for pc in diff.principles if set(pc.changes) & set(AFFECTING)}
    why: dict[str, list[str]] = {}

    def add(cid: str, reason: str) -> None:
        reasons = why.setdefault(cid, [])
        if reason not in reasons:
            reasons.append(reason)

    for pid in changed:
        if pid not in own:
            continue  # a pure move changes no label of its own; the priority rule below covers it
        for ws in (base, head):
            for cid in ws.links.get(pid, []):
                add(cid, pid)
    for cc in diff.cases:
        case = head.cases.get(cc.id) or base.cases.get(cc.id)
        if case is None:
            continue
        linked = set(base.cases[cc.id].principles if cc.id in base.cases else []) | set(case.principles)
        if only is None or linked & only:
            add(cc.id, "case")
    if diff.priority_changed:
        for ws in (base, head):
            for cid, case in ws.cases.items():
                pids = set(case.principles)
                if len(pids) > 1 and (only is None or pids & only):
                    add(cid, "priority")
    return changed, why


def analyze_shift(
    base: Workspace,
    head: Workspace,
    diff: Any,
    critic: Any,
    *,
    principles: Sequence[str] | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> ShiftReport:
    """Score what the change between `base` and `head` can move, and summarise the shift."""
    only = set(principles) if principles else None
    variants = list(critic.variants)
    primary = variants[:1]
    changed, why = affected_cases(base, head, diff, only)
    case_ids = sorted(why)

    context_head = [cid for cid, c in head.cases.items() if c.gold is not None or c.benign]
    context_base = [cid for cid, c in base.cases.items() if c.benign]
    want_head = _wanted(head, case_ids, variants) | _wanted(head, context_head, primary)
    want_base = _wanted(base, case_ids, variants) | _wanted(base, context_base, primary)

    b, h = _SideScores(base), _SideScores(head)
    calls_before = int(getattr(critic, "model_calls", 0))
    total, cached = _score_all(critic, b, h, want_base, want_head, cancel=cancel, progress=progress)

    # per case
    cases: list[CaseShift] = []
    for cid in case_ids:
        case_b, case_h = base.cases.get(cid), head.cases.get(cid)
        case = case_h or case_b
        assert case is not None
        sb, sh = _overall(b, cid, variants), _overall(h, cid, variants)
        flipped, direction = _flip(sb, sh)
        prompt, response = _case_text(case)
        regression = bool(sb and sh and sb.agrees_with_gold is True and sh.agrees_with_gold is False)
        fix = bool(sb and sh and sb.agrees_with_gold is False and sh.agrees_with_gold is True)
        cases.append(
            CaseShift(
                case_id=cid,
                kind=case.kind,
                benign=case.benign,
                gold=case.gold,
                principles_base=list(case_b.principles) if case_b else [],
                principles_head=list(case_h.principles) if case_h else [],
                prompt=prompt,
                response=response,
                base=sb,
                head=sh,
                flipped=flipped,
                direction=direction,
                stable=sb.stable if sb else True,
                gold_regression=regression,
                gold_fix=fix,
                why=why[cid],
            )
        )

    # per changed principle (and any other principle whose own label flipped)
    by_case = {c.case_id: c for c in cases}
    diff_by_id = {pc.id: pc for pc in diff.principles}
    candidates = list(dict.fromkeys(changed + [pid for cid in case_ids for pid in _linked_both(base, head, cid)]))
    principle_shifts: list[PrincipleShift] = []
    for pid in candidates:
        if only is not None and pid not in only:
            continue
        rows = _principle_rows(b, h, pid, case_ids, variants)
        if pid not in changed and not any(r.flipped for r in rows):
            continue
        stats = _principle_stats(rows, base, head, by_case, pid)
        pc = diff_by_id.get(pid)
        p = head.principles.get(pid) or base.principles.get(pid)
        principle_shifts.append(
            PrincipleShift(
                principle_id=pid,
                title=p.title if p else pid,
                changes=list(pc.changes) if pc else ["cases"],
                rank_base=base.rank(pid),
                rank_head=head.rank(pid),
                statement_base=base.principles[pid].statement if pid in base.principles else None,
                statement_head=head.principles[pid].statement if pid in head.principles else None,
                words=list(pc.words) if pc else [],
                stats=stats,
                rows=rows,
            )
        )
    principle_shifts.sort(key=lambda ps: (_rank_key(ps.rank_head, ps.rank_base), ps.principle_id))

    overall = _overall_stats(cases, b, h, variants)
    trust = trust_report(
        head,
        {(k[0], k[1]): v for k, v in h.scores.items() if k[2] == variants[0]},
        seed=0,
    )
    info = getattr(critic, "info", None)
    critic_info: dict[str, Any] = info.model_dump(mode="json") if info is not None else {}
    return ShiftReport(
        base=base.label,
        head=head.label,
        critic=critic_info,
        variants=variants,
        priority_changed=bool(diff.priority_changed),
        principles=principle_shifts,
        cases=cases,
        overall=overall,
        trust=trust,
        requests=total,
        cached=cached,
        model_calls=int(getattr(critic, "model_calls", 0)) - calls_before,
    )


def _rank_key(rank_head: int | None, rank_base: int | None) -> tuple[int, int]:
    big = 10**9
    return (rank_head if rank_head is not None else big, rank_base if rank_base is not None else big)


def _linked_both(base: Workspace, head: Workspace, cid: str) -> list[str]:
    out: list[str] = []
    for ws in (head, base):
        case = ws.cases.get(cid)
        if case is not None:
            out += [pid for pid in case.principles if pid in ws.principles]
    return list(dict.fromkeys(out))


def _principle_rows(
    b: _SideScores, h: _SideScores, pid: str, case_ids: list[str], variants: Sequence[str]
) -> list[PrincipleCaseShift]:
    rows = []
    for cid in case_ids:
        if pid not in _linked_both(b.ws, h.ws, cid):
            continue
        sb, sh = _principle_side(b, pid, cid, variants), _principle_side(h, pid, cid, variants)
        if sb is None and sh is None:
            continue
        flipped, direction = _flip(sb, sh)
        delta = None
        if sb is not None and sh is not None and sb.probability is not None and sh.probability is not None:
            delta = sh.probability - sb.probability
        rows.append(
            PrincipleCaseShift(
                principle_id=pid,
                case_id=cid,
                base=sb,
                head=sh,
                flipped=flipped,
                direction=direction,
                stable=sb.stable if sb else True,
                delta=delta,
            )
        )
    return rows


def _deciding_sides(ws: Workspace, cases: dict[str, CaseShift], pid: str, side: str) -> list[tuple[str, Side]]:
    """Cases whose overall label this principle decided at that version (its gold share)."""
    out: list[tuple[str, Side]] = []
    for cid, cs in cases.items():
        s = cs.base if side == "base" else cs.head
        if s is not None and s.deciding == pid and cid in ws.cases:
            out.append((cid, s))
    return out


def _principle_stats(
    rows: list[PrincipleCaseShift], base: Workspace, head: Workspace, cases: dict[str, CaseShift], pid: str
) -> Stats:
    stats = Stats(scored=len(rows))
    for r in rows:
        if r.flipped and r.direction:
            _count(stats.flips_stable if r.stable else stats.flips_unstable, r.direction)
    stats.mean_abs_delta, stats.max_abs_delta = _deltas((r.base, r.head) for r in rows)
    # Gold is a verdict on the case as a whole, so a principle answers for the gold cases it decides.
    right_b = [
        s.agrees_with_gold for _, s in _deciding_sides(base, cases, pid, "base") if s.agrees_with_gold is not None
    ]
    right_h = [
        s.agrees_with_gold for _, s in _deciding_sides(head, cases, pid, "head") if s.agrees_with_gold is not None
    ]
    stats.gold_n_base, stats.gold_n_head = len(right_b), len(right_h)
    stats.gold_accuracy_base = _rate(sum(right_b), len(right_b))
    stats.gold_accuracy_head = _rate(sum(right_h), len(right_h))
    for r in rows:
        cs = cases.get(r.case_id)
        if cs is None:
            continue
        if cs.gold_regression:
            stats.gold_regressions.append(r.case_id)
        if cs.gold_fix:
            stats.gold_fixes.append(r.case_id)
        # a conflict "resolved by" this principle: linked principles disagreed and it won on priority
        stats.conflicts_base += bool(cs.base and cs.base.conflict and cs.base.deciding == pid)
        stats.conflicts_head += bool(cs.head and cs.head.conflict and cs.head.deciding == pid)
    _benign_stats(
        stats,
        ((base.cases.get(r.case_id), r.base, head.cases.get(r.case_id), r.head) for r in rows),
    )
    return stats


def _overall_stats(cases: list[CaseShift], b: _SideScores, h: _SideScores, variants: Sequence[str]) -> Stats:
    stats = Stats(scored=len(cases))
    for cs in cases:
        if cs.flipped and cs.direction:
            _count(stats.flips_stable if cs.stable else stats.flips_unstable, cs.direction)
        if cs.gold_regression:
            stats.gold_regressions.append(cs.case_id)
        if cs.gold_fix:
            stats.gold_fixes.append(cs.case_id)
        stats.conflicts_base += bool(cs.base and cs.base.conflict)
        stats.conflicts_head += bool(cs.head and cs.head.conflict)
    stats.mean_abs_delta, stats.max_abs_delta = _deltas((c.base, c.head) for c in cases)
    _gold_stats(stats, ((b.ws.cases.get(c.case_id), c.base, h.ws.cases.get(c.case_id), c.head) for c in cases))
    # Over-refusal is a rate over every benign case of each version, not only the affected ones.
    benign = sorted({cid for ws in (b.ws, h.ws) for cid, c in ws.cases.items() if c.benign})
    _benign_stats(
        stats,
        (
            (b.ws.cases.get(cid), _overall(b, cid, variants[:1]), h.ws.cases.get(cid), _overall(h, cid, variants[:1]))
            for cid in benign
        ),
    )
    return stats
