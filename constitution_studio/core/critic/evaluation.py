"""`cstudio eval` in core: score every (principle, linked case) of a version and summarise.

Per principle: label counts, gold agreement and over-refusal. Gold agreement of a principle
uses the gold cases it *decides* (it is their highest-priority linked principle), because a
case's gold label is the human verdict on the case as a whole. Over-refusal is the share of
the principle's benign (`benign: true`) single-response cases it labels `violates`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from threading import Event

from pydantic import BaseModel, Field

from constitution_studio.core import metrics
from constitution_studio.core.critic.engine import Critic
from constitution_studio.core.critic.types import CriticInfo, Score, ScoreRequest
from constitution_studio.core.labels import deciding_principle, overall_label
from constitution_studio.core.workspace import Workspace
from constitution_studio.errors import BadInputError

POSITIVE = ("violates", "a")


def requests_for(
    ws: Workspace, principle_ids: Iterable[str] | None = None, variant: str = "default"
) -> list[ScoreRequest]:
    """Every (principle, linked case) in priority order; `principle_ids` limits the principles."""
    wanted = list(principle_ids) if principle_ids else None
    if wanted:
        unknown = [p for p in wanted if p not in ws.principles]
        if unknown:
            raise BadInputError(f"unknown principle id(s): {', '.join(unknown)}")
    out: list[ScoreRequest] = []
    for pid in ws.ordered_principle_ids():
        if wanted and pid not in wanted:
            continue
        statement = ws.principles[pid].statement
        out.extend(ScoreRequest(pid, statement, case, variant) for case in ws.cases_for(pid))
    return out


class CaseScore(BaseModel):
    case_id: str
    probability: float
    label: str
    gold: str | None = None


class PrincipleSummary(BaseModel):
    principle_id: str
    title: str
    rank: int | None
    cases: int
    labels: dict[str, int]
    gold_n: int = Field(description="Gold cases this principle decides.")
    accuracy: float | None
    kappa: float | None
    benign_n: int
    over_refusal: float | None = Field(description="Share of benign single-response cases labelled violates.")
    least_certain: list[CaseScore]


class CaseVerdict(BaseModel):
    case_id: str
    label: str
    deciding: str
    conflict: bool
    labels: dict[str, str]
    gold: str | None = None


class EvalReport(BaseModel):
    version: str
    critic: CriticInfo
    scored: int
    cached: int
    seconds: float
    principles: list[PrincipleSummary]
    cases: list[CaseVerdict]
    conflicts: list[CaseVerdict]
    overall_accuracy: float | None
    overall_kappa: float | None
    overall_gold_n: int


def run_scores(
    critic: Critic,
    requests: list[ScoreRequest],
    *,
    cancel: Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[tuple[str, str], Score]:
    """Scores keyed by (principle id, case id)."""
    return {(s.principle_id, s.case_id): s for s in critic.score(requests, cancel=cancel, progress=progress)}


def _agreement(pairs: Sequence[tuple[str, str]]) -> tuple[float | None, float | None]:
    y = [int(g in POSITIVE) for g, _ in pairs]
    p = [int(label in POSITIVE) for _, label in pairs]
    return metrics.accuracy(y, p), metrics.cohens_kappa(y, p)


def summarize(
    ws: Workspace,
    scores: Mapping[tuple[str, str], Score],
    critic: CriticInfo,
    *,
    seconds: float = 0.0,
    least_certain: int = 3,
) -> EvalReport:
    by_case: dict[str, dict[str, Score]] = {}
    for (pid, cid), s in scores.items():
        by_case.setdefault(cid, {})[pid] = s
    principles = []
    for pid in ws.ordered_principle_ids():
        mine = [scores[(pid, c.id)] for c in ws.cases_for(pid) if (pid, c.id) in scores]
        if not mine:
            continue
        counts: dict[str, int] = {}
        for s in mine:
            counts[s.label] = counts.get(s.label, 0) + 1
        decided = []
        benign = []
        for s in mine:
            case = ws.cases[s.case_id]
            if case.gold is not None and deciding_principle(case, ws.priority, by_case[case.id]) == pid:
                decided.append((case.gold, s.label))
            if case.benign and case.kind == "single":
                benign.append(s.label == "violates")
        acc, kappa = _agreement(decided)
        uncertain = sorted(mine, key=lambda s: abs(s.probability - 0.5))[:least_certain]
        principles.append(
            PrincipleSummary(
                principle_id=pid,
                title=ws.principles[pid].title,
                rank=ws.rank(pid),
                cases=len(mine),
                labels=dict(sorted(counts.items())),
                gold_n=len(decided),
                accuracy=acc,
                kappa=kappa,
                benign_n=len(benign),
                over_refusal=(sum(benign) / len(benign)) if benign else None,
                least_certain=[
                    CaseScore(
                        case_id=s.case_id, probability=s.probability, label=s.label, gold=ws.cases[s.case_id].gold
                    )
                    for s in uncertain
                ],
            )
        )
    verdicts = []
    gold_pairs = []
    for cid in sorted(by_case):
        case = ws.cases[cid]
        label, decider, conflict = overall_label(case, by_case[cid], ws.priority)
        if label is None or decider is None:
            continue
        verdict = CaseVerdict(
            case_id=cid,
            label=label,
            deciding=decider,
            conflict=conflict,
            labels={p: by_case[cid][p].label for p in case.principles if p in by_case[cid]},
            gold=case.gold,
        )
        verdicts.append(verdict)
        if case.gold is not None:
            gold_pairs.append((case.gold, label))
    acc, kappa = _agreement(gold_pairs)
    return EvalReport(
        version=ws.label,
        critic=critic,
        scored=sum(not s.cached for s in scores.values()),
        cached=sum(s.cached for s in scores.values()),
        seconds=seconds,
        principles=principles,
        cases=verdicts,
        conflicts=[v for v in verdicts if v.conflict],
        overall_accuracy=acc,
        overall_kappa=kappa,
        overall_gold_n=len(gold_pairs),
    )


def gold_data(
    ws: Workspace, scores: Mapping[tuple[str, str], Score], kind: str = "single"
) -> dict[str, tuple[list[int], list[float]]]:
    """Per principle: (gold 0/1, probability) over the gold cases of `kind` it decides."""
    by_case: dict[str, dict[str, Score]] = {}
    for (pid, cid), s in scores.items():
        by_case.setdefault(cid, {})[pid] = s
    out: dict[str, tuple[list[int], list[float]]] = {}
    for cid, per in by_case.items():
        case = ws.cases[cid]
        if case.gold is None or case.kind != kind:
            continue
        decider = deciding_principle(case, ws.priority, per)
        if decider is None:
            continue
        ys, ps = out.setdefault(decider, ([], []))
        ys.append(int(case.gold in POSITIVE))
        ps.append(per[decider].probability)
    return out
