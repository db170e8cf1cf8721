"""The critic's answers an export needs: read from the cache, and scored on request.

An export covers every case of a version (or those linked to chosen principles) under
every judge variant, so each row can say whether an equivalent judge agrees. What the cache
holds is read without loading a model; `score_missing` scores the rest through the same
`score_versions` every surface uses (cancel keeps what finished, and it is cached).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from constitution_studio.core.analysis.evaluation import select_principles
from constitution_studio.core.analysis.judging import anchor
from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.scoring import case_requests, fill_lacking, principle_requests, score_versions
from constitution_studio.core.analysis.shift import scored_version
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.export.provenance import Provenance, provenance
from constitution_studio.core.source import WORKTREE
from constitution_studio.core.workspace import Workspace

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Coverage:
    """How much of what the export needs the judge has answered."""

    requests: int
    cached: int
    scored: int
    missing: int
    cancelled: bool = False


@dataclass
class Gathered:
    version: ScoredVersion
    provenance: Provenance
    coverage: Coverage
    case_ids: list[str]


def export_cases(ws: Workspace, principle_ids: Iterable[str] | None = None) -> list[str]:
    """Every case (file order), or those linked to the chosen principles (unknown IDs: bad input)."""
    if not principle_ids:
        return list(ws.cases)
    selected = set(select_principles(ws, principle_ids))
    return [cid for cid, case in ws.cases.items() if selected.intersection(case.principles)]


def export_requests(version: ScoredVersion, case_ids: Sequence[str]) -> list[ScoreRequest]:
    """Every judge's verdict and engagement answer the cases' verdicts need, and each linked
    deprecated principle's own verdict (exported, never deciding)."""
    requests = case_requests(version, case_ids)
    deprecated: dict[str, list[str]] = {}
    for cid in case_ids:
        for pid in version.eligible(cid)[1]:
            deprecated.setdefault(pid, []).append(cid)
    for pid, cids in deprecated.items():
        requests += principle_requests(version, pid, cids)
    return requests


def _answered(version: ScoredVersion, req: ScoreRequest) -> bool:
    key = (req.principle_id, req.case.id, req.variant)
    return key in (version.engaged if req.question == "engagement" else version.verdicts)


def gather(
    ws: Workspace,
    judge: Judge,
    *,
    root: Path,
    ref: str = WORKTREE,
    locale: str | None = None,
    principle_ids: Iterable[str] | None = None,
    case_ids: Sequence[str] | None = None,
    score_missing: bool = False,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    anchor_from: Workspace | None = None,
) -> Gathered:
    """The version with what the cache holds (and, with `score_missing`, what it lacked scored).

    `anchor_from`: the version whose gold gives method `anchored` its demonstrations (a
    shift's base, for both sides); default `ws`."""
    ids = list(case_ids) if case_ids is not None else export_cases(ws, principle_ids)
    version = scored_version(ws, judge, locale=locale, demonstrations=anchor(judge, anchor_from or ws))
    requests = export_requests(version, ids)
    lacking = fill_lacking(version, judge, requests)
    cached = len(requests) - len(lacking)
    cancelled = False
    if score_missing and lacking:
        run = score_versions(judge, [(version, lacking)], cancel=cancel, progress=progress)
        cancelled = run.cancelled
    missing = sum(1 for r in lacking if not _answered(version, r))
    prov = provenance(
        ws, judge, root=root, ref=ref, judges=version.judges, engagement=version.engagement, locale=locale
    )
    coverage = Coverage(
        requests=len(requests),
        cached=cached,
        scored=len(lacking) - missing,
        missing=missing,
        cancelled=cancelled,
    )
    return Gathered(version=version, provenance=prov, coverage=coverage, case_ids=ids)
