"""What an edit does to the exported preference set (`cstudio shift --preferences`).

Both versions' pair cases are judged by the one judge the shift uses, and their preference
rows (preferences.py) compared by case: rows added or removed (a pair case added, removed or
newly decided), flipped (the chosen side changed), newly abstained (training signal before,
not after) and no longer abstained. A reviewer sees what a wording change does to training
data, not only to labels.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.export.gather import gather
from constitution_studio.core.export.preferences import preference_rows
from constitution_studio.core.export.rows import PreferenceRow
from constitution_studio.core.wording import plural
from constitution_studio.core.workspace import Workspace

Change = Literal["added", "removed", "flipped", "newly-abstained", "no-longer-abstained"]


class PreferenceSide(BaseModel):
    chosen_side: str
    principle_id: str
    probability: float
    abstain: bool
    abstain_reasons: list[str]


class PreferenceChange(BaseModel):
    case_id: str
    changes: list[Change]
    base: PreferenceSide | None
    head: PreferenceSide | None


class PreferenceShift(BaseModel):
    base: str
    head: str
    base_rows: int
    head_rows: int
    base_abstain: int
    head_abstain: int
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    flipped: list[str] = Field(default_factory=list)
    newly_abstained: list[str] = Field(default_factory=list)
    no_longer_abstained: list[str] = Field(default_factory=list)
    changes: list[PreferenceChange] = Field(default_factory=list)
    missing: int = Field(default=0, description="Judge answers neither side could get (cancelled).")


def _side(row: PreferenceRow | None) -> PreferenceSide | None:
    if row is None:
        return None
    return PreferenceSide(
        chosen_side=row.chosen_side,
        principle_id=row.principle_id,
        probability=row.probability,
        abstain=row.abstain,
        abstain_reasons=list(row.abstain_reasons),
    )


def compare_preferences(
    base_rows: list[PreferenceRow], head_rows: list[PreferenceRow], *, base: str, head: str
) -> PreferenceShift:
    """The change from one preference set to the other, by case."""
    b = {r.case_id: r for r in base_rows}
    h = {r.case_id: r for r in head_rows}
    out = PreferenceShift(
        base=base,
        head=head,
        base_rows=len(b),
        head_rows=len(h),
        base_abstain=sum(r.abstain for r in b.values()),
        head_abstain=sum(r.abstain for r in h.values()),
    )
    for cid in [*h, *(c for c in b if c not in h)]:
        old, new = b.get(cid), h.get(cid)
        changes: list[Change] = []
        if old is None:
            changes.append("added")
        elif new is None:
            changes.append("removed")
        else:
            if old.chosen_side != new.chosen_side:
                changes.append("flipped")
            if new.abstain and not old.abstain:
                changes.append("newly-abstained")
            if old.abstain and not new.abstain:
                changes.append("no-longer-abstained")
        if not changes:
            continue
        out.changes.append(PreferenceChange(case_id=cid, changes=changes, base=_side(old), head=_side(new)))
        for change in changes:
            {
                "added": out.added,
                "removed": out.removed,
                "flipped": out.flipped,
                "newly-abstained": out.newly_abstained,
                "no-longer-abstained": out.no_longer_abstained,
            }[change].append(cid)
    return out


def preference_shift(
    base: Workspace,
    head: Workspace,
    judge: Judge,
    *,
    root: Path,
    base_ref: str,
    head_ref: str,
    locale: str | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PreferenceShift:
    """Judge both versions' pair cases (what the cache lacks is scored) and compare their preference sets."""
    sides = []
    missing = 0
    for ws, ref in ((head, head_ref), (base, base_ref)):  # head first: a cancelled run has the side under review
        pairs = [cid for cid, case in ws.cases.items() if case.kind == "pair"]
        g = gather(
            ws,
            judge,
            root=root,
            ref=ref,
            locale=locale,
            case_ids=pairs,
            score_missing=True,
            cancel=cancel,
            progress=progress,
            anchor_from=base,
        )
        missing += g.coverage.missing
        sides.append(list(preference_rows(g)))
    head_rows, base_rows = sides
    shift = compare_preferences(base_rows, head_rows, base=base_ref, head=head_ref)
    shift.missing = missing
    return shift


def preference_shift_text(shift: PreferenceShift) -> str:
    """The section `cstudio shift --preferences` prints (plain text; IDs are validated case IDs)."""
    lines = [
        f"preference set (pair cases) {shift.base} -> {shift.head}: {shift.base_rows} -> "
        f"{plural(shift.head_rows, 'row')}, "
        f"abstain {shift.base_abstain} -> {shift.head_abstain}",
        f"  added {len(shift.added)}, removed {len(shift.removed)}, flipped {len(shift.flipped)}, "
        f"newly abstained {len(shift.newly_abstained)}, no longer abstained {len(shift.no_longer_abstained)}",
    ]
    for c in shift.changes:
        before = f"{c.base.chosen_side}{' (abstain)' if c.base.abstain else ''}" if c.base else "—"
        after = f"{c.head.chosen_side}{' (abstain)' if c.head.abstain else ''}" if c.head else "—"
        lines.append(f"  {c.case_id:<20} {', '.join(c.changes):<28} chosen {before} -> {after}")
    if shift.missing:
        lines.append(f"  {plural(shift.missing, 'judge answer')} missing (cancelled): rows of those cases are left out")
    return "\n".join(lines) + "\n"
