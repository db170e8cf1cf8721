"""Structural diff of two versions of a constitution, keyed by principle and case ID.

Text lines do not matter here: a principle is the same principle when its ID is the same,
whatever file holds it. Rules (docs/diff-json.md explains them for readers of the JSON):

- a principle can carry several kinds at once: `added`, `removed`, `reworded` (statement),
  `reworded_locale` (a `locales:` addendum added, edited or removed: a reword of what the
  judge reads for that locale, named in `locales_reworded`),
  `fields` (title, status, owner, tags, critique, revision — named in `fields`),
  `moved` (priority), `links` (cases linked to it added or removed);
- `moved` is reported only for principles whose order *relative to the others* changed: the
  principles kept in both priority lists are matched by a longest increasing subsequence
  (the largest set that kept its relative order) and every principle outside it moved.
  A removal or insertion above a principle shifts its rank but does not make it `moved`;
  `rank_base`/`rank_head` are given for every principle all the same. A principle that
  entered or left the priority list while existing in both versions is `moved` too. When
  several smallest sets exist (two neighbours swapped) the choice is deterministic: the
  principle that went up is the one reported;
- added and removed principles carry only that kind (their cases are in `links_*` empty);
- cases are `added`, `removed`, `changed` (fields other than the links, named in `fields`)
  and `relinked` (principles added to or removed from the case).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Literal

from pydantic import BaseModel, Field

from constitution_studio.core.models import EvalCase, Principle
from constitution_studio.core.worddiff import WordOp, word_diff
from constitution_studio.core.workspace import Workspace

PrincipleKind = Literal["added", "removed", "reworded", "reworded_locale", "fields", "moved", "links"]
CaseKind = Literal["added", "removed", "changed", "relinked"]

PRINCIPLE_FIELDS = ("title", "status", "owner", "tags", "critique", "revision", "locales")
CASE_FIELDS = ("prompt", "response", "a", "b", "gold", "benign", "tags", "note")
PRINCIPLE_KINDS: tuple[PrincipleKind, ...] = (
    "added",
    "removed",
    "reworded",
    "reworded_locale",
    "fields",
    "moved",
    "links",
)
CASE_KINDS: tuple[CaseKind, ...] = ("added", "removed", "changed", "relinked")


class PrincipleChange(BaseModel):
    """What happened to one principle between base and head."""

    id: str
    title: str = Field(description="Head title (base title when removed).")
    changes: list[PrincipleKind]
    fields: list[str] = Field(default_factory=list, description="Changed fields when `fields` is a kind.")
    rank_base: int | None = None
    rank_head: int | None = None
    statement_base: str | None = None
    statement_head: str | None = None
    words: list[WordOp] = Field(default_factory=list, description="Word diff of the statement when reworded.")
    locales_reworded: list[str] = Field(
        default_factory=list, description="Locales whose addendum was added, edited or removed (reworded_locale)."
    )
    locale_words: dict[str, list[WordOp]] = Field(
        default_factory=dict, description="Word diff of each reworded addendum (base → head)."
    )
    links_added: list[str] = Field(default_factory=list)
    links_removed: list[str] = Field(default_factory=list)
    path_base: str | None = None
    path_head: str | None = None


class CaseChange(BaseModel):
    """What happened to one eval case between base and head."""

    id: str
    changes: list[CaseKind]
    fields: list[str] = Field(default_factory=list)
    principles_added: list[str] = Field(default_factory=list)
    principles_removed: list[str] = Field(default_factory=list)
    principles: list[str] = Field(default_factory=list, description="Head links (base links when removed).")
    path_base: str | None = None
    path_head: str | None = None


class SettingChange(BaseModel):
    """One changed value under `critic:` or `check:` in constitution.yaml (dotted key)."""

    key: str = Field(description="e.g. critic.threshold, check.max_over_refusal_increase")
    base: Any = None
    head: Any = None


class DiffSummary(BaseModel):
    """Counts per kind; a principle or case with several kinds counts once in each."""

    principles: dict[str, int] = Field(default_factory=dict)
    cases: dict[str, int] = Field(default_factory=dict)
    principles_changed: int = 0
    cases_changed: int = 0


class ConstitutionDiff(BaseModel):
    """The structural diff; `principles` in head priority order, then removed ones, then unranked."""

    base: str
    head: str
    base_commit: str | None = None
    head_commit: str | None = None
    priority_base: list[str] = Field(default_factory=list)
    priority_head: list[str] = Field(default_factory=list)
    priority_changed: bool = False
    principles: list[PrincipleChange] = Field(default_factory=list)
    cases: list[CaseChange] = Field(default_factory=list)
    settings: list[SettingChange] = Field(
        default_factory=list, description="Changed critic: and check: settings (who judges, and by what rules)."
    )
    summary: DiffSummary = Field(default_factory=DiffSummary)

    @property
    def empty(self) -> bool:
        return not self.principles and not self.cases and not self.priority_changed and not self.settings

    @property
    def critic_changed(self) -> bool:
        return any(s.key.startswith("critic.") for s in self.settings)

    def principle(self, principle_id: str) -> PrincipleChange | None:
        return next((p for p in self.principles if p.id == principle_id), None)

    def case(self, case_id: str) -> CaseChange | None:
        return next((c for c in self.cases if c.id == case_id), None)


# --- priority moves ---------------------------------------------------------------------


def _dedupe(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def moved_ids(base_order: list[str], head_order: list[str]) -> set[str]:
    """IDs in both orders whose relative order changed (outside a longest common subsequence).

    The orders hold distinct IDs, so the LCS is a longest increasing subsequence of the base
    positions read in head order: O(n log n), fine for thousands of principles.
    """
    base_order, head_order = _dedupe(base_order), _dedupe(head_order)
    if base_order == head_order:
        return set()
    common = set(base_order) & set(head_order)
    base_order = [p for p in base_order if p in common]
    head_order = [p for p in head_order if p in common]
    # A common prefix and suffix always belong to some longest common subsequence: only the
    # middle needs the search (a single move touches just the stretch it crossed).
    start = 0
    while start < len(base_order) and base_order[start] == head_order[start]:
        start += 1
    end = len(base_order)
    while end > start and base_order[end - 1] == head_order[end - 1]:
        end -= 1
    base_order, head_order = base_order[start:end], head_order[start:end]
    base_pos = {pid: i for i, pid in enumerate(base_order)}
    seq = [(base_pos[pid], pid) for pid in head_order if pid in base_pos]
    tails: list[int] = []  # smallest tail value of an increasing run of each length
    tail_idx: list[int] = []  # index into seq of that tail
    prev = [-1] * len(seq)
    for i, (pos, _) in enumerate(seq):
        k = bisect_left(tails, pos)
        if k == len(tails):
            tails.append(pos)
            tail_idx.append(i)
        else:
            tails[k] = pos
            tail_idx[k] = i
        prev[i] = tail_idx[k - 1] if k else -1
    keep: set[str] = set()
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        keep.add(seq[i][1])
        i = prev[i]
    return {pid for _, pid in seq if pid not in keep}


# --- principles and cases -----------------------------------------------------------------


def _changed_fields(old: object, new: object, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if getattr(old, name) != getattr(new, name)]


def _principle_change(
    pid: str, base: Workspace, head: Workspace, moved: set[str], ranks: tuple[dict[str, int], dict[str, int]]
) -> PrincipleChange | None:
    old: Principle | None = base.principles.get(pid)
    new: Principle | None = head.principles.get(pid)
    rank_base, rank_head = ranks[0].get(pid), ranks[1].get(pid)
    change = PrincipleChange(
        id=pid,
        title=(new or old).title,  # type: ignore[union-attr]
        changes=[],
        rank_base=rank_base,
        rank_head=rank_head,
        statement_base=old.statement if old else None,
        statement_head=new.statement if new else None,
        path_base=base.principle_paths.get(pid),
        path_head=head.principle_paths.get(pid),
    )
    if old is None:
        change.changes = ["added"]
        return change
    if new is None:
        change.changes = ["removed"]
        return change
    kinds: list[PrincipleKind] = []
    if old.statement != new.statement:
        kinds.append("reworded")
        change.words = word_diff(old.statement, new.statement)
    codes = sorted(set(old.locales) | set(new.locales))
    change.locales_reworded = [c for c in codes if old.locales.get(c, "") != new.locales.get(c, "")]
    if change.locales_reworded:
        kinds.append("reworded_locale")
        change.locale_words = {
            c: word_diff(old.locales.get(c, ""), new.locales.get(c, "")) for c in change.locales_reworded
        }
    change.fields = [f for f in _changed_fields(old, new, PRINCIPLE_FIELDS) if f != "locales"]
    if change.fields:
        kinds.append("fields")
    if pid in moved or (rank_base is None) != (rank_head is None):
        kinds.append("moved")
    links_base = set(base.links.get(pid, []))
    links_head = set(head.links.get(pid, []))
    change.links_added = sorted(links_head - links_base)
    change.links_removed = sorted(links_base - links_head)
    if change.links_added or change.links_removed:
        kinds.append("links")
    if not kinds:
        return None
    change.changes = kinds
    return change


def _case_change(cid: str, base: Workspace, head: Workspace) -> CaseChange | None:
    old: EvalCase | None = base.cases.get(cid)
    new: EvalCase | None = head.cases.get(cid)
    if old is new and base.case_paths.get(cid) == head.case_paths.get(cid):
        return None  # the same object (the studio's unsaved head shares the saved cases): unchanged
    change = CaseChange(
        id=cid,
        changes=[],
        principles=list((new or old).principles),  # type: ignore[union-attr]
        path_base=base.case_paths.get(cid),
        path_head=head.case_paths.get(cid),
    )
    if old is None:
        change.changes = ["added"]
        return change
    if new is None:
        change.changes = ["removed"]
        return change
    if old == new:
        return None
    kinds: list[CaseKind] = []
    change.fields = _changed_fields(old, new, CASE_FIELDS)
    if change.fields:
        kinds.append("changed")
    old_links, new_links = _dedupe(old.principles), _dedupe(new.principles)
    change.principles_added = [p for p in new_links if p not in old_links]
    change.principles_removed = [p for p in old_links if p not in new_links]
    if change.principles_added or change.principles_removed:
        kinds.append("relinked")
    if not kinds:  # only the order of links changed
        return None
    change.changes = kinds
    return change


def _summary(principles: list[PrincipleChange], cases: list[CaseChange]) -> DiffSummary:
    summary = DiffSummary(
        principles={k: 0 for k in PRINCIPLE_KINDS},
        cases={k: 0 for k in CASE_KINDS},
        principles_changed=len(principles),
        cases_changed=len(cases),
    )
    for p in principles:
        for k in p.changes:
            summary.principles[k] += 1
    for c in cases:
        for ck in c.changes:
            summary.cases[ck] += 1
    return summary


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = value


def settings_changes(base: Workspace, head: Workspace) -> list[SettingChange]:
    """Every value under critic: and check: that differs (defaults filled in on both sides)."""
    out: list[SettingChange] = []
    for section in ("critic", "check"):
        flat: list[dict[str, Any]] = []
        for ws in (base, head):
            values: dict[str, Any] = {}
            if ws.constitution is not None:
                _flatten(section, getattr(ws.constitution, section).model_dump(mode="json"), values)
            flat.append(values)
        for key in sorted(set(flat[0]) | set(flat[1])):
            if flat[0].get(key) != flat[1].get(key):
                out.append(SettingChange(key=key, base=flat[0].get(key), head=flat[1].get(key)))
    return out


def structural_diff(
    base: Workspace, head: Workspace, *, base_commit: str | None = None, head_commit: str | None = None
) -> ConstitutionDiff:
    """What changed from `base` to `head`, keyed by ID (see the module docstring for the rules)."""
    prio_base, prio_head = _dedupe(base.priority), _dedupe(head.priority)
    ranks = ({p: i + 1 for i, p in enumerate(prio_base)}, {p: i + 1 for i, p in enumerate(prio_head)})
    both = set(base.principles) & set(head.principles)
    moved = moved_ids([p for p in prio_base if p in both], [p for p in prio_head if p in both])
    # Order: head order (priority, then unranked), then removed ones in base order.
    order = head.ordered_principle_ids() + [p for p in base.ordered_principle_ids() if p not in head.principles]
    principles = [c for pid in order if (c := _principle_change(pid, base, head, moved, ranks)) is not None]
    case_order = list(head.cases) + [c for c in base.cases if c not in head.cases]
    cases = [cc for cid in case_order if (cc := _case_change(cid, base, head)) is not None]
    return ConstitutionDiff(
        base=base.label,
        head=head.label,
        base_commit=base_commit,
        head_commit=head_commit,
        priority_base=list(base.priority),
        priority_head=list(head.priority),
        priority_changed=list(base.priority) != list(head.priority),
        principles=principles,
        cases=cases,
        settings=settings_changes(base, head),
        summary=_summary(principles, cases),
    )
