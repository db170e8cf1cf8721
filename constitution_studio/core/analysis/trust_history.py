"""Agreement with gold over versions: the critic's trust at each commit that changed principles or gold.

Every version is read from git objects (never checked out) and judged by the one critic the
caller opens (the work tree's settings), so a change in agreement is the constitution's or
the gold's doing, not the judge's. The gold cases of every version are scored under the
primary judge in one pass across versions (a request identical in two versions is scored
once; cached answers cost nothing), then `trust_report` gives kappa, AUC and n per principle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.judging import anchor
from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.scoring import (
    case_requests,
    distinct_answers,
    fill_from_cache,
    fill_lacking,
    score_versions,
)
from constitution_studio.core.analysis.shift import critic_info, scored_version
from constitution_studio.core.analysis.trust import TrustReport, trust_report
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.source import CASES_DIR, PRINCIPLES_DIR
from constitution_studio.core.versions import open_repo, resolve_ref_in, source_at
from constitution_studio.core.workspace import Workspace, load_workspace
from constitution_studio.errors import NoRepositoryError

Progress = Callable[[int, int], None]
DEFAULT_COMMITS = 10


class TrustPoint(BaseModel):
    """The critic's agreement with gold at one commit."""

    commit: str
    short: str
    date: str
    subject: str
    changed: list[str] = Field(description="What the commit changed: principles, gold, priority.")
    trust: TrustReport
    gold_cases: int = Field(description="Cases with gold at this commit.")
    unscored: int = Field(default=0, description="Gold cases not every deciding principle was scored for.")


class TrustHistory(BaseModel):
    """`cstudio trust --history`: newest commit first."""

    ref: str
    critic: dict[str, Any]
    points: list[TrustPoint]
    cancelled: bool = False
    requests: int = 0
    cached: int = 0
    model_calls: int = 0


def _fingerprint(ws: Workspace) -> tuple[dict[str, str], dict[str, Any], list[str]]:
    statements = {pid: p.statement for pid, p in ws.principles.items()}
    gold = {cid: c.gold for cid, c in ws.cases.items() if c.gold}
    return statements, gold, list(ws.priority)


def _what_changed(new: Workspace, old: Workspace | None) -> list[str]:
    if old is None:
        return ["first"]
    (s1, g1, p1), (s0, g0, p0) = _fingerprint(new), _fingerprint(old)
    return [name for name, a, b in (("principles", s1, s0), ("gold", g1, g0), ("priority", p1, p0)) if a != b]


def history_versions(root: Path, n: int = DEFAULT_COMMITS, ref: str = "HEAD") -> list[tuple[Any, Workspace, list[str]]]:
    """(commit, workspace, what changed) for the newest `n` commits that changed principles or gold."""
    out: list[tuple[Any, Workspace, list[str]]] = []
    with open_repo(root) as loc:
        sha = resolve_ref_in(loc, ref)
        paths = [loc.path(PRINCIPLES_DIR), loc.path(CASES_DIR)]
        commits = list(loc.repo.iter_commits(sha, paths=paths))
        loaded: dict[str, Workspace] = {}

        def version(c: Any) -> Workspace:
            if c.hexsha not in loaded:
                loaded[c.hexsha] = load_workspace(source_at(loc, root, c.hexsha))
            return loaded[c.hexsha]

        for i, commit in enumerate(commits):
            older = version(commits[i + 1]) if i + 1 < len(commits) else None
            changed = _what_changed(version(commit), older)
            if changed and changed != ["priority"]:
                out.append((commit, version(commit), changed))
            loaded.pop(commit.hexsha, None)
            if len(out) >= n:
                break
    return out


def gold_scored(
    ws: Workspace, critic: Judge, shown: dict[str, set[str]] | None = None
) -> tuple[ScoredVersion, list[ScoreRequest]]:
    """An empty primary-judge ScoredVersion of `ws` and the requests its gold cases need.

    Method anchored: the judge is shown `shown` (default: demonstrations chosen from `ws`
    itself), and those cases are left out of the version's agreement."""
    if shown is None:
        shown = anchor(critic, ws)
    v = scored_version(ws, critic, demonstrations=shown)
    v.judges = [critic.variants[0]]
    return v, case_requests(v, [cid for cid, c in ws.cases.items() if c.has_gold])


def current_trust(
    ws: Workspace,
    critic: Judge,
    *,
    score: bool = True,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    shown: dict[str, set[str]] | None = None,
) -> TrustReport:
    """Trust at one version (the work tree for `cstudio trust`, the studio's title bar).

    `shown`: the demonstrations an anchored judge already has (default: chosen from `ws`)."""
    v, requests = gold_scored(ws, critic, shown)
    if score:
        score_versions(critic, [(v, requests)], cancel=cancel, progress=progress)
        lacking = fill_lacking(v, critic, requests) if cancel is not None and cancel.is_set() else []
    else:
        lacking = fill_lacking(v, critic, requests)
    report = trust_report(v, seed=0)
    report.answers_needed = distinct_answers(critic, lacking) if lacking else 0
    return report


def trust_history(
    root: Path,
    critic: Judge,
    n: int = DEFAULT_COMMITS,
    *,
    ref: str = "HEAD",
    score: bool = True,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> TrustHistory:
    """Trust per principle at each of the last `n` commits that changed principles or gold.

    With `score` False only the cache is read (nothing is scored; the studio's first paint).
    """
    try:
        versions = history_versions(root, n, ref)
    except NoRepositoryError:
        raise NoRepositoryError(
            f"trust over commits reads git history, and {root} is not inside a git repository "
            "(trust of the work tree needs none: `cstudio trust`)"
        ) from None
    # one judge across the history: an anchored judge is shown the newest version's demonstrations
    shown = anchor(critic, versions[0][1]) if versions else {}
    wants = [gold_scored(ws, critic, shown) for _, ws, _ in versions]
    requests = cached = calls = 0
    cancelled = False
    if score:
        run = score_versions(critic, wants, cancel=cancel, progress=progress)
        requests, cached, calls, cancelled = run.requests, run.cached, run.model_calls, run.cancelled
    else:
        for v, reqs in wants:
            requests += len(reqs)
            cached += fill_from_cache(v, critic, reqs)
    points = []
    for (commit, ws, changed), (v, _) in zip(versions, wants, strict=True):
        gold = [cid for cid, c in ws.cases.items() if c.has_gold]
        unscored = sum(1 for cid in gold if (verdict := v.verdict(cid)) is None or verdict.label is None)
        points.append(
            TrustPoint(
                commit=commit.hexsha,
                short=commit.hexsha[:7],
                date=commit.committed_datetime.isoformat(),
                subject=str(commit.summary),
                changed=changed,
                trust=trust_report(v, seed=0),
                gold_cases=len(gold),
                unscored=unscored,
            )
        )
    return TrustHistory(
        ref=ref,
        critic=critic_info(critic),
        points=points,
        cancelled=cancelled,
        requests=requests,
        cached=cached,
        model_calls=calls,
    )


def kappa_series(history: TrustHistory, principle_id: str | None = None) -> list[float | None]:
    """Kappa per point, oldest first (overall, or one principle's): what the studio plots."""
    out: list[float | None] = []
    for point in reversed(history.points):
        a = point.trust.overall if principle_id is None else point.trust.principle(principle_id)
        out.append(a.kappa.value if a is not None else None)
    return out
