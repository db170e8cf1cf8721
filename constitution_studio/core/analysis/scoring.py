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
from typing import Any

from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.critic.anchored import localized_statement
from constitution_studio.core.critic.types import ScoreRequest

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
    for cid in dict.fromkeys(case_ids):
        case = ws.cases.get(cid)
        if case is None:
            continue
        eligible, _ = version.eligible(cid)
        for pid in eligible:
            statement = localized_statement(ws.principles[pid], version.locale)
            for judge in judges:
                out.append(ScoreRequest(pid, statement, case, judge))
                if version.engagement:
                    out.append(ScoreRequest(pid, statement, case, judge, question="engagement"))
    return out


def principle_requests(
    version: ScoredVersion, principle_id: str, case_ids: Iterable[str], judges: Sequence[str] | None = None
) -> list[ScoreRequest]:
    """One principle's own verdict on cases (e.g. a deprecated principle, shown but never deciding)."""
    ws = version.ws
    statement = localized_statement(ws.principles[principle_id], version.locale)
    return [ScoreRequest(principle_id, statement, ws.cases[c], j) for c in case_ids for j in judges or version.judges]


def score_versions(
    critic: Any,
    wants: Sequence[tuple[ScoredVersion, Sequence[ScoreRequest]]],
    *,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> ScoringRun:
    """Score every version's requests, each distinct (principle, content key) once.

    Versions are scored in the order given (the head first, so a cancelled check has the
    side under review); within one version a (principle, case, judge, question) is unique,
    which is how the critic's out-of-order answers are matched to their requests.
    """
    targets: dict[tuple[str, str], list[tuple[ScoredVersion, ScoreRequest]]] = {}
    batches: list[list[tuple[tuple[str, str], ScoreRequest]]] = []
    for version, requests in wants:
        batch: list[tuple[tuple[str, str], ScoreRequest]] = []
        for req in requests:
            key = (req.principle_id, critic.key_for(req))
            if key not in targets:
                targets[key] = []
                batch.append((key, req))
            targets[key].append((version, req))
        batches.append(batch)
    calls_before = int(getattr(critic, "model_calls", 0))
    total = sum(len(b) for b in batches)
    done = cached = 0
    if progress is not None:
        progress(0, total)
    for batch in batches:
        if not batch or (cancel is not None and cancel.is_set()):
            continue
        by_ids = {_ids(req.principle_id, req.case.id, req.variant, req.question == "engagement"): k for k, req in batch}
        for score in critic.score([req for _, req in batch], cancel=cancel):
            key = by_ids[_ids(score.principle_id, score.case_id, score.variant, score.kind == "engagement")]
            done += 1
            cached += bool(score.cached)
            for version, req in targets[key]:
                version.add(replace(score, case_id=req.case.id, variant=req.variant))
            if progress is not None:
                progress(done, total)
    return ScoringRun(
        requests=total,
        cached=cached,
        model_calls=int(getattr(critic, "model_calls", 0)) - calls_before,
        cancelled=done < total,
    )


def _ids(principle_id: str, case_id: str, judge: str, engagement: bool) -> tuple[str, str, str, bool]:
    return principle_id, case_id, judge, engagement


def fill_from_cache(version: ScoredVersion, critic: Any, requests: Sequence[ScoreRequest]) -> int:
    """Add what the critic's cache already holds for `requests` (never loads the model); returns how many."""
    found = critic.cached(list(requests)) if hasattr(critic, "cached") else []
    for score in found:
        version.add(score)
    return len(found)
