"""`cstudio eval`: score one version's cases and summarise, per principle and per case.

Every figure reads the ScoredVersion: a case's verdict and decider come from
analysis/resolve.py, gold agreement from analysis/trust.py (so `eval`, `eval --principle`
and trust always agree). With `--principle`, the cases linked to those principles are
scored under *all* their deciding-eligible principles, so each verdict is the one a full
run gives; only the summaries are limited.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.judging import anchor
from constitution_studio.core.analysis.scored import ScoredVersion, Verdict
from constitution_studio.core.analysis.scoring import (
    ScoringRun,
    case_requests,
    paused_gc,
    principle_requests,
    score_versions,
)
from constitution_studio.core.analysis.shift import critic_info, scored_version
from constitution_studio.core.analysis.trust import TrustReport, trust_report
from constitution_studio.core.conversation import turn_excerpts
from constitution_studio.core.critic.anchored import localized_statement
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.models import Status
from constitution_studio.core.wording import noun
from constitution_studio.core.workspace import Workspace
from constitution_studio.errors import BadInputError


class CaseScore(BaseModel):
    case_id: str
    probability: float
    label: str
    gold: str | None = None


class PrincipleSummary(BaseModel):
    principle_id: str
    title: str
    rank: int | None
    status: str
    cases: int = Field(description="Linked cases with a label from this principle.")
    labels: dict[str, int]
    engaged: int = Field(default=0, description="Linked cases whose request engages this principle.")
    decides: int = Field(default=0, description="Cases whose verdict this principle decides.")
    calibrated: bool = Field(default=False, description="Runs with a calibration fitted for this critic and wording.")
    gold_n: int = Field(description="Gold comparisons this principle answers for (as in trust).")
    accuracy: float | None
    kappa: float | None
    benign_n: int
    over_refusal: float | None = Field(description="Share of benign single-response cases it labels violates.")
    least_certain: list[CaseScore]


class CaseVerdict(BaseModel):
    """A case's overall verdict as every report shows it."""

    case_id: str
    gold: str | None = None
    verdict: Verdict
    turns: list[str] = Field(
        default_factory=list,
        description="The conversation as `role: excerpt` lines (`tool NAME (CALL):` for a tool result, `→ name(args)` "
        "for a tool call) when it is more than one user turn.",
    )


class EvalReport(BaseModel):
    version: str
    critic: dict[str, Any]
    engagement: bool
    judge: str = Field(description="The judge variant the labels come from.")
    locale: str | None = Field(default=None, description="The locale whose addendum the judge read (--locale).")
    scored: int
    cached: int
    seconds: float = 0.0
    cancelled: bool = False
    principles: list[PrincipleSummary]
    deprecated: list[PrincipleSummary] = Field(default_factory=list, description="Shown, never deciding.")
    cases: list[CaseVerdict]
    conflicts: list[CaseVerdict]
    incomplete: list[str] = Field(default_factory=list)
    undecided: list[str] = Field(
        default_factory=list, description="Cases every linked principle of is deprecated: none may decide."
    )
    warnings: list[str] = Field(default_factory=list)
    trust: TrustReport


def select_principles(ws: Workspace, principle_ids: Iterable[str] | None) -> list[str]:
    """The principles to evaluate, in priority order; unknown IDs are bad input."""
    wanted = list(principle_ids or [])
    unknown = [p for p in wanted if p not in ws.principles]
    if unknown:
        raise BadInputError(f"unknown principle {noun(len(unknown), 'id')}: {', '.join(unknown)}")
    return [p for p in ws.ordered_principle_ids() if not wanted or p in wanted]


def score_version(
    ws: Workspace,
    critic: Judge,
    principle_ids: Iterable[str] | None = None,
    *,
    judge: str | None = None,
    locale: str | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ScoredVersion, list[str], ScoringRun]:
    """Score every case linked to the selected principles (all their eligible principles).

    `locale`: the judge reads statement + that locale's addendum. With method `anchored`
    each principle's demonstrations are chosen from `ws` and left out of its agreement.
    """
    selected = select_principles(ws, principle_ids)
    version = scored_version(ws, critic, locale=locale, demonstrations=anchor(critic, ws))
    if judge is not None:
        if judge not in version.judges:
            raise BadInputError(f"unknown judge variant '{judge}' (have: {', '.join(version.judges)})")
        version.judges = [judge, *[j for j in version.judges if j != judge]]
    with paused_gc():
        case_ids = list(dict.fromkeys(c.id for pid in selected for c in ws.cases_for(pid)))
        requests = case_requests(version, case_ids, [version.primary])
        for pid in selected:
            if ws.principles[pid].status == Status.DEPRECATED:
                requests += principle_requests(version, pid, [c.id for c in ws.cases_for(pid)], [version.primary])
    run = score_versions(critic, [(version, requests)], cancel=cancel, progress=progress)
    return version, selected, run


def summarize(
    version: ScoredVersion,
    selected: list[str],
    run: ScoringRun,
    critic: Judge,
    *,
    seconds: float = 0.0,
    least_certain: int = 3,
) -> EvalReport:
    with paused_gc():
        return _summarize(version, selected, run, critic, seconds=seconds, least_certain=least_certain)


def _summarize(
    version: ScoredVersion, selected: list[str], run: ScoringRun, critic: Judge, *, seconds: float, least_certain: int
) -> EvalReport:
    ws = version.ws
    primary = [version.primary]
    case_ids = list(dict.fromkeys(c.id for pid in selected for c in ws.cases_for(pid)))
    verdicts = {cid: v for cid in case_ids if (v := version.verdict(cid, primary)) is not None}
    trust = trust_report(version, excluded=version.demonstrations)
    calibrated = set(
        critic.calibrated_principles({p: localized_statement(ws.principles[p], version.locale) for p in selected})
    )
    summaries: list[PrincipleSummary] = []
    deprecated: list[PrincipleSummary] = []
    decides: dict[str, int] = {}
    for v in verdicts.values():
        if v.deciding is not None:
            decides[v.deciding] = decides.get(v.deciding, 0) + 1
    for pid in selected:
        summary = _summary(version, pid, decides.get(pid, 0), trust, pid in calibrated, least_certain)
        if summary is None:
            continue
        (deprecated if summary.status == Status.DEPRECATED.value else summaries).append(summary)
    cases = [
        CaseVerdict(case_id=cid, gold=version.gold(cid), verdict=v, turns=turn_excerpts(ws.cases[cid].turns))
        for cid, v in sorted(verdicts.items())
    ]
    return EvalReport(
        version=ws.label,
        critic=critic_info(critic),
        engagement=version.engagement,
        judge=version.primary,
        locale=version.locale,
        scored=run.requests - run.cached,
        cached=run.cached,
        seconds=seconds,
        cancelled=run.cancelled,
        principles=summaries,
        deprecated=deprecated,
        cases=[c for c in cases if c.verdict.complete],
        conflicts=[c for c in cases if c.verdict.conflict],
        incomplete=[c.case_id for c in cases if not c.verdict.complete and c.verdict.missing],
        undecided=[c.case_id for c in cases if not c.verdict.complete and not c.verdict.missing],
        warnings=list(critic.warnings),
        trust=trust,
    )


def _summary(
    version: ScoredVersion,
    pid: str,
    decides: int,
    trust: TrustReport,
    calibrated: bool,
    least_certain: int,
) -> PrincipleSummary | None:
    ws = version.ws
    mine = [s for c in ws.cases_for(pid) if (s := version.verdicts.get((pid, c.id, version.primary))) is not None]
    if not mine:
        return None
    counts: dict[str, int] = {}
    for s in mine:
        counts[s.label] = counts.get(s.label, 0) + 1
    benign = [s.label == "violates" for s in mine if ws.cases[s.case_id].benign and s.kind == "single"]
    engaged = sum(
        1
        for c in ws.cases_for(pid)
        if (e := version.engaged.get((pid, c.id, version.primary))) and e.label == "engaged"
    )
    agreement = trust.principle(pid)
    threshold_distance = sorted(mine, key=lambda s: abs(s.probability - 0.5))[:least_certain]
    p = ws.principles[pid]
    return PrincipleSummary(
        principle_id=pid,
        title=p.title,
        rank=ws.rank(pid),
        status=p.status.value,
        cases=len(mine),
        labels=dict(sorted(counts.items())),
        engaged=engaged,
        decides=decides,
        calibrated=calibrated,
        gold_n=agreement.n if agreement else 0,
        accuracy=agreement.accuracy.value if agreement else None,
        kappa=agreement.kappa.value if agreement else None,
        benign_n=len(benign),
        over_refusal=(sum(benign) / len(benign)) if benign else None,
        least_certain=[
            CaseScore(case_id=s.case_id, probability=s.probability, label=s.label, gold=version.gold(s.case_id))
            for s in threshold_distance
        ],
    )
