"""The answer key a shift is judged against: the base's (PRODUCT.md, "Who judges a pull request").

The version under review must not write its own answer key. For every case the base has, its
gold labels (overall and per principle) and its `benign` flag are the **base's**: the head's
copy of that case is judged against them. A case the base has is found at the head under the
same ID or, when its ID is gone, by the content hash of what the critic reads (a renamed case
is still the base's case).

What the head changes in the base's answer key is an *answer-key change*, one row each:

* `gold_changed`    a gold label edited (the overall one, or one principle's);
* `gold_removed`    a gold case's `gold:` removed;
* `removed`         a gold or benign case gone from the head (no case with its content either);
* `renamed`         a gold or benign case under another ID at the head (matched by content);
* `content_changed` a gold or benign case whose conversation or response(s) the head edited
                    (the base's label was given for other text);
* `unlinked`        a gold or benign case no longer linked to a principle it was linked to;
* `benign_removed`  a `benign: true` flag dropped.

What the head only adds — a new case with gold or `benign: true`, gold on a case the base left
unlabelled, a benign flag on a case the base did not flag — is scored and reported apart
(`added`) and counts from the next base on: it cannot hide a regression or lower the
over-refusal rate of the base's benign cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.resolve import case_gold, rank_map
from constitution_studio.core.models import EvalCase
from constitution_studio.core.workspace import Workspace

ChangeKind = Literal[
    "gold_changed", "gold_removed", "removed", "renamed", "content_changed", "unlinked", "benign_removed"
]
AddedKind = Literal["case", "gold", "benign"]
CHANGE_ORDER: tuple[str, ...] = (
    "gold_changed",
    "gold_removed",
    "removed",
    "renamed",
    "content_changed",
    "unlinked",
    "benign_removed",
)


class AnswerKeyChange(BaseModel):
    """One thing the head changed in the base's answer key."""

    kind: ChangeKind
    case_id: str = Field(description="The case's ID at the base.")
    head_case_id: str | None = Field(default=None, description="Its ID at the head (None: removed).")
    principle_id: str | None = Field(
        default=None,
        description="gold_changed: the principle whose own gold changed (None: the overall gold); "
        "unlinked: the principle the case no longer links to.",
    )
    old: str | None = Field(default=None, description="Base value (gold label, 'benign', or the base ID).")
    new: str | None = Field(default=None, description="Head value (None: removed).")
    message: str = Field(description="The change in words, as every report shows it.")


class AddedToKey(BaseModel):
    """A case the head adds to the answer key: scored and shown apart, counted from the next base on."""

    kind: AddedKind = Field(
        description="case: a new case; gold: gold on a case the base left unlabelled; "
        "benign: a benign flag on a case the base did not flag."
    )
    case_id: str
    gold: str | None = Field(default=None, description="The head's overall gold (None: not a gold addition).")
    benign: bool = False
    head_label: str | None = Field(default=None, description="The critic's overall label at the head.")
    agrees_with_gold: bool | None = None


class AnswerKeyReport(BaseModel):
    """The base's answer key and what the head changed or added in it."""

    gold_cases: int = Field(default=0, description="Gold cases of the base's answer key.")
    benign_cases: int = Field(default=0, description="Benign cases of the base's answer key.")
    changes: list[AnswerKeyChange] = Field(default_factory=list)
    added: list[AddedToKey] = Field(default_factory=list)
    added_gold_accuracy: float | None = Field(
        default=None, description="Head verdicts vs the head's gold on the gold it adds (shown apart, never gated)."
    )
    added_over_refusal: float | None = Field(
        default=None, description="Share of the benign cases the head adds that the head labels `violates`."
    )

    @property
    def changed_case_ids(self) -> list[str]:
        return list(dict.fromkeys(c.case_id for c in self.changes))


@dataclass(frozen=True)
class AnswerKey:
    """Gold and benign flags, keyed by the head's case IDs, that the head is judged against."""

    gold: dict[str, str] = field(default_factory=dict)  # head id -> the base's overall gold
    by_principle: dict[str, dict[str, str]] = field(default_factory=dict)  # head id -> the base's per-principle gold
    benign: frozenset[str] = frozenset()  # head ids benign at the base
    added_gold: dict[str, str] = field(default_factory=dict)  # head id -> the head's own gold (new)
    added_benign: frozenset[str] = frozenset()  # head ids the head flags benign, the base did not
    report: AnswerKeyReport = field(default_factory=AnswerKeyReport)

    def has_gold(self, case_id: str) -> bool:
        return case_id in self.gold or case_id in self.by_principle


def _in_key(case: EvalCase) -> bool:
    return case.has_gold or case.benign


def _counterparts(base: Workspace, head: Workspace) -> tuple[dict[str, str], list[str]]:
    """({base id: head id}, base ids gone) for the base's gold and benign cases.

    Same ID first; a base case whose ID is gone is matched by content hash to a head case the
    base does not have (each head case answers for one base case at most).
    """
    found: dict[str, str] = {}
    lost: list[str] = []
    for cid, case in base.cases.items():
        if not _in_key(case):
            continue
        if cid in head.cases:
            found[cid] = cid
        else:
            lost.append(cid)
    if not lost:
        return found, []
    by_hash: dict[str, list[str]] = {}
    for hid, hcase in head.cases.items():
        if hid not in base.cases:
            by_hash.setdefault(hcase.content_hash(), []).append(hid)
    gone = []
    for cid in lost:
        candidates = by_hash.get(base.cases[cid].content_hash())
        if candidates:
            found[cid] = candidates.pop(0)
        else:
            gone.append(cid)
    return found, gone


def _gold_text(gold: object) -> str | None:
    if gold is None or gold == {}:
        return None
    if isinstance(gold, dict):
        return ", ".join(f"{pid}: {label}" for pid, label in gold.items())
    return str(gold)


def _where(cid: str, hid: str | None) -> str:
    return cid if hid in (None, cid) else f"{cid} (now {hid})"


def answer_key(base: Workspace, head: Workspace) -> AnswerKey:
    """The base's answer key in the head's case IDs, with what the head changed or added in it."""
    base_rank, head_rank = rank_map(base.priority), rank_map(head.priority)
    found, gone = _counterparts(base, head)
    gold: dict[str, str] = {}
    by_principle: dict[str, dict[str, str]] = {}
    benign: set[str] = set()
    changes: list[AnswerKeyChange] = []

    def change(kind: ChangeKind, cid: str, hid: str | None, message: str, **kw: str | None) -> None:
        changes.append(AnswerKeyChange(kind=kind, case_id=cid, head_case_id=hid, message=message, **kw))  # type: ignore[arg-type]

    for cid in gone:
        case = base.cases[cid]
        what = "gold" if case.has_gold else "benign"
        shown = _gold_text(case.gold) if case.has_gold else "benign"
        change("removed", cid, None, f"{what} case {cid} ({shown}) removed from the head", old=shown)
    for cid, hid in found.items():
        b, h = base.cases[cid], head.cases[hid]
        if b.has_gold:
            overall = case_gold(b, base_rank, base.principles)
            if overall is not None:
                gold[hid] = overall
            if b.gold_by_principle:
                by_principle[hid] = b.gold_by_principle
        if b.benign:
            benign.add(hid)
        if hid != cid:
            change("renamed", cid, hid, f"case {cid} renamed to {hid} (same content)", old=cid, new=hid)
        elif b.content_hash() != h.content_hash():
            change(
                "content_changed",
                cid,
                hid,
                f"case {cid}: conversation or response edited (the base's labels were given for the old text)",
            )
        if b.has_gold and not h.has_gold:
            change(
                "gold_removed",
                cid,
                hid,
                f"{_where(cid, hid)}: gold {_gold_text(b.gold)} removed",
                old=_gold_text(b.gold),
            )
        elif b.has_gold and b.gold != h.gold:
            changes += _gold_changes(b, h, hid, base, head, (base_rank, head_rank))
        for pid in dict.fromkeys(b.principles):
            if pid not in h.principles:
                change("unlinked", cid, hid, f"{_where(cid, hid)}: no longer linked to {pid}", principle_id=pid)
        if b.benign and not h.benign:
            change("benign_removed", cid, hid, f"{_where(cid, hid)}: benign flag dropped", old="true", new="false")
    matched = set(found.values())
    added: list[AddedToKey] = []
    added_gold: dict[str, str] = {}
    added_benign: set[str] = set()
    for hid, h in head.cases.items():
        was = base.cases.get(hid)
        if hid not in matched and was is None:
            kind: AddedKind = "case"
        elif was is not None and not was.has_gold and h.has_gold:
            kind = "gold"
        elif was is not None and not was.benign and h.benign:
            kind = "benign"
        else:
            continue
        if kind == "case" and not _in_key(h):
            continue
        new_gold = case_gold(h, head_rank, head.principles) if h.has_gold and kind != "benign" else None
        is_benign = h.benign and (was is None or not was.benign)
        if new_gold is not None:
            added_gold[hid] = new_gold
        if is_benign:
            added_benign.add(hid)
        added.append(AddedToKey(kind=kind, case_id=hid, gold=new_gold, benign=is_benign))
    order = {k: i for i, k in enumerate(CHANGE_ORDER)}
    changes.sort(key=lambda c: (order[c.kind], c.case_id, c.principle_id or ""))
    report = AnswerKeyReport(
        gold_cases=sum(c.has_gold for c in base.cases.values()),
        benign_cases=sum(c.benign for c in base.cases.values()),
        changes=changes,
        added=added,
    )
    return AnswerKey(
        gold=gold,
        by_principle=by_principle,
        benign=frozenset(benign),
        added_gold=added_gold,
        added_benign=frozenset(added_benign),
        report=report,
    )


def _gold_changes(
    b: EvalCase, h: EvalCase, hid: str, base: Workspace, head: Workspace, ranks: tuple[dict[str, int], dict[str, int]]
) -> list[AnswerKeyChange]:
    """gold_changed rows: one per principle whose own base gold changed, and one for the overall gold
    when it changed (a head that only adds labels, or rewrites the same label in another form, changes
    nothing the base's key says)."""
    where = _where(b.id, hid)
    rows = []
    old_p, new_p = b.gold_by_principle, h.gold_by_principle
    for pid, label in old_p.items():
        if new_p.get(pid) != label:
            rows.append(
                AnswerKeyChange(
                    kind="gold_changed",
                    case_id=b.id,
                    head_case_id=hid,
                    principle_id=pid,
                    old=label,
                    new=new_p.get(pid),
                    message=f"{where}: {pid} gold {label} → {new_p.get(pid) or 'none'}",
                )
            )
    old, new = case_gold(b, ranks[0], base.principles), case_gold(h, ranks[1], head.principles)
    if old != new:
        rows.append(
            AnswerKeyChange(
                kind="gold_changed",
                case_id=b.id,
                head_case_id=hid,
                old=old,
                new=new,
                message=f"{where}: gold {old or 'none'} → {new or 'none'}"
                + (f" (was {_gold_text(b.gold)}, now {_gold_text(h.gold)})" if old_p or new_p else ""),
            )
        )
    return rows
