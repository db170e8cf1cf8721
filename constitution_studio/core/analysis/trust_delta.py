"""Trust that moves with the work: agreement with gold before → after the gold not committed yet.

"Before" is the work tree's constitution with the gold labels as committed at HEAD; "after" is
the work tree as it is. Both are judged by the same critic on the same wording, so the only
difference is the verdicts a reviewer recorded since the last commit (the critic's answers are
shared: nothing is scored twice). A change is *within noise* when the new kappa lies inside
the old kappa's bootstrap 95% interval: the figure moved less than its own uncertainty.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from constitution_studio.core.analysis.judging import anchor
from constitution_studio.core.analysis.scoring import case_requests, fill_lacking, score_versions
from constitution_studio.core.analysis.shift import scored_version
from constitution_studio.core.analysis.trust import Agreement, PrincipleChange, TrustChange, TrustReport, trust_report
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.models import EvalCase
from constitution_studio.core.wording import plural
from constitution_studio.core.workspace import Workspace
from constitution_studio.errors import RefError

Gold = str | dict[str, str] | None


def head_gold(root: Path, ref: str = "HEAD") -> dict[str, Gold] | None:
    """Each case's gold at `ref` (case ID -> label, per-principle map or None); None when there is
    no such commit (no repository, no commit yet)."""
    from constitution_studio.core.versions import load_version

    try:
        ws = load_version(root, ref)
    except RefError:
        return None
    return {cid: (dict(c.gold) if isinstance(c.gold, dict) else c.gold) for cid, c in ws.cases.items()}


def changed_gold(ws: Workspace, before: Mapping[str, Gold]) -> list[str]:
    """Cases (work-tree order) whose gold differs from `before` (a case new since then counts when it has gold)."""
    return [
        cid
        for cid, case in ws.cases.items()
        if (dict(case.gold) if isinstance(case.gold, dict) else case.gold) != before.get(cid)
    ]


def with_gold(ws: Workspace, gold: Mapping[str, Gold]) -> Workspace:
    """A shallow copy of `ws` whose cases carry `gold` instead (cases not in `gold`: none)."""
    cases: dict[str, EvalCase] = {}
    for cid, case in ws.cases.items():
        old = gold.get(cid)
        current = dict(case.gold) if isinstance(case.gold, dict) else case.gold
        cases[cid] = case if old == current else case.model_copy(update={"gold": old})
    return Workspace(
        label=f"{ws.label} (committed gold)",
        constitution=ws.constitution,
        principles=ws.principles,
        principle_paths=ws.principle_paths,
        cases=cases,
        case_paths=ws.case_paths,
        case_indexes=ws.case_indexes,
        source=ws.source,
    )


def within_noise(before: Agreement | None, after: Agreement | None) -> bool:
    """Whether `after` moved less than `before`'s own uncertainty (its kappa interval holds the new kappa)."""
    if before is None or after is None:
        return False
    k0, k1 = before.kappa, after.kappa
    if k1.value is None or k0.value is None or k0.low is None or k0.high is None:
        return k0.value == k1.value
    return k0.low <= k1.value <= k0.high


def trust_change(
    ws: Workspace,
    before_gold: Mapping[str, Gold],
    critic: Judge,
    *,
    score: bool = False,
    ref: str = "HEAD",
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TrustChange | None:
    """Trust before → after the gold in `ws` that differs from `before_gold` (None: nothing differs).

    `score` False reads the cache only (the studio after each verdict); `before_gold` comes from
    `head_gold` (the studio keeps it between verdicts).
    """
    changed = changed_gold(ws, before_gold)
    if not changed:
        return None
    old = with_gold(ws, before_gold)
    shown = anchor(critic, ws)
    versions = []
    for side in (ws, old):
        v = scored_version(side, critic, demonstrations=shown)
        v.judges = [critic.variants[0]]
        versions.append((v, case_requests(v, [cid for cid, c in side.cases.items() if c.has_gold])))
    if score:
        score_versions(critic, versions, cancel=cancel, progress=progress)
    else:
        for v, requests in versions:
            fill_lacking(v, critic, requests)
    after, before = (trust_report(v, seed=0) for v, _ in versions)
    return _change(ws, changed, before, after, ref)


def _change(ws: Workspace, changed: list[str], before: TrustReport, after: TrustReport, ref: str) -> TrustChange:
    touched = {pid for cid in changed for pid in ws.cases[cid].principles}
    per = []
    for pid in ws.ordered_principle_ids():
        if pid not in touched:
            continue
        b, a = before.principle(pid), after.principle(pid)
        if b is None and a is None:
            continue
        per.append(PrincipleChange(principle_id=pid, before=b, after=a, within_noise=within_noise(b, a)))
    return TrustChange(
        ref=ref,
        changed=changed,
        before=before.overall,
        after=after.overall,
        within_noise=within_noise(before.overall, after.overall),
        principles=per,
    )


def change_text(change: TrustChange) -> str:
    """`trust with 3 uncommitted gold changes (vs HEAD): HIGH, kappa 0.41 [0.22, 0.58] → 0.45 [...] (within noise),
    n 117 → 120`."""
    b, a = change.before, change.after
    level = b.level.value.upper() if b.level == a.level else f"{b.level.value.upper()} → {a.level.value.upper()}"
    noise = "within noise" if change.within_noise else "outside the old interval"
    return (
        f"trust with {plural(len(change.changed), 'uncommitted gold change')} (vs {change.ref}): {level}, "
        f"kappa {b.kappa.text()} → {a.kappa.text()} ({noise}), n {b.n} → {a.n}"
    )


def change_lines(change: TrustChange) -> list[str]:
    """`change_text`, then one line per principle a changed case is linked to."""
    lines = [change_text(change)]
    for p in change.principles:
        k0 = p.before.kappa.text() if p.before is not None else "–"
        k1 = p.after.kappa.text() if p.after is not None else "–"
        n0 = p.before.n if p.before is not None else 0
        n1 = p.after.n if p.after is not None else 0
        noise = "within noise" if p.within_noise else "outside the old interval"
        lines.append(f"  {p.principle_id:<12} kappa {k0} → {k1} ({noise}), n {n0} → {n1}")
    return lines
