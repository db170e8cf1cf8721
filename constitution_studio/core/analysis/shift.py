"""Label shift: what an edit of the constitution does to the critic's verdicts.

Selection (selection.py) picks the cases an edit can move; scoring (scoring.py) asks the
critic for every deciding-eligible principle of those cases under every judge variant, on
both sides, and for the version-wide figures the gold and benign cases under the primary
judge; this module assembles the per-case and per-principle shift from the two
`ScoredVersion`s, whose `verdict()` is the only place a verdict is formed.

Both versions are judged by the one critic the caller opens (for a pull request, the base's:
analysis/gate.py), so the only thing that differs between the two sides is the constitution.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from constitution_studio.core.analysis.aggregate import case_shift_flags, flip, overall_stats, principle_stats
from constitution_studio.core.analysis.answer_key import AnswerKey, AnswerKeyReport, answer_key
from constitution_studio.core.analysis.judging import anchor, hold_calibration, member_judges, members_disagree
from constitution_studio.core.analysis.scored import ScoredVersion, flip_is_stable
from constitution_studio.core.analysis.scoring import (
    ScoringRun,
    case_requests,
    fill_from_cache,
    paused_gc,
    score_versions,
)
from constitution_studio.core.analysis.selection import affected_cases, context_cases, linked_both
from constitution_studio.core.analysis.shift_models import (
    CaseShift,
    LocaleShift,
    PrincipleCaseShift,
    PrincipleShift,
    ShiftReport,
)
from constitution_studio.core.analysis.trust import trust_report
from constitution_studio.core.conversation import last_user_text, turn_excerpts
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.diff import ConstitutionDiff
from constitution_studio.core.models import EvalCase
from constitution_studio.core.wording import plural
from constitution_studio.core.workspace import Workspace

EXCERPT = 240

Progress = Callable[[int, int], None]


def scored_version(
    ws: Workspace,
    critic: Judge,
    *,
    locale: str | None = None,
    demonstrations: dict[str, set[str]] | None = None,
    key: AnswerKey | None = None,
) -> ScoredVersion:
    """An empty ScoredVersion for this critic's judges and engagement setting (and a locale);
    `key`: the answer key it is judged against (a head's: the base's, answer_key.py)."""
    return ScoredVersion(
        ws=ws,
        judges=list(critic.variants),
        engagement=critic.settings.engagement != "off",
        locale=locale,
        demonstrations=dict(demonstrations or {}),
        key=key,
    )


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _case_text(case: EvalCase) -> tuple[str, str]:
    prompt = _excerpt(last_user_text(case.turns))
    if case.kind == "single":
        return prompt, _excerpt(case.response or "")
    return prompt, f"A: {_excerpt(case.a or '', EXCERPT // 2)} | B: {_excerpt(case.b or '', EXCERPT // 2)}"


def analyze_shift(
    base: Workspace,
    head: Workspace,
    diff: ConstitutionDiff,
    critic: Judge,
    *,
    principles: Sequence[str] | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    with_trust: bool = True,
    locale: str | None = None,
    locales: Sequence[str] = (),
) -> ShiftReport:
    """Score what the change between `base` and `head` can move, and summarise the shift.

    `principles` scopes the run to those principles' cases: only what their verdicts need is
    scored; the version-wide figures (trust over all gold, over-refusal over every benign case)
    come from the score cache and `report.partial` says how far they reach.
    `with_trust` False: no trust figures (see `assemble_shift`), so no gold context cases are scored.
    `locale`: the judge reads statement + that locale's addendum throughout. `locales`: the
    same shift is also reported per locale (`ShiftReport.locales`); a wording identical in
    two locales is scored once. With method `anchored` the demonstrations come from the base.
    """
    with paused_gc():  # building requests and reports: no collector passes over 100,000s of objects
        only = set(principles) if principles else None
        shown = anchor(critic, base)
        sides = [(locale, None)] + [(loc, loc) for loc in locales if loc != locale]
        held = hold_calibration(critic, base, head, [loc for loc, _ in sides])
        key = answer_key(base, head)  # the head is judged against the base's gold and benign flags
        pairs = [
            (
                scored_version(base, critic, locale=loc, demonstrations=shown),
                scored_version(head, critic, locale=loc, demonstrations=shown, key=key),
            )
            for loc, _ in sides
        ]
        changed, why = affected_cases(base, head, diff, only)
        wants: list[tuple[ScoredVersion, Sequence[ScoreRequest]]] = []
        from_cache: list[tuple[ScoredVersion, Sequence[ScoreRequest]]] = []
        for b_loc, h_loc in pairs:
            want_h, want_b = shift_requests(b_loc, h_loc, sorted(why), critic, with_trust=with_trust, context=not only)
            wants += [(h_loc, want_h), (b_loc, want_b)]
            if only:  # scoped: the version-wide figures read what the cache holds, nothing more
                ctx_h, ctx_b = context_requests(b_loc, h_loc, critic, with_trust=with_trust)
                from_cache += [(h_loc, ctx_h), (b_loc, ctx_b)]
    run = score_versions(critic, wants, cancel=cancel, progress=progress)
    with paused_gc():
        for version, requests in from_cache:
            fill_from_cache(version, critic, requests)
        warnings = list(critic.warnings)
        note = "calibration of {} (fitted for the base wording) labels both sides of its edit"
        warnings += [note.format(pid) for pid in held]
        info = critic_info(critic)
        (b, h), rest = pairs[0], pairs[1:]
        report = assemble_shift(
            b, h, diff, changed, why, info, only=only, run=run, warnings=warnings, with_trust=with_trust
        )
        if only:
            report.scope = sorted(only)
            report.partial = scoped_notes(report, h, report.scope, with_trust=with_trust)
        for (_, name), (b_loc, h_loc) in zip(sides[1:], rest, strict=True):
            sub = assemble_shift(b_loc, h_loc, diff, changed, why, info, only=only, with_trust=with_trust)
            report.locales.append(
                LocaleShift(
                    locale=str(name),
                    principles=sub.principles,
                    cases=sub.cases,
                    overall=sub.overall,
                    trust=sub.trust,
                    incomplete=sub.incomplete,
                    undecided=sub.undecided,
                    disputed=sub.disputed,
                )
            )
    return report


def shift_requests(
    b: ScoredVersion,
    h: ScoredVersion,
    case_ids: Sequence[str],
    critic: Judge,
    *,
    with_trust: bool = True,
    context: bool = True,
) -> tuple[list[ScoreRequest], list[ScoreRequest]]:
    """(head, base) requests a shift needs: the affected cases under every judge, and the gold
    (trust, unless `with_trust` is False) and benign (over-refusal) cases under the primary
    judge (`context` False: the affected cases only, the studio's first paint). The studio's
    impact view reads the same list from the cache before scoring."""
    want_h, want_b = case_requests(h, case_ids), case_requests(b, case_ids)
    if context:
        ctx_h, ctx_b = context_requests(b, h, critic, with_trust=with_trust)
        want_h += ctx_h
        want_b += ctx_b
    return want_h, want_b


def context_requests(
    b: ScoredVersion, h: ScoredVersion, critic: Judge, *, with_trust: bool = True
) -> tuple[list[ScoreRequest], list[ScoreRequest]]:
    """(head, base) requests of the version-wide figures under the primary judge: every gold case
    at the head (trust, unless `with_trust` is False) and every benign case (over-refusal)."""
    primary = [critic.variants[0]]
    return (
        case_requests(h, context_cases(h.ws, gold=with_trust, key=h.key), primary),
        case_requests(b, context_cases(b.ws, gold=False), primary),
    )


def scoped_notes(report: ShiftReport, h: ScoredVersion, scope: Sequence[str], *, with_trust: bool) -> list[str]:
    """What a run scoped to `scope` (--principle) says about the figures that need more than its
    cases: over-refusal over every benign case, trust over every gold case. Nothing when the
    scope's own cases are all there is."""
    who = ", ".join(scope)
    scored = {c.case_id for c in report.cases}
    notes: list[str] = []
    benign = [cid for cid in context_cases(h.ws, gold=False, key=h.key) if cid in h.ws.cases]
    outside = len([cid for cid in benign if cid not in scored])
    known = report.overall.benign_n_head
    if outside and known < len(benign):
        notes.append(
            f"over-refusal is partial: over {known} of {plural(len(benign), 'benign case')}; --principle {who} "
            f"scores only what its cases need, the other {outside} {_come(outside)} from the score cache, which lacks "
            f"{len(benign) - known} (run without --principle to score them)"
        )
    elif outside:
        notes.append(
            f"over-refusal over all {plural(len(benign), 'benign case')}: the {outside} {who} does not touch "
            f"{_come(outside)} from the score cache"
        )
    t = report.trust
    gold = [cid for cid, c in h.ws.cases.items() if c.has_gold or (h.key is not None and h.key.has_gold(cid))]
    outside = len([cid for cid in gold if cid not in scored])
    if with_trust and outside and t.unscored:
        notes.append(
            f"trust is partial: over {t.gold_cases - t.unscored} of {plural(t.gold_cases, 'gold case')}; the other "
            f"{outside} {_come(outside)} from the score cache, which lacks {t.unscored} "
            "(run without --principle to score them)"
        )
    elif with_trust and outside:
        notes.append(
            f"trust over all {plural(t.gold_cases, 'gold case')}: the {outside} {who} does not touch "
            f"{_come(outside)} from the score cache"
        )
    return notes


def _come(n: int) -> str:
    return "comes" if n == 1 else "come"


def critic_info(critic: Judge) -> dict[str, Any]:
    """The judge's info as a report's `critic` object."""
    return critic.info.model_dump(mode="json")


def assemble_shift(
    b: ScoredVersion,
    h: ScoredVersion,
    diff: ConstitutionDiff,
    changed: list[str],
    why: dict[str, list[str]],
    critic: dict[str, Any],
    *,
    only: set[str] | None = None,
    run: ScoringRun | None = None,
    warnings: Sequence[str] = (),
    with_trust: bool = True,
    whole_head: Workspace | None = None,
) -> ShiftReport:
    """The shift report from two scored versions (used by `shift`, `check` and the studio).

    `with_trust` False leaves `trust` unmeasured (n 0, level unknown): the studio's impact view,
    which shows gold agreement from the stats, skips the bootstrap and the gold context cases.
    Its gold-case counts are still the whole head's under the base's answer key (`whole_head`:
    the head before a caller narrowed it to the affected cases).
    """
    base, head = b.ws, h.ws
    case_ids = sorted(why)
    cases: list[CaseShift] = []
    incomplete: list[str] = []
    undecided: list[str] = []
    members = member_judges(h.judges)
    for cid in case_ids:
        case_b, case_h = base.cases.get(cid), head.cases.get(cid)
        case = case_h or case_b
        assert case is not None
        vb, vh = b.verdict(cid), h.verdict(cid)
        if any(v is not None and v.missing for v in (vb, vh)):
            incomplete.append(cid)
        elif any(v is not None and not v.complete for v in (vb, vh)):
            undecided.append(cid)  # every linked principle deprecated (or gone) on that side
        prompt, response = _case_text(case)
        side = h if case_h is not None else b  # the head's answer key is the base's (answer_key.py)
        gold = side.gold(cid)
        flags = case_shift_flags(vb, vh)
        disputed = bool(flags["flipped"]) and (members_disagree(vb, members) or members_disagree(vh, members))
        cases.append(
            CaseShift(
                case_id=cid,
                kind=case.kind,
                benign=side.benign(cid),
                gold=gold,
                gold_by_principle=side.gold_by_principle(cid),
                principles_base=list(case_b.principles) if case_b else [],
                principles_head=list(case_h.principles) if case_h else [],
                prompt=prompt,
                turns=turn_excerpts(case.turns),
                response=response,
                base=vb,
                head=vh,
                why=why[cid],
                disputed=disputed,
                **flags,  # type: ignore[arg-type]
            )
        )

    by_case = {c.case_id: c for c in cases}
    diff_by_id = {pc.id: pc for pc in diff.principles}
    candidates = list(dict.fromkeys(changed + [pid for cid in case_ids for pid in linked_both(base, head, cid)]))
    principle_shifts: list[PrincipleShift] = []
    for pid in candidates:
        if only is not None and pid not in only:
            continue
        rows = _principle_rows(b, h, pid, case_ids)
        if pid not in changed and not any(r.flipped for r in rows):
            continue
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
                stats=principle_stats(pid, rows, by_case, b, h),
                rows=rows,
            )
        )
    principle_shifts.sort(key=lambda ps: (_rank_key(ps.rank_head, ps.rank_base), ps.principle_id))
    return ShiftReport(
        base=base.label,
        head=head.label,
        critic=critic,
        engagement=h.engagement,
        variants=list(h.judges),
        priority_changed=bool(diff.priority_changed),
        principles=principle_shifts,
        cases=cases,
        overall=overall_stats(cases, b, h),
        answer_key=answer_key_report(h),
        trust=trust_report(
            h if with_trust else ScoredVersion(ws=whole_head or head, judges=list(h.judges), key=h.key),
            seed=0,
            excluded=h.demonstrations,
            principles=[ps.principle_id for ps in principle_shifts],
        ),
        incomplete=incomplete,
        undecided=undecided,
        disputed=[c.case_id for c in cases if c.disputed],
        locale=h.locale,
        cancelled=bool(run.cancelled) if run is not None else False,
        requests=run.requests if run is not None else 0,
        cached=run.cached if run is not None else 0,
        model_calls=run.model_calls if run is not None else 0,
        warnings=list(warnings),
    )


def answer_key_report(h: ScoredVersion) -> AnswerKeyReport:
    """The head's answer-key changes, and its additions with the head's verdicts on them (shown apart)."""
    if h.key is None:
        return AnswerKeyReport()
    key = h.key
    added = []
    right = gold_n = refused = benign_n = 0
    for a in key.report.added:
        v = h.verdict(a.case_id, [h.primary]) if a.case_id in h.ws.cases else None
        label = v.label if v is not None else None
        agrees = None if a.gold is None or label is None else a.gold == label
        added.append(a.model_copy(update={"head_label": label, "agrees_with_gold": agrees}))
        if agrees is not None:
            gold_n += 1
            right += agrees
        if a.benign and label is not None and h.ws.cases[a.case_id].kind == "single":
            benign_n += 1
            refused += label == "violates"
    return key.report.model_copy(
        update={
            "added": added,
            "added_gold_accuracy": right / gold_n if gold_n else None,
            "added_over_refusal": refused / benign_n if benign_n else None,
        }
    )


def _rank_key(rank_head: int | None, rank_base: int | None) -> tuple[int, int]:
    big = 10**9
    return (rank_head if rank_head is not None else big, rank_base if rank_base is not None else big)


def _principle_rows(b: ScoredVersion, h: ScoredVersion, pid: str, case_ids: list[str]) -> list[PrincipleCaseShift]:
    rows = []
    for cid in case_ids:
        if pid not in linked_both(b.ws, h.ws, cid):
            continue
        vb, vh = b.principle_verdict(pid, cid), h.principle_verdict(pid, cid)
        if vb is None and vh is None:
            continue
        flipped, direction = flip(vb, vh)
        delta = None
        if vb is not None and vh is not None and vb.probability is not None and vh.probability is not None:
            delta = vh.probability - vb.probability
        rows.append(
            PrincipleCaseShift(
                principle_id=pid,
                case_id=cid,
                base=vb,
                head=vh,
                flipped=flipped,
                direction=direction,
                stable=flip_is_stable(vb, vh),
                delta=delta,
            )
        )
    return rows
