"""Human verdicts written as `gold` into case files: the review queue's one write.

A verdict is written round-trip (comments, key order and scalar styles kept), atomically,
under the constitution's write lock, and only the gold line changes: who reviewed and when
goes in a comment at the end of that line (`gold: violates  # reviewed by Ada, 2026-12-01`),
so the record travels with the label through git without a new schema field. A note, when
given, goes in the case's existing `note` field (appended to a note already there).

A verdict is for the case as a whole (`principle` None: `gold: label`) or for one linked
principle (`gold: {PRINCIPLE-ID: label}`), as the reviewer says — never inferred. Adding gold
where there is none is `record_verdicts`/`record_verdict`; a verdict that would change gold
already there (another label, or the other kind of gold) is refused unless replacing is asked
for explicitly (`replace_gold`, `record_verdicts(..., replace=True)`), and each `GoldChange`
says old → new. A batch (`cstudio review --apply`) is one journalled transaction: every
verdict lands, or none does.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from constitution_studio.core.gold_edit import (
    drop_gold,
    drop_key,
    eol,
    find,
    gold_comment,
    gold_of,
    load,
    set_gold,
    set_key,
    str_or_none,
)
from constitution_studio.core.models import PAIR_GOLD, SINGLE_GOLD, EvalCase
from constitution_studio.core.sanitize import is_clean, sanitize
from constitution_studio.core.storage.journal import Transaction, recover
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.wording import gold_change, gold_text, label_word
from constitution_studio.core.workspace import Workspace
from constitution_studio.core.yamldoc import YamlDocument, YamlSyntaxError, decode, load_fast, styled_like
from constitution_studio.errors import BadInputError


@dataclass(frozen=True)
class GoldVerdict:
    """A reviewer's verdict on a case, overall (`principle` None) or for one linked principle."""

    case_id: str
    label: str
    principle: str | None = None
    reviewer: str = ""
    note: str = ""


@dataclass(frozen=True)
class GoldChange:
    """What one verdict did, enough to undo it and to say old → new."""

    case_id: str
    relpath: str
    principle: str | None
    before: str | None
    after: str
    note_before: str | None
    note_after: str | None
    comment_before: str | None = None
    gold_before: str | dict[str, str] | None = None  # the case's whole `gold` before (either kind)
    file_before: bytes | None = None  # the file's bytes around a single-verdict write (exact undo)
    file_after: bytes | None = None

    @property
    def replaced(self) -> bool:
        """Gold was there and is different now (another label, or the other kind of gold)."""
        if self.gold_before is None:
            return False
        if isinstance(self.gold_before, dict) != (self.principle is not None):
            return True
        return self.before is not None and self.before != self.after

    def describe(self) -> str:
        """`harm-014: gold (case): violates → complies` (old → new, whose gold it is)."""
        if isinstance(self.gold_before, str) and self.principle is not None:
            old = f"{gold_text(self.gold_before)} → "
            return f"{self.case_id}: {old}{gold_text(self.after, self.principle)}"
        if isinstance(self.gold_before, dict) and self.principle is None:
            given = ", ".join(f"{p} {label_word(g)}" for p, g in self.gold_before.items())
            return f"{self.case_id}: gold per principle ({given}) → {gold_text(self.after)}"
        return f"{self.case_id}: {gold_change(self.before, self.after, self.principle)}"


class GoldExistsError(BadInputError):
    """A verdict would replace gold that is already there; replacing must be asked for explicitly."""

    title = "gold already set"

    def __init__(self, replaced: list[tuple[GoldVerdict, str]]) -> None:
        self.replaced = replaced
        first = replaced[0][1]
        more = f" (and {len(replaced) - 1} more)" if len(replaced) > 1 else ""
        super().__init__(f"{first}{more}; nothing was written: replace it explicitly")


def reviewer_name(root: Path) -> str:
    """`git config user.name` at `root`, else the login name."""
    try:
        out = subprocess.run(
            ["git", "config", "user.name"], cwd=root, capture_output=True, text=True, timeout=5, check=False
        )
        name = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or os.environ.get("USER", "") or "unknown"


def check_verdict(ws: Workspace, v: GoldVerdict) -> str | None:
    """Why the verdict cannot be written to this version's case at all (None when it can).

    Replacing existing gold is not a problem here; `replacement` says whether it would.
    """
    case = ws.cases.get(v.case_id)
    if case is None:
        return f"no case {v.case_id}"
    allowed = SINGLE_GOLD if case.kind == "single" else PAIR_GOLD
    if v.label not in allowed:
        return f"verdict {v.label!r} does not fit a {case.kind} case (use {' or '.join(allowed)})"
    if v.principle is not None and v.principle not in case.principles:
        return f"case {v.case_id} is not linked to {v.principle}"
    if any(ch in v.reviewer for ch in "\n\r#") or len(v.reviewer) > 200 or not is_clean(v.reviewer):
        return "reviewer name must be one line of plain text without '#'"
    for name, text in (("note", v.note), ("reviewer", v.reviewer)):
        lone = _SURROGATE.search(text)
        if lone is not None:  # YAML cannot hold one: the file written would no longer load
            return f"the {name} holds a lone surrogate ({sanitize(lone.group())}), which a YAML file cannot store"
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _still_loads(data: bytes, relpath: str) -> None:
    """BadInputError (nothing written) when the edited file would not parse back."""
    try:
        load_fast(decode(data, relpath), relpath)
    except (BadInputError, YamlSyntaxError) as exc:
        raise BadInputError(
            f"the edit would leave the file unreadable ({exc.message}); nothing written", path=relpath
        ) from None


def existing_gold(case: EvalCase, principle: str | None) -> str | None:
    """The gold a verdict of this scope would meet: the case's overall label, or the principle's."""
    if principle is None:
        return case.gold if isinstance(case.gold, str) else None
    return case.gold_by_principle.get(principle)


def replacement(ws: Workspace, v: GoldVerdict) -> str | None:
    """What the verdict would replace, old → new (None: it only adds gold, or repeats it).

    A verdict for one principle on a case with gold for the case as a whole (or the reverse)
    replaces the case's gold with the other kind: that is a replacement too.
    """
    case = ws.cases.get(v.case_id)
    if case is None or not case.gold:
        return None
    if isinstance(case.gold, str) and v.principle is not None:
        return (
            f"{v.case_id} has {gold_text(case.gold)} for the case as a whole; a verdict for {v.principle} "
            f"replaces it with per-principle gold ({gold_text(v.label, v.principle)})"
        )
    if isinstance(case.gold, dict) and v.principle is None:
        given = ", ".join(f"{p} {label_word(g)}" for p, g in case.gold.items())
        return (
            f"{v.case_id} has gold per principle ({given}); a verdict for the case as a whole replaces it "
            f"({gold_text(v.label)})"
        )
    before = existing_gold(case, v.principle)
    if before is None or before == v.label:
        return None
    return f"{v.case_id}: {gold_change(before, v.label, v.principle)}"


def preview(ws: Workspace, v: GoldVerdict) -> GoldChange | None:
    """What `record_verdicts` would do with `v` on this version, without writing (None: it repeats
    the gold already there); its `describe()` is the line a dry run shows."""
    case = ws.cases[v.case_id]
    other_kind = bool(case.gold) and isinstance(case.gold, dict) != (v.principle is not None)
    before = None if other_kind else existing_gold(case, v.principle)
    if not other_kind and before == v.label and not v.note.strip():
        return None
    gold_before: str | dict[str, str] | None = dict(case.gold) if isinstance(case.gold, dict) else case.gold
    relpath = ws.case_paths[v.case_id]
    return GoldChange(v.case_id, relpath, v.principle, before, v.label, case.note, case.note, None, gold_before)


def updated_case(case: EvalCase, change: GoldChange) -> EvalCase:
    """The loaded case as it reads after `change` (so a caller's workspace matches the file)."""
    if change.principle is None:
        gold: str | dict[str, str] = change.after
    else:
        gold = {**case.gold_by_principle, change.principle: change.after}
    update: dict[str, Any] = {"gold": gold}
    if change.note_after != change.note_before:
        update["note"] = change.note_after
    return case.model_copy(update=update)


def record_verdicts(
    root: Path,
    ws: Workspace,
    verdicts: Sequence[GoldVerdict],
    *,
    replace: bool = False,
    restamp: bool = False,
    date: dt.date | None = None,
) -> list[GoldChange]:
    """Write every verdict in ONE transaction (all or none); returns what each did.

    BadInputError when one does not fit its case, GoldExistsError when one would replace gold
    and `replace` is False, FileChangedError when a file changed since it was read: in every
    case nothing is written. Verdicts that repeat the gold already there are skipped (not
    restamped, unless `restamp`). `ws` must be the version on disk (the caller loaded it under the same lock or
    just before); it is updated to match what was written.
    """
    for v in verdicts:
        problem = check_verdict(ws, v)
        if problem:
            raise BadInputError(problem, path=ws.case_paths.get(v.case_id))
    if not replace:
        replaced = [(v, what) for v in verdicts if (what := replacement(ws, v)) is not None]
        if replaced:
            raise GoldExistsError(replaced)
    stamp = lambda v: f"reviewed by {v.reviewer or 'unknown'}, {(date or dt.date.today()).isoformat()}"  # noqa: E731
    with constitution_lock(root):
        recover(root)
        txn = Transaction(root)
        docs: dict[str, YamlDocument] = {}
        changes: list[GoldChange] = []
        refused: list[tuple[GoldVerdict, str]] = []
        for v in verdicts:
            relpath = ws.case_paths[v.case_id]
            doc = docs.get(relpath)
            if doc is None:
                raw = txn.read(relpath)
                if raw is None:
                    raise BadInputError("the file does not exist", path=relpath)
                doc = docs[relpath] = YamlDocument.from_bytes(root / relpath, raw, relpath)
            change = _plan(doc, relpath, v, stamp(v), replace, restamp)
            if isinstance(change, str):
                refused.append((v, change))
            elif change is not None:
                changes.append(change)
        if refused:  # gold set on disk since `ws` was read
            raise GoldExistsError(refused)
        counts: dict[str, int] = {}
        for c in changes:
            counts[c.relpath] = counts.get(c.relpath, 0) + 1
        written: dict[str, tuple[bytes, bytes]] = {}
        for relpath, doc in docs.items():
            if counts.get(relpath):
                data = doc.encoded()
                _still_loads(data, relpath)  # nothing is written that the next command could not read
                txn.write(relpath, data)
                written[relpath] = (doc.original, data)
        txn.commit()
    out = []
    for c in changes:
        if counts[c.relpath] == 1:  # one verdict in the file: undo can restore its exact bytes
            c = GoldChange(**{**c.__dict__, "file_before": written[c.relpath][0], "file_after": written[c.relpath][1]})
        ws.cases[c.case_id] = updated_case(ws.cases[c.case_id], c)
        out.append(c)
    return out


def record_verdict(root: Path, ws: Workspace, v: GoldVerdict, *, date: dt.date | None = None) -> GoldChange | None:
    """Write one verdict where it adds gold (GoldExistsError when it would replace gold); None when it
    repeats the gold already there."""
    changes = record_verdicts(root, ws, [v], date=date)
    return changes[0] if changes else None


def replace_gold(root: Path, ws: Workspace, v: GoldVerdict, *, date: dt.date | None = None) -> GoldChange | None:
    """Write one verdict, replacing the gold already there; the change's `describe()` says old → new."""
    changes = record_verdicts(root, ws, [v], replace=True, date=date)
    return changes[0] if changes else None


def record_gold(root: Path, ws: Workspace, v: GoldVerdict, *, date: dt.date | None = None) -> GoldChange:
    """Write `v`, replacing gold without asking (restamped even when the label is the same).

    Kept for the studio's current review screen, through the same write as every verdict
    (`record_verdicts`); new callers use `record_verdict` / `replace_gold`, which make
    replacing explicit.
    """
    return record_verdicts(root, ws, [v], replace=True, restamp=True, date=date)[0]


def _plan(
    doc: YamlDocument, relpath: str, v: GoldVerdict, stamp: str, replace: bool, restamp: bool = False
) -> GoldChange | str | None:
    """Edit the case's item in `doc` (not written yet): the change, None when the verdict repeats
    its gold, or (without `replace`) what it would replace, old → new, read from the file itself."""
    item = find(doc, relpath, v.case_id)
    gold = item.get("gold")
    other_kind = gold is not None and isinstance(gold, dict) != (v.principle is not None)
    before = None if other_kind else gold_of(item, v.principle)
    if not other_kind and before == v.label and not v.note.strip() and not restamp:
        return None
    if not replace and (other_kind or (before is not None and before != v.label)):
        return f"{v.case_id}: gold in {relpath} is already set ({_gold_words(gold)}); this verdict: {v.label}"
    return _edit(item, relpath, v, stamp)


def _gold_words(gold: Any) -> str:
    if isinstance(gold, dict):
        return "per principle: " + ", ".join(f"{k} {label_word(str(x))}" for k, x in gold.items())
    return label_word(str(gold))


def _edit(item: CommentedMap, relpath: str, v: GoldVerdict, stamp: str) -> GoldChange:
    gold = item.get("gold")
    gold_before: str | dict[str, str] | None
    if isinstance(gold, dict):
        gold_before = {str(k): str(x) for k, x in gold.items()}
    else:
        gold_before = None if gold is None else str(gold)
    if gold is not None and isinstance(gold, dict) != (v.principle is not None):
        drop_key(item, "gold")  # the other kind of gold: replaced as a whole (explicitly asked for)
    before = gold_of(item, v.principle)
    comment = gold_comment(item, v.principle)
    set_gold(item, v.principle, v.label, stamp)
    note_before = str_or_none(item.get("note"))
    note_after = note_before
    if v.note.strip():
        line = f"{v.note.strip()} ({stamp})"
        note_after = f"{note_before}\n{line}" if note_before else line
        set_key(item, "note", styled_like(item.get("note"), note_after), after=None)
    return GoldChange(v.case_id, relpath, v.principle, before, v.label, note_before, note_after, comment, gold_before)


def undo_gold(root: Path, change: GoldChange) -> None:
    """Put the case's gold (and note) back as they were before `change`."""
    with constitution_lock(root):
        recover(root)
        if change.file_before is not None and change.file_after is not None:
            txn = Transaction(root)
            if txn.read(change.relpath) == change.file_after:  # nothing else changed: the exact old bytes
                txn.write(change.relpath, change.file_before)
                txn.commit()
                return
        doc, item = load(root, change.relpath, change.case_id)
        if gold_of(item, change.principle) != change.after or (
            change.gold_before is not None and isinstance(change.gold_before, dict) != (change.principle is not None)
        ):
            raise BadInputError(
                f"the gold label of {change.case_id} changed since it was recorded; not undone", path=change.relpath
            )
        if change.before is None:
            drop_gold(item, change.principle)
        else:
            set_gold(item, change.principle, change.before, None)
            gold = item["gold"]
            eol(gold if change.principle else item, change.principle or "gold", change.comment_before)
        if change.note_after != change.note_before:
            if change.note_before is None:
                drop_key(item, "note")
            else:
                item["note"] = styled_like(item.get("note"), change.note_before)
        doc.save()
