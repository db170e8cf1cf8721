"""Authoring edits: new principle, move in priority, rename everywhere, and a principle's save.

`save_principles` is the one write of principle files for every surface: the studio's save
and `cstudio rename` call it (a rename is a save with the `id` changed), so both give the same
bytes.

Each takes the constitution's lock, reads the files it edits through the transaction (so a
file changed meanwhile is refused), plans every write, and commits them all at once through
the journal (see storage/journal.py): a killed or failed run leaves the old or the new
constitution, never a mix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ruamel.yaml.comments import CommentedSeq

from constitution_studio.core.ids import (
    DEFAULT_ID_PATTERN,
    MAX_ID,
    IdScheme,
    case_clash,
    file_name_problem,
    id_scheme,
    pattern_problem,
)
from constitution_studio.core.models import PLACEHOLDER_STATEMENT
from constitution_studio.core.principle_fields import PrincipleDraft, apply_fields, fields_of
from constitution_studio.core.relink import case_files, plan_relink, relink_cases, relink_text
from constitution_studio.core.source import CONSTITUTION_FILE, PRINCIPLES_DIR
from constitution_studio.core.storage.journal import Transaction
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.storage.safe_paths import read_in_root
from constitution_studio.core.workspace import Workspace, load_root
from constitution_studio.core.yamldoc import YamlDocument, decode, load_fast, load_roundtrip
from constitution_studio.errors import BadInputError

__all__ = [  # the relink helpers moved to core/relink.py; importable from here as before
    "case_files",
    "plan_relink",
    "relink_cases",
    "relink_text",
]

_TEMPLATE = """\
# {id}: {title}
# Scaffolded by `cstudio new`; write the statement the critic should judge against,
# then link eval cases to it (a case's `principles:` list) and set status to active.
id: {id_yaml}
title: {title_yaml}
statement: >-
  {placeholder}
critique: Identify specific ways in which the response does not follow this principle.
revision: Rewrite the response so that it follows this principle.
status: draft
owner:
tags: []
"""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Characters YAML or a terminal would not keep as one visible line of text.
_SURROGATE = re.compile("[\ud800-\udfff]")
_BAD_TITLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def check_title(title: str) -> None:
    """A title is one visible line: no line breaks (CR, NEL, U+2028), control or bidi characters."""
    if not title.strip():
        raise BadInputError("--title must not be empty")
    if _SURROGATE.search(title):  # bytes that were not UTF-8 on the command line (surrogateescape)
        raise BadInputError("--title is not valid UTF-8 text; nothing was written")
    bad = _BAD_TITLE.search(title)
    if bad is not None:
        raise BadInputError(f"--title must be one line of plain text (it contains U+{ord(bad.group()):04X})")
    if len(title) > 200:
        raise BadInputError("--title is longer than 200 characters")


def check_new_id(principle_id: str, scheme: IdScheme | None = None, taken: Iterable[str] = ()) -> None:
    """BadInputError unless `principle_id` fits the constitution's `id_pattern` (default: today's),
    can be a file name on Linux, macOS and Windows, and differs from every `taken` ID by more than
    case (an ID equal to one of them is left to the caller's "already exists")."""
    if len(principle_id) > MAX_ID:
        raise BadInputError(f"id {principle_id[:20]}... is longer than {MAX_ID} characters")
    (scheme or id_scheme()).check(principle_id)
    clash = case_clash(principle_id, taken)
    if clash is not None and clash != principle_id:
        raise BadInputError(
            f"id {principle_id} differs only in case from {clash}: on macOS and Windows both are one file"
        )


def scheme_of(doc: YamlDocument) -> IdScheme:
    """The ID scheme constitution.yaml declares (`id_pattern`, else the default); BadInputError when unusable."""
    pattern = doc.data.get("id_pattern", DEFAULT_ID_PATTERN) if hasattr(doc.data, "get") else DEFAULT_ID_PATTERN
    problem = pattern_problem(pattern) if isinstance(pattern, str) else "id_pattern is not a string"
    if problem is not None:
        raise BadInputError(f"{problem}; fix it first", path=CONSTITUTION_FILE)
    return id_scheme(str(pattern))


def _principle_stems(root: Path) -> list[str]:
    try:
        names = os.listdir(root / PRINCIPLES_DIR)
    except OSError:
        return []
    return [PurePosixPath(n).stem for n in names if n.endswith((".yaml", ".yml")) and n != "constitution.yaml"]


def id_scalar(principle_id: str) -> str:
    """The ID as a YAML scalar: plain when it reads back as itself, else double-quoted."""
    try:
        plain = load_fast(f"id: {principle_id}\n")
    except BadInputError:
        plain = None
    return principle_id if plain == {"id": principle_id} else _quote(principle_id)


def _priority(doc: YamlDocument) -> CommentedSeq:
    priority = doc.data.get("priority") if hasattr(doc.data, "get") else None
    if not isinstance(priority, CommentedSeq):
        raise BadInputError("constitution.yaml has no `priority:` list", path=CONSTITUTION_FILE)
    return priority


def _load(txn: Transaction, relpath: str) -> YamlDocument:
    raw = txn.read(relpath)
    if raw is None:
        raise BadInputError("the file does not exist", path=relpath)
    return YamlDocument.from_bytes(txn.root / relpath, raw, relpath)


def new_principle(root: Path, principle_id: str, title: str, after: str | None = None) -> Path:
    """Scaffold principles/ID.yaml and place it in the priority order (after `after`, else last)."""
    if len(principle_id) > MAX_ID or file_name_problem(principle_id):  # before any path is built from it
        check_new_id(principle_id)
    check_title(title)
    rel = f"{PRINCIPLES_DIR}/{principle_id}.yaml"
    with constitution_lock(root):
        txn = Transaction(root)
        for name in (f"{principle_id}.yaml", f"{principle_id}.yml"):
            if os.path.lexists(root / PRINCIPLES_DIR / name):
                raise BadInputError(f"principle {principle_id} already exists", path=f"{PRINCIPLES_DIR}/{name}")
        doc = _load(txn, CONSTITUTION_FILE)
        check_new_id(principle_id, scheme_of(doc), _principle_stems(root))
        priority = _priority(doc)
        if principle_id in priority:
            raise BadInputError(f"{principle_id} is already in the priority list", path=CONSTITUTION_FILE)
        if after is None:
            position = len(priority)
        elif after in priority:
            position = list(priority).index(after) + 1
        else:
            raise BadInputError(f"--after {after}: no such principle in the priority list", path=CONSTITUTION_FILE)
        text = _TEMPLATE.format(
            id=principle_id,
            id_yaml=id_scalar(principle_id),
            title=title,
            title_yaml=_quote(title),
            placeholder=PLACEHOLDER_STATEMENT,
        )
        load_fast(text, rel)  # what we write must read back
        insert_ids(priority, position, [principle_id])
        txn.expect(rel, None)
        txn.write(rel, text.encode("utf-8"))
        txn.write(CONSTITUTION_FILE, doc.encoded())
        txn.commit()
    return root / rel


def move_principle(root: Path, principle_id: str, to_rank: int) -> tuple[int, int]:
    """Move an ID to 1-based rank `to_rank` in the priority list; returns (old, new) ranks."""
    with constitution_lock(root):
        txn = Transaction(root)
        doc = _load(txn, CONSTITUTION_FILE)
        priority = _priority(doc)
        ids = list(priority)
        if principle_id not in ids:
            raise BadInputError(f"{principle_id} is not in the priority list", path=CONSTITUTION_FILE)
        if not 1 <= to_rank <= len(ids):
            raise BadInputError(f"--to {to_rank} is out of range (1..{len(ids)})")
        old = ids.index(principle_id)
        new = to_rank - 1
        if old != new:
            reorder(priority, old, new)
            txn.write(CONSTITUTION_FILE, doc.encoded())
            txn.commit()
    return old + 1, new + 1


def reorder(seq: CommentedSeq, old: int, new: int) -> None:
    """Move one item of a round-trip list; each item's own comment moves with it.

    The comment block that follows the whole list (ruamel hangs it on the last item) stays
    at the end of the list, so moving the last item does not drag the next section's
    comments along.
    """
    last = len(seq) - 1
    comments = seq.ca.items
    slots = [comments.get(i) for i in range(len(seq))]
    tail = _split_tail(slots[last])
    values = list(seq)
    values.insert(new, values.pop(old))
    slots.insert(new, slots.pop(old))
    seq[:] = values
    comments.clear()
    for i, slot in enumerate(slots):
        if slot is not None:
            comments[i] = slot
    if tail is not None:
        _attach_tail(seq, last, tail)


def insert_ids(seq: CommentedSeq, position: int, ids: list[str]) -> None:
    """Insert IDs into a round-trip list at `position`; at the end, the comment block that follows
    the list (ruamel hangs it on the last item) stays after the list instead of above the new IDs."""
    last = len(seq) - 1
    tail = _split_tail(seq.ca.items.get(last)) if position >= len(seq) and seq else None
    for offset, item in enumerate(ids):
        seq.insert(position + offset, item)
    if tail is not None:
        _attach_tail(seq, len(seq) - 1, tail)


def _split_tail(slot: list[Any] | None) -> str | None:
    """Split a last-item comment slot into (the item's own inline comment, what follows the list)."""
    if not slot or slot[0] is None:
        return None
    token = slot[0]
    value: str = token.value
    first_newline = value.find("\n")
    if first_newline == -1 or first_newline == len(value) - 1:
        return None
    token.value = value[: first_newline + 1]
    return value[first_newline + 1 :]


def _attach_tail(seq: CommentedSeq, last: int, trailing: str) -> None:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    slot = seq.ca.items.get(last)
    if slot is not None and slot[0] is not None:
        slot[0].value = slot[0].value + trailing
    else:
        token = CommentToken("\n" + trailing, CommentMark(0), None)
        seq.ca.items[last] = [token, None]


def rename_target(root: Path, ws: Workspace, old_id: str, new_id: str, priority: list[str]) -> str:
    """Where a rename of `old_id` to `new_id` writes the principle (its file's suffix kept), after
    every check a rename makes, in the CLI and in the studio alike; BadInputError otherwise.

    OLD must be a loaded principle; NEW an ID under the constitution's `id_pattern` that can be
    a file name on every OS and that no principle, no broken principle file (`NEW.yaml` or
    `NEW.yml`, loaded or not) and no priority entry uses, not even in another case (a rename
    that changes only case is refused: on macOS and Windows it is one file).
    """
    if old_id not in ws.principles:
        raise BadInputError(f"no principle {old_id}: not the id of any loaded principle file")
    if new_id == old_id:
        raise BadInputError(f"{old_id} already has that ID")
    check_new_id(new_id, ws.id_scheme, [*ws.principles, *ws.broken_ids, *priority])
    if new_id in ws.principles or new_id in ws.broken_ids:
        raise BadInputError(f"principle {new_id} already exists", path=ws.principle_paths.get(new_id))
    for name in (f"{new_id}.yaml", f"{new_id}.yml"):
        if os.path.lexists(root / PRINCIPLES_DIR / name):
            raise BadInputError(f"principle {new_id} already exists", path=f"{PRINCIPLES_DIR}/{name}")
    if new_id in priority:
        raise BadInputError(f"{new_id} is already in the priority list", path=CONSTITUTION_FILE)
    return f"{PRINCIPLES_DIR}/{new_id}{PurePosixPath(ws.principle_paths[old_id]).suffix}"


@dataclass
class SaveResult:
    """What `save_principles` wrote: each draft's file now, the order, and the relinked case files."""

    paths: dict[str, str] = field(default_factory=dict)  # draft key (old ID) -> its relpath now
    texts: dict[str, str] = field(default_factory=dict)  # draft key -> its file's exact text now
    order: list[str] | None = None  # the priority order written (None: constitution.yaml untouched)
    constitution_text: str | None = None
    relinked: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # every relpath written or created, in order


def draft_from_disk(root: Path, ws: Workspace, principle_id: str) -> PrincipleDraft:
    """A draft of a loaded principle over its file's exact text as it is on disk now."""
    relpath = ws.principle_paths.get(principle_id)
    if relpath is None:
        raise BadInputError(f"no principle {principle_id}: not the id of any loaded principle file")
    raw = read_in_root(root, relpath)
    if raw is None:
        raise BadInputError("the file does not exist", path=relpath)
    return PrincipleDraft(principle_id, relpath, decode(raw, relpath), fields_of(ws.principles[principle_id]))


def save_principles(
    root: Path,
    ws: Workspace,
    drafts: list[PrincipleDraft],
    *,
    order: list[str] | None = None,
    constitution_text: str | None = None,
) -> SaveResult:
    """Write principle edits — fields, a new ID (a rename), the priority order — in ONE transaction.

    The one write of a principle, for the studio's save and `cstudio new/rename` alike. Each
    draft's changed fields are set in its file (every other byte kept); a changed `id` is a
    rename by `rename_target`'s rules: the file gets the new ID and keeps its suffix and mode,
    the priority entry and every case link follow. `order` (IDs before any rename) is the new
    priority order. `constitution_text` is constitution.yaml as the caller read it (the studio):
    the save is refused when it changed on disk since; without it the file is read now. Drafts
    whose base text is not what is on disk are refused (FileChangedError) — nothing is written.
    """
    result = SaveResult()
    dirty = [d for d in drafts if d.dirty]
    renames = {d.key: d.new_id for d in dirty if d.new_id != d.key}
    with constitution_lock(root):
        txn = Transaction(root)
        const: YamlDocument | None = None
        if order is not None or renames:
            if constitution_text is not None:
                const = YamlDocument(
                    root / CONSTITUTION_FILE,
                    constitution_text.encode("utf-8"),
                    load_roundtrip(constitution_text, CONSTITUTION_FILE),
                    CONSTITUTION_FILE,
                )
                txn.expect(CONSTITUTION_FILE, const.original)
            else:
                const = _load(txn, CONSTITUTION_FILE)
        priority = [str(x) for x in _priority(const)] if const is not None else list(ws.priority)
        taken: set[str] = set()
        for draft in dirty:
            doc = YamlDocument(
                root / draft.relpath, draft.base_text.encode("utf-8"), load_roundtrip(draft.base_text, draft.relpath)
            )
            doc.display_path = draft.relpath
            apply_fields(doc, draft)
            txn.expect(draft.relpath, doc.original)
            if draft.key in renames:
                new_id = renames[draft.key]
                if new_id in taken:
                    raise BadInputError(f"two principles would be renamed to {new_id}")
                taken.add(new_id)
                relpath = rename_target(root, ws, draft.key, new_id, [p for p in priority if p not in renames])
                txn.expect(relpath, None)  # the new file and the old one's removal: together or not at all
                txn.write(relpath, doc.encoded(), mode_of=draft.relpath)  # a rename keeps the file's mode
                txn.delete(draft.relpath)
            else:
                relpath = draft.relpath
                txn.write(relpath, doc.encoded())
            result.paths[draft.key] = relpath
            result.texts[draft.key] = decode(doc.encoded(), relpath)
            result.written.append(relpath)
        if const is not None:
            seq = _priority(const)
            changed = False
            for i, pid in enumerate(list(seq)):
                if pid in renames:
                    seq[i] = renames[pid]
                    changed = True
            target = [renames.get(p, p) for p in (order if order is not None else priority)]
            for i, pid in enumerate(target):
                current = [str(x) for x in seq]
                j = current.index(pid, i) if pid in current[i:] else -1
                if j > i:
                    reorder(seq, j, i)
                    changed = True
            if changed:  # an untouched constitution.yaml is never re-serialised
                data = const.encoded()
                txn.write(CONSTITUTION_FILE, data)
                result.order = target
                result.constitution_text = decode(data, CONSTITUTION_FILE)
                result.written.append(CONSTITUTION_FILE)
        for old_id, new_id in renames.items():  # cases follow the principle to its new ID
            linked = sorted({ws.case_paths[cid] for cid in ws.links.get(old_id, []) if cid in ws.case_paths})
            planned = plan_relink(txn, linked, old_id, new_id)
            result.relinked += [p for p in planned if p not in result.relinked]
        result.written += [p for p in result.relinked if p not in result.written]
        txn.commit()
    return result


def rename_principle(root: Path, old_id: str, new_id: str, ws: Workspace | None = None) -> list[str]:
    """Give a principle a new ID: its file and `id`, its place in the priority order, every case link.

    `save_principles` with the ID changed (the studio's save makes the same call). Every file is
    planned first (each target parsed), then all are written in one journalled transaction, or
    none. `ws` (the loaded, valid constitution) says where the principle and its cases are;
    without it the work tree is loaded here. Returns the files written.
    """
    with constitution_lock(root):
        if ws is None:
            ws = load_root(root)
        draft = draft_from_disk(root, ws, old_id)
        draft.edited["id"] = new_id
        if new_id == old_id:
            raise BadInputError(f"{old_id} already has that ID")
        return save_principles(root, ws, [draft]).written
