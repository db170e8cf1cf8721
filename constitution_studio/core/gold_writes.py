"""Human verdicts written as `gold` into a case file: the review queue's one write.

A verdict is written round-trip (comments, key order and scalar styles kept), atomically,
under the constitution's write lock, and only the gold line changes: who reviewed and when
goes in a comment at the end of that line (`gold: violates  # reviewed by Ada, 2026-12-01`),
so the record travels with the label through git without a new schema field. A note, when
given, goes in the case's existing `note` field (appended to a note already there).

The verdict model of the case is kept: a case with gold for the case as a whole takes an
overall verdict; a case with gold per principle (`{PRINCIPLE-ID: label}`) takes one per
principle; a case without gold takes either.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from constitution_studio.core.models import PAIR_GOLD, SINGLE_GOLD
from constitution_studio.core.storage.journal import recover
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.workspace import Workspace
from constitution_studio.core.yamldoc import YamlDocument, styled_like
from constitution_studio.errors import BadInputError

BEFORE_GOLD = ("id", "principles", "prompt", "response", "a", "b")


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
    """What one write did, enough to undo it."""

    case_id: str
    relpath: str
    principle: str | None
    before: str | None
    after: str
    note_before: str | None
    note_after: str | None
    comment_before: str | None = None


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
    """Why the verdict cannot be written to this version's case (None when it can)."""
    case = ws.cases.get(v.case_id)
    if case is None:
        return f"no case {v.case_id}"
    allowed = SINGLE_GOLD if case.kind == "single" else PAIR_GOLD
    if v.label not in allowed:
        return f"verdict {v.label!r} does not fit a {case.kind} case (use {' or '.join(allowed)})"
    if v.principle is not None:
        if v.principle not in case.principles:
            return f"case {v.case_id} is not linked to {v.principle}"
        if isinstance(case.gold, str):
            return f"case {v.case_id} has gold for the case as a whole; record an overall verdict"
    elif isinstance(case.gold, dict):
        return f"case {v.case_id} has gold per principle; record a verdict for one principle"
    if any(ch in v.reviewer for ch in "\n\r#") or len(v.reviewer) > 200:
        return "reviewer name must be one line without '#'"
    return None


def record_gold(root: Path, ws: Workspace, v: GoldVerdict, *, date: dt.date | None = None) -> GoldChange:
    """Write `v` into the case's file; BadInputError when it does not fit, FileChangedError when busy."""
    problem = check_verdict(ws, v)
    if problem:
        raise BadInputError(problem, path=ws.case_paths.get(v.case_id))
    relpath = ws.case_paths[v.case_id]
    stamp = f"reviewed by {v.reviewer or 'unknown'}, {(date or dt.date.today()).isoformat()}"
    with constitution_lock(root):
        recover(root)
        doc, item = _load(root, relpath, v.case_id)
        before = _gold_of(item, v.principle)
        comment = _gold_comment(item, v.principle)
        _set_gold(item, v.principle, v.label, stamp)
        note_before = _str_or_none(item.get("note"))
        note_after = note_before
        if v.note.strip():
            line = f"{v.note.strip()} ({stamp})"
            note_after = f"{note_before}\n{line}" if note_before else line
            _set_key(item, "note", styled_like(item.get("note"), note_after), after=None)
        doc.save()
    return GoldChange(v.case_id, relpath, v.principle, before, v.label, note_before, note_after, comment)


def undo_gold(root: Path, change: GoldChange) -> None:
    """Put the case's gold (and note) back as they were before `change`."""
    with constitution_lock(root):
        recover(root)
        doc, item = _load(root, change.relpath, change.case_id)
        if _gold_of(item, change.principle) != change.after:
            raise BadInputError(
                f"the gold label of {change.case_id} changed since it was recorded; not undone", path=change.relpath
            )
        if change.before is None:
            _drop_gold(item, change.principle)
        else:
            _set_gold(item, change.principle, change.before, None)
            gold = item["gold"]
            _eol(gold if change.principle else item, change.principle or "gold", change.comment_before)
        if change.note_after != change.note_before:
            if change.note_before is None:
                _drop_key(item, "note")
            else:
                item["note"] = styled_like(item.get("note"), change.note_before)
        doc.save()


# --- the round-trip edit ---------------------------------------------------------------


def _load(root: Path, relpath: str, case_id: str) -> tuple[YamlDocument, CommentedMap]:
    doc = YamlDocument.load(root / relpath, relpath)
    cases = doc.data.get("cases") if isinstance(doc.data, CommentedMap) else None
    if isinstance(cases, CommentedSeq):
        for item in cases:
            if isinstance(item, CommentedMap) and item.get("id") == case_id:
                return doc, item
    raise BadInputError(f"case {case_id} is not in the file (was it moved or deleted?)", path=relpath)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _gold_of(item: CommentedMap, principle: str | None) -> str | None:
    gold = item.get("gold")
    if principle is None:
        return None if gold is None or isinstance(gold, dict) else str(gold)
    return _str_or_none(gold.get(principle)) if isinstance(gold, dict) else None


def _gold_comment(item: CommentedMap, principle: str | None) -> str | None:
    if principle is None:
        return eol_comment(item, "gold") if "gold" in item else None
    gold = item.get("gold")
    return eol_comment(gold, principle) if isinstance(gold, CommentedMap) and principle in gold else None


def _set_gold(item: CommentedMap, principle: str | None, label: str, stamp: str | None) -> None:
    """Set the label; `stamp` becomes the line's comment (None: the line's comment is left as is)."""
    if principle is None:
        _set_key(item, "gold", styled_like(item.get("gold"), label), after=BEFORE_GOLD)
        if stamp is not None:
            _eol(item, "gold", stamp)
        return
    gold = item.get("gold")
    if isinstance(gold, CommentedMap):
        _set_key(gold, principle, styled_like(gold.get(principle), label), after=None)
    else:
        gold = CommentedMap()
        gold[principle] = label
        _set_key(item, "gold", gold, after=BEFORE_GOLD)
    if stamp is not None:
        _eol(gold, principle, stamp)


def _drop_gold(item: CommentedMap, principle: str | None) -> None:
    if principle is None:
        _drop_key(item, "gold")
        return
    gold = item.get("gold")
    if not isinstance(gold, CommentedMap) or principle not in gold:
        return
    if len(gold) == 1:
        _drop_key(item, "gold")
    else:
        _drop_key(gold, principle)


def eol_comment(item: CommentedMap, key: str) -> str | None:
    """The comment at the end of `key`'s line (without '#'), None when there is none."""
    own, _ = _split(item, key)
    own = own.strip()
    return own[1:].strip() if own.startswith("#") else None


def _split(item: CommentedMap, key: str) -> tuple[str, str]:
    """(comment on the key's own line, the comment lines after it) of a scalar-valued key."""
    entry = item.ca.items.get(key)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return "", ""
    own, _, rest = token.value.partition("\n")
    return own, rest


def _set_comment(item: CommentedMap, key: str, own: str, rest: str) -> None:
    value = (own + "\n" if own.strip() else "\n") + rest if (own.strip() or rest) else ""
    entry = item.ca.items.get(key)
    if not value:
        if entry is not None:
            entry[2] = None
            if not any(entry):
                item.ca.items.pop(key, None)
        return
    token = CommentToken(value, CommentMark(0), None)
    if entry is None:
        item.ca.items[key] = [None, None, token, None]
    else:
        entry[2] = token


def _last_scalar(item: CommentedMap, key: str) -> tuple[CommentedMap, str]:
    """Where the comment lines after `key`'s value are held: the key, or its nested map's last key."""
    value = item[key]
    while isinstance(value, CommentedMap) and value:
        item, key = value, list(value)[-1]
        value = item[key]
    return item, key


def _set_key(item: CommentedMap, key: str, value: Any, *, after: tuple[str, ...] | None) -> None:
    """Set `key`, inserting a new key after the last of `after` present (None: at the end).

    The comment lines that followed the key it lands after (e.g. the next case's leading
    comment, held by a case's last key) move below the new key, so they stay where they were.
    """
    if key in item:
        item[key] = value
        return
    keys = list(item)
    present = [i for i, k in enumerate(keys) if after is None or k in after]
    position = present[-1] + 1 if present else len(keys)
    item.insert(position, key, value)
    if position > 0:
        src_map, src_key = _last_scalar(item, keys[position - 1])
        own, rest = _split(src_map, src_key)
        if rest:
            _set_comment(src_map, src_key, own, "")
            dst_map, dst_key = _last_scalar(item, key)
            dst_own, _ = _split(dst_map, dst_key)
            _set_comment(dst_map, dst_key, dst_own, rest)


def _eol(item: CommentedMap, key: str, text: str | None) -> None:
    """`key: value  # text` (no comment when `text` is None), keeping the comment lines after the key."""
    _, rest = _split(item, key)
    _set_comment(item, key, f" # {text}" if text else "", rest)


def _drop_key(item: CommentedMap, key: str) -> None:
    """Remove `key`; the comment lines that followed it go to the key before it."""
    keys = list(item)
    if key not in item:
        return
    src_map, src_key = _last_scalar(item, key)
    _, rest = _split(src_map, src_key)
    item.ca.items.pop(key, None)
    del item[key]
    i = keys.index(key)
    if rest and i > 0:
        dst_map, dst_key = _last_scalar(item, keys[i - 1])
        own, _ = _split(dst_map, dst_key)
        _set_comment(dst_map, dst_key, own, rest)
