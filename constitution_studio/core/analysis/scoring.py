"""Which critic requests a set of cases needs, and scoring them once across versions.

A case's verdict needs every principle that may decide it, under each judge, and (with
engagement on) each of those principles' engagement answer. A request identical in two
versions (same wording, same case content, same principle) is scored once and given to both.
Cancelling stops scoring between batches; whatever finished is kept (and cached).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.critic.anchored import localized_statement
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.types import Score, ScoreRequest
from constitution_studio.core.gc_pause import paused_gc

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ScoringRun:
    """What one scoring pass did."""

    requests: int
    cached: int
    model_calls: int
    cancelled: bool


def case_requests(
    version: ScoredVersion, case_ids: Iterable[str], judges: Sequence[str] | None = None
) -> list[ScoreRequest]:
    """Every request the cases' verdicts need at this version (deciding principles only).

    The wording is the statement plus the version's locale addendum, if any: that is what the
    judge reads and what the cache key hashes."""
    judges = list(judges or version.judges)
    ws = version.ws
    out: list[ScoreRequest] = []
    append = out.append
    statements: dict[str, str] = {}  # per principle, not per (principle, case)
    engagement = version.engagement
    for cid in dict.fromkeys(case_ids):
        case = ws.cases.get(cid)
        if case is None:
            continue
        eligible, _ = version.eligible(cid)
        for pid in eligible:
            statement = statements.get(pid)
            if statement is None:
                statement = statements[pid] = localized_statement(ws.principles[pid], version.locale)
            for judge in judges:
                append(ScoreRequest(pid, statement, case, judge))
                if engagement:
                    append(ScoreRequest(pid, statement, case, judge, "engagement"))
    return out


def principle_requests(
    version: ScoredVersion, principle_id: str, case_ids: Iterable[str], judges: Sequence[str] | None = None
) -> list[ScoreRequest]:
    """One principle's own verdict on cases (e.g. a deprecated principle, shown but never deciding)."""
    ws = version.ws
    statement = localized_statement(ws.principles[principle_id], version.locale)
    return [ScoreRequest(principle_id, statement, ws.cases[c], j) for c in case_ids for j in judges or version.judges]


def score_versions(
    critic: Judge,
    wants: Sequence[tuple[ScoredVersion, Sequence[ScoreRequest]]],
    *,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> ScoringRun:
    """Score every version's requests, each distinct (principle, content key) once.

    Versions are scored in the order given (the head first, so a cancelled check has the
    side under review); within one version a (principle, case, judge, question) is unique,
    which is how the critic's out-of-order answers are matched to their requests. What the
    cache holds is read first, in one batch per version (`cached_scores`); only the rest goes
    through `critic.score`.
    """
    with paused_gc():
        targets, batches = _distinct(critic, wants)
    return _score_batches(critic, targets, batches, cancel=cancel, progress=progress)


Target = tuple[str, str]  # (principle id, content key): one critic answer
Batch = list[tuple[Target, ScoreRequest]]
V = TypeVar("V")  # whoever wants an answer: a ScoredVersion, or nobody (distinct_answers)


def _distinct(
    critic: Judge, wants: Sequence[tuple[V, Sequence[ScoreRequest]]]
) -> tuple[dict[Target, list[tuple[V, ScoreRequest]]], list[Batch]]:
    """Per version, the requests not already asked by an earlier one, and who wants each answer."""
    targets: dict[Target, list[tuple[V, ScoreRequest]]] = {}
    batches: list[Batch] = []
    for version, requests in wants:
        batch: Batch = []
        for req, content_key in zip(requests, critic.keys_for(requests), strict=True):
            key = (req.principle_id, content_key)
            found = targets.get(key)
            if found is None:
                targets[key] = [(version, req)]
                batch.append((key, req))
            else:
                found.append((version, req))
        batches.append(batch)
    return targets, batches


def _score_batches(
    critic: Judge,
    targets: dict[Target, list[tuple[ScoredVersion, ScoreRequest]]],
    batches: list[Batch],
    *,
    cancel: threading.Event | None,
    progress: Progress | None,
) -> ScoringRun:
    calls_before = critic.model_calls
    total = sum(len(b) for b in batches)
    done = cached = 0
    if progress is not None:
        progress(0, total)

    def deliver(key: Target, score: Score) -> None:
        for version, req in targets[key]:
            same = req.case.id == score.case_id and req.variant == score.variant
            version.add(score if same else replace(score, case_id=req.case.id, variant=req.variant))

    for batch in batches:
        if not batch or (cancel is not None and cancel.is_set()):
            continue
        with paused_gc():
            hits = critic.cached_scores([req for _, req in batch], [key[1] for key, _ in batch])
            rest: Batch = []
            for (key, req), score in zip(batch, hits, strict=True):
                if score is None:
                    rest.append((key, req))
                else:
                    deliver(key, score)
        done += len(batch) - len(rest)
        cached += len(batch) - len(rest)
        if progress is not None:  # the cache is read; what follows waits on the judge (loading_message)
            progress(done, total)
        if not rest:
            continue
        by_ids = {_ids(req.principle_id, req.case.id, req.variant, req.question == "engagement"): k for k, req in rest}
        for score in critic.score([req for _, req in rest], cancel=cancel):
            done += 1
            cached += bool(score.cached)
            deliver(by_ids[_ids(score.principle_id, score.case_id, score.variant, score.kind == "engagement")], score)
            if progress is not None:
                progress(done, total)
    return ScoringRun(
        requests=total,
        cached=cached,
        model_calls=critic.model_calls - calls_before,
        cancelled=done < total,
    )


def _ids(principle_id: str, case_id: str, judge: str, engagement: bool) -> tuple[str, str, str, bool]:
    return principle_id, case_id, judge, engagement


def fill_from_cache(version: ScoredVersion, critic: Judge, requests: Sequence[ScoreRequest]) -> int:
    """Add what the critic's cache already holds for `requests` (never loads the model); returns how many."""
    requests = list(requests)
    return len(requests) - len(fill_lacking(version, critic, requests))


def fill_lacking(version: ScoredVersion, critic: Judge, requests: Sequence[ScoreRequest]) -> list[ScoreRequest]:
    """`fill_from_cache`, returning the requests the cache lacked (what a run would still score)."""
    with paused_gc():
        found = critic.cached(list(requests))
        have = set()
        for score in found:
            version.add(score)
            have.add(_ids(score.principle_id, score.case_id, score.variant, score.kind == "engagement"))
        wanted = [(r, _ids(r.principle_id, r.case.id, r.variant, r.question == "engagement")) for r in requests]
        return [r for r, ids in wanted if ids not in have]


def unanswered(version: ScoredVersion, requests: Sequence[ScoreRequest]) -> list[ScoreRequest]:
    """The requests the version holds no answer for (what a run would still have to score)."""
    verdicts, engaged = version.verdicts, version.engaged
    return [
        r
        for r in requests
        if (r.principle_id, r.case.id, r.variant) not in (engaged if r.question == "engagement" else verdicts)
    ]


def distinct_answers(critic: Judge, requests: Sequence[ScoreRequest]) -> int:
    """How many critic answers `requests` need, one per (principle, content key): what
    `score_versions` asks the critic for."""
    with paused_gc():
        _, batches = _distinct(critic, [(None, requests)])
    return len(batches[0])
