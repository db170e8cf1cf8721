"""Which cases an edit can move: the first step of label shift.

A case is affected when it is linked (at either version) to a principle that was added,
removed, reworded (its statement, or a locale's addendum: what the judge reads for that
locale), relinked or had its status changed (a deprecated principle stops
deciding), when its own content or links changed, and, when the priority order changed,
when it is linked to more than one principle (who decides can change).
"""

from __future__ import annotations

from collections.abc import Iterable

from constitution_studio.core.analysis.answer_key import AnswerKey
from constitution_studio.core.diff import ConstitutionDiff
from constitution_studio.core.workspace import Workspace

AFFECTING = ("added", "removed", "reworded", "reworded_locale", "links")


def _changes_verdicts(change: object) -> bool:
    kinds = set(getattr(change, "changes", ()))
    return bool(kinds & set(AFFECTING)) or ("fields" in kinds and "status" in getattr(change, "fields", ()))


def affected_cases(
    base: Workspace, head: Workspace, diff: ConstitutionDiff, only: set[str] | None = None
) -> tuple[list[str], dict[str, list[str]]]:
    """(changed principle IDs, {case id: why it is in}) for a shift from base to head."""
    changed = [pc.id for pc in diff.principles if _changes_verdicts(pc) or "moved" in pc.changes]
    if only is not None:
        changed = [pid for pid in changed if pid in only]
    own = {pc.id for pc in diff.principles if _changes_verdicts(pc)}
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


def context_cases(ws: Workspace, gold: bool = True, key: AnswerKey | None = None) -> list[str]:
    """Cases scored under the primary judge for the version-wide figures: gold (trust) and benign
    (over-refusal) cases — the version's own and, with `key` (a head judged by the base's answer
    key), the key's, so that a head which drops a flag still has that case scored."""
    if key is None:
        return [cid for cid, c in ws.cases.items() if (gold and c.has_gold) or c.benign]
    return [
        cid
        for cid, c in ws.cases.items()
        if (gold and (c.has_gold or key.has_gold(cid))) or c.benign or cid in key.benign
    ]


def linked_both(base: Workspace, head: Workspace, cid: str) -> list[str]:
    """Principles the case is linked to at either version (that exist there)."""
    out: list[str] = []
    for ws in (head, base):
        case = ws.cases.get(cid)
        if case is not None:
            out += [pid for pid in case.principles if pid in ws.principles]
    return list(dict.fromkeys(out))


def unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))
