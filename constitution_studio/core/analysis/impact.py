"""The studio's impact view, in core: the constitution-wide shift under unsaved edits.

The view shows a `ShiftReport` built by `assemble_shift` (the code `cstudio shift` uses) from
two `ScoredVersion`s. `cached_shift` fills them from the critic's cache only (what is already
known, never loading the model). "Run all" follows `plan_impact`: only what the affected cases'
verdicts need is scored, in groups, the edited principles' own labels first (the author sees
them in seconds), then the other linked principles, engagement and the other judge variants
(the noise band), each group with its count and reason. The version-wide over-refusal reads
the other benign cases from the cache (an edit cannot move a case it does not affect), and the
report says how far it reaches. Sorting and filtering are pure functions over the report's
cases, so they are tested and benchmarked here.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from constitution_studio.core.analysis.answer_key import answer_key
from constitution_studio.core.analysis.judging import anchor, hold_calibration
from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.scoring import (
    Progress,
    ScoringRun,
    distinct_answers,
    fill_lacking,
    paused_gc,
    score_versions,
)
from constitution_studio.core.analysis.selection import affected_cases, context_cases
from constitution_studio.core.analysis.shift import (
    assemble_shift,
    context_requests,
    critic_info,
    scored_version,
    shift_requests,
)
from constitution_studio.core.analysis.shift_models import CaseShift, ShiftReport
from constitution_studio.core.critic.anchored import localized_statement
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.diff import ConstitutionDiff
from constitution_studio.core.wording import plural
from constitution_studio.core.workspace import Workspace

SORTS = ("change", "uncertainty", "gold")
SORT_TITLES = {"change": "biggest change", "uncertainty": "least certain", "gold": "disagrees with gold"}


def cached_shift(
    base: Workspace,
    head: Workspace,
    diff: ConstitutionDiff,
    critic: Judge,
    *,
    principles: Sequence[str] | None = None,
    context: bool = True,
) -> ShiftReport:
    """The shift from what the critic's cache already holds (the same requests `analyze_shift` makes).

    `context` False reads only the affected cases (per-case and per-principle figures, fast on a
    large constitution); the version-wide over-refusal then covers only those cases, so a
    caller shows it as pending until the full report arrives.

    Cases whose verdict needs an answer the cache lacks are listed in `report.incomplete`. The
    critic's trust is left unmeasured (the view shows gold agreement from the stats; the main
    screen's header has the trust level), which spares the bootstrap and the gold context cases.
    """
    only = set(principles) if principles else None
    changed, why = affected_cases(base, head, diff, only)
    key = answer_key(base, head)  # over the whole versions, as `cstudio shift` has it
    whole_head = head
    if not context:
        # Only the affected cases are read, so the others have no verdicts: leaving them out
        # changes no figure, and spares assemble_shift a verdict attempt per gold and benign
        # case of both versions (0.8 s of 1 s at 50,000 cases, docs/performance.md).
        base, head = only_cases(base, why), only_cases(head, why)
    b, h = scored_version(base, critic), scored_version(head, critic, key=key)
    want_h, want_b = shift_requests(b, h, sorted(why), critic, with_trust=False, context=False)
    lacking = fill_lacking(h, critic, want_h) + fill_lacking(b, critic, want_b)
    if context:  # read, never scored by Run all: an edit moves no case it does not affect
        ctx_h, ctx_b = context_requests(b, h, critic, with_trust=False)
        fill_lacking(h, critic, ctx_h)
        fill_lacking(b, critic, ctx_b)
    total = len(want_h) + len(want_b)
    run = ScoringRun(requests=total, cached=total - distinct_answers(critic, lacking), model_calls=0, cancelled=False)
    warnings = list(critic.warnings)
    report = assemble_shift(
        b,
        h,
        diff,
        changed,
        why,
        critic_info(critic),
        only=only,
        run=run,
        warnings=warnings,
        with_trust=False,
        whole_head=whole_head,
    )
    if context:
        report.partial = over_refusal_note(report, h)
    return report


def over_refusal_note(report: ShiftReport, h: ScoredVersion) -> list[str]:
    """The impact view's over-refusal reads the benign cases an edit does not affect from the cache:
    one line when that leaves some out ([] when every benign case has a verdict)."""
    benign = len([cid for cid in context_cases(h.ws, gold=False, key=h.key) if cid in h.ws.cases])
    known = report.overall.benign_n_head
    if not benign or known >= benign:
        return []
    # short: the studio's summary line at 80 columns says it (the rest are unaffected: `cstudio eval` scores them)
    return [f"over-refusal over {known} of {plural(benign, 'benign case')}"]


# --- Run all: what the affected cases need, the edited principles' own labels first --------


@dataclass(frozen=True)
class ImpactStep:
    """One group of Run all: the requests it scores, how many answers that is, and why."""

    title: str  # short, for the progress line: "HARM-02's labels"
    reason: str
    wants: list[tuple[ScoredVersion, list[ScoreRequest]]]
    answers: int  # distinct critic answers the cache lacks: what scoring this group asks


@dataclass
class ImpactPlan:
    """Both versions as the view reads them, and the groups Run all scores, in order."""

    base: Workspace
    head: Workspace
    diff: ConstitutionDiff
    b: ScoredVersion
    h: ScoredVersion
    changed: list[str]
    why: dict[str, list[str]]
    steps: list[ImpactStep]
    critic: dict[str, Any]
    warnings: list[str]
    requests: int  # every request the affected cases need (cached or not)
    runs: list[ScoringRun] = dataclasses.field(default_factory=list)

    @property
    def answers(self) -> int:
        return sum(step.answers for step in self.steps)

    def report(self) -> ShiftReport:
        """The shift as far as it is scored now (after any step, or during one)."""
        runs = self.runs
        run = ScoringRun(
            requests=self.requests,
            cached=self.requests - self.answers,
            model_calls=sum(r.model_calls for r in runs),
            cancelled=any(r.cancelled for r in runs),
        )
        with paused_gc():
            report = assemble_shift(
                self.b,
                self.h,
                self.diff,
                self.changed,
                self.why,
                self.critic,
                run=run,
                warnings=self.warnings,
                with_trust=False,
            )
        report.partial = over_refusal_note(report, self.h)
        return report


def edited_principles(base: Workspace, head: Workspace, locale: str | None = None) -> list[str]:
    """Principles whose wording (as the judge reads it) differs, or that are new at the head."""
    out = []
    for pid, p in head.principles.items():
        old = base.principles.get(pid)
        if old is None or localized_statement(old, locale) != localized_statement(p, locale):
            out.append(pid)
    return out


def plan_impact(base: Workspace, head: Workspace, diff: ConstitutionDiff, critic: Judge) -> ImpactPlan:
    """What Run all scores for the edits between `base` and `head`, in groups (see the module doc).

    What the cache holds is filled in at once (never loading the model); each group lists only
    what it lacks. Every group together is exactly what the affected cases' verdicts need."""
    with paused_gc():
        shown = anchor(critic, base)
        held = hold_calibration(critic, base, head)
        key = answer_key(base, head)
        b = scored_version(base, critic, demonstrations=shown)
        h = scored_version(head, critic, demonstrations=shown, key=key)
        changed, why = affected_cases(base, head, diff)
        want_h, want_b = shift_requests(b, h, sorted(why), critic, with_trust=False, context=False)
        lacking = {"head": fill_lacking(h, critic, want_h), "base": fill_lacking(b, critic, want_b)}
        ctx_h, ctx_b = context_requests(b, h, critic, with_trust=False)
        fill_lacking(h, critic, ctx_h)  # over-refusal of the cases no edit moves: as the cache has it
        fill_lacking(b, critic, ctx_b)
        edited = set(edited_principles(base, head))
        primary = h.primary
        groups: dict[str, dict[str, list[ScoreRequest]]] = {}
        for side, reqs in lacking.items():
            for req in reqs:
                if req.variant != primary:
                    group = "variants"
                elif req.question == "engagement":
                    group = "engagement"
                else:
                    group = "edited" if req.principle_id in edited else "others"
                groups.setdefault(group, {}).setdefault(side, []).append(req)
        names = sorted(edited & {r.principle_id for r in groups.get("edited", {}).get("head", [])})
        who = ", ".join(names) or "the edited principles"
        n_cases = len({cid for cid in why})
        text = {
            "edited": (f"{who}'s labels", f"{who}'s own labels on its linked cases, edited and saved wording"),
            "others": (
                "other principles",
                f"the other principles linked to the {plural(n_cases, 'affected case')}: who decides",
            ),
            "engagement": ("engagement", "engagement: does each linked principle bear on the case"),
            "variants": ("judge variants", "the other judge variant(s): the noise band that says if a flip is stable"),
        }
        steps = []
        for group in ("edited", "others", "engagement", "variants"):
            sides = groups.get(group)
            if not sides:
                continue
            wants = [(h, sides.get("head", [])), (b, sides.get("base", []))]
            wants = [(v, reqs) for v, reqs in wants if reqs]
            answers = distinct_answers(critic, [r for _, reqs in wants for r in reqs])
            title, reason = text[group]
            steps.append(ImpactStep(title=title, reason=reason, wants=wants, answers=answers))
        warnings = list(critic.warnings)
        note = "calibration of {} (fitted for the base wording) labels both sides of its edit"
        warnings += [note.format(pid) for pid in held]
        return ImpactPlan(
            base=base,
            head=head,
            diff=diff,
            b=b,
            h=h,
            changed=changed,
            why=why,
            steps=steps,
            critic=critic_info(critic),
            warnings=warnings,
            requests=len(want_h) + len(want_b),
        )


def score_step(
    critic: Judge,
    step: ImpactStep,
    plan: ImpactPlan | None = None,
    *,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> ScoringRun:
    """Score one group of Run all (what finishes is kept and cached); recorded on `plan`."""
    run = score_versions(critic, step.wants, cancel=cancel, progress=progress)
    if plan is not None:
        plan.runs.append(run)
    return run


def only_cases(ws: Workspace, case_ids: Iterable[str]) -> Workspace:
    """A view of `ws` with only these cases (principles, order and labels shared, nothing copied deeply)."""
    keep = [cid for cid in case_ids if cid in ws.cases]
    return dataclasses.replace(
        ws,
        cases={cid: ws.cases[cid] for cid in keep},
        case_paths={cid: ws.case_paths[cid] for cid in keep if cid in ws.case_paths},
        case_indexes={cid: ws.case_indexes[cid] for cid in keep if cid in ws.case_indexes},
        _links=None,
        _locators={},
    )


def missing_requests(report: ShiftReport) -> int:
    """Answers the cache did not have when `report` was assembled by `cached_shift`.

    Distinct answers (a request both versions make, or two cases with the same content, count
    once) of the affected cases: exactly what "Run all" (`plan_impact`'s groups) then asks for.
    """
    return max(report.requests - report.cached, 0)


# --- per-case figures ------------------------------------------------------------------


def case_delta(cs: CaseShift) -> float | None:
    """Δ: head - base probability of the deciding principle (None unless both sides are scored)."""
    if cs.base is None or cs.head is None or cs.base.probability is None or cs.head.probability is None:
        return None
    return cs.head.probability - cs.base.probability


def noise_band(cs: CaseShift) -> float | None:
    """The wider of the two sides' noise bands (spread across judge variants)."""
    bands = [v.band for v in (cs.base, cs.head) if v is not None and v.band is not None]
    return max(bands) if bands else None


def is_change(cs: CaseShift) -> bool:
    """A flip worth highlighting: only stable flips (outside the noise band) count."""
    return cs.flipped and cs.stable


def disagrees_with_gold(cs: CaseShift) -> bool:
    return cs.head is not None and cs.head.agrees_with_gold is False


def thresholds(critic: Judge, ws: Workspace) -> dict[str, float]:
    """Each principle's violates threshold for this critic (calibrated or the default)."""
    default = critic.settings.threshold
    out: dict[str, float] = {}
    for pid, p in ws.principles.items():
        cal = critic.calibration_for(pid, p.statement)
        out[pid] = float(cal.threshold) if cal is not None and cal.threshold is not None else default
    return out


def margin(cs: CaseShift, limits: Mapping[str, float]) -> float:
    """Distance of the head probability from its threshold (small = uncertain); 2 when unscored."""
    v = cs.head or cs.base
    if v is None or v.probability is None:
        return 2.0
    limit = 0.5 if cs.kind == "pair" else limits.get(v.deciding or "", 0.5)
    return abs(v.probability - limit)


# --- sorting and filtering --------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilter:
    """What the case list shows: flips only (stable ones), benign cases only, one principle."""

    flips: bool = False
    benign: bool = False
    principle: str | None = None

    def keep(self, cs: CaseShift) -> bool:
        if self.flips and not is_change(cs):
            return False
        if self.benign and not cs.benign:
            return False
        return not (
            self.principle is not None
            and self.principle not in cs.principles_head
            and self.principle not in cs.principles_base
        )


def sort_key(sort: str, limits: Mapping[str, float]) -> Callable[[CaseShift], tuple[Any, ...]]:
    """Key for `sort` in SORTS; ties by case ID, so the order is stable."""
    if sort == "change":

        def by_change(cs: CaseShift) -> tuple[Any, ...]:
            d = case_delta(cs)
            return (not is_change(cs), -abs(d) if d is not None else 1.0, cs.case_id)

        return by_change
    if sort == "uncertainty":
        return lambda cs: (margin(cs, limits), cs.case_id)
    if sort == "gold":
        return lambda cs: (not disagrees_with_gold(cs), cs.gold is None, -abs(case_delta(cs) or 0.0), cs.case_id)
    raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")


def view_cases(
    cases: Iterable[CaseShift], sort: str, keep: CaseFilter, limits: Mapping[str, float] | None = None
) -> list[CaseShift]:
    """The case list as the view shows it: filtered, then sorted."""
    return sorted((cs for cs in cases if keep.keep(cs)), key=sort_key(sort, limits or {}))


# --- plots ----------------------------------------------------------------------------


def histogram(values: Iterable[float], bins: int = 20, low: float = -1.0, high: float = 1.0) -> list[int]:
    """Counts of `values` in `bins` equal bins over [low, high] (the last bin includes `high`)."""
    counts = [0] * bins
    width = (high - low) / bins
    for v in values:
        if v < low or v > high:
            continue
        counts[min(int((v - low) / width), bins - 1)] += 1
    return counts


def deltas(cases: Iterable[CaseShift]) -> list[float]:
    return [d for cs in cases if (d := case_delta(cs)) is not None]
