"""Authoring edits: new principle, move in priority, rename everywhere.

Each takes the constitution's lock, reads the files it edits through the transaction (so a
file changed meanwhile is refused), plans every write, and commits them all at once through
the journal (see storage/journal.py): a killed or failed run leaves the old or the new
constitution, never a mix.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml as pyyaml
from ruamel.yaml.comments import CommentedSeq

from constitution_studio.core.models import PRINCIPLE_ID_PATTERN
from constitution_studio.core.source import CASES_DIR, CONSTITUTION_FILE, PRINCIPLES_DIR, is_yaml_name
from constitution_studio.core.storage.journal import Transaction
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.workspace import Workspace, load_root
from constitution_studio.core.yamldoc import YamlDocument, compose_fast, decode, load_fast, yaml_loader
from constitution_studio.errors import BadInputError

_TEMPLATE = """\
# {id}: {title}
# Scaffolded by `cstudio new`; write the statement the critic should judge against,
# then link eval cases to it (a case's `principles:` list) and set status to active.
id: {id}
title: {title_yaml}
statement: >-
  Describe, as a rule about the assistant's response, what this principle asks for.
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


def check_new_id(principle_id: str) -> None:
    if len(principle_id) > 64:
        raise BadInputError(f"id {principle_id[:20]}... is longer than 64 characters")
    if not re.fullmatch(PRINCIPLE_ID_PATTERN, principle_id):
        raise BadInputError(f"id {principle_id!r} does not match ^[A-Z]+-[0-9]{{2,}}$ (e.g. HARM-01)")


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
    check_new_id(principle_id)
    check_title(title)
    rel = f"{PRINCIPLES_DIR}/{principle_id}.yaml"
    with constitution_lock(root):
        txn = Transaction(root)
        for name in (f"{principle_id}.yaml", f"{principle_id}.yml"):
            if os.path.lexists(root / PRINCIPLES_DIR / name):
                raise BadInputError(f"principle {principle_id} already exists", path=f"{PRINCIPLES_DIR}/{name}")
        doc = _load(txn, CONSTITUTION_FILE)
        priority = _priority(doc)
        if principle_id in priority:
            raise BadInputError(f"{principle_id} is already in the priority list", path=CONSTITUTION_FILE)
        if after is None:
            position = len(priority)
        elif after in priority:
            position = list(priority).index(after) + 1
        else:
            raise BadInputError(f"--after {after}: no such principle in the priority list", path=CONSTITUTION_FILE)
        text = _TEMPLATE.format(id=principle_id, title=title, title_yaml=_quote(title))
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


def relink_cases(root: Path, old_id: str, new_id: str) -> list[str]:
    """Point every case linked to `old_id` at `new_id` in one transaction; returns the files written."""
    with constitution_lock(root):
        txn = Transaction(root)
        written = plan_relink(txn, case_files(root), old_id, new_id)
        txn.commit()
    return written


def case_files(root: Path) -> list[str]:
    """Root-relative paths of the case files (the one naming rule of source.is_yaml_name)."""
    folder = root / CASES_DIR
    if not folder.is_dir():
        return []
    return [f"{CASES_DIR}/{name}" for name in sorted(os.listdir(folder)) if is_yaml_name(name)]


def plan_relink(txn: Transaction, relpaths: list[str], old_id: str, new_id: str) -> list[str]:
    """Add to `txn` the case-file edits that relink `old_id` to `new_id`; returns the files planned."""
    planned: list[str] = []
    for relpath in relpaths:
        raw = txn.read(relpath)
        if raw is None or old_id.encode() not in raw:
            continue  # cheap skip: most files never mention the ID
        new = relink_text(raw, relpath, old_id, new_id)
        if new is not None:
            txn.write(relpath, new)
            planned.append(relpath)
    return planned


def relink_text(raw: bytes, relpath: str, old_id: str, new_id: str) -> bytes | None:
    """The file with every `cases[i].principles[j] == old_id` replaced, every other byte kept.

    Finds the exact scalars in libyaml's event stream (no node tree, no Python objects per
    value: a round-trip parse of a 1 MiB case file takes seconds) and swaps their text in
    place. Both IDs match ^[A-Z]+-[0-9]{2,}$, so a plain or quoted scalar stays one scalar.
    When the file uses anchors, aliases or tags, the result is parsed again and must equal
    the old data with only those links changed. None when nothing links to `old_id`.
    """
    text = decode(raw, relpath)
    bom = 1 if text.startswith("\ufeff") else 0  # libyaml's marks do not count a BOM
    spans, unusual = _link_spans(text[bom:], relpath, old_id)
    spans = [(start + bom, end + bom) for start, end in spans]
    if not spans:
        return None
    out = []
    pos = 0
    for start, end in spans:
        piece = text[start:end]
        if old_id not in piece:
            raise BadInputError(f"cannot relink {old_id}: a link is written in an unusual way", path=relpath)
        out.append(text[pos:start])
        out.append(piece.replace(old_id, new_id, 1))
        pos = end
    out.append(text[pos:])
    new_text = "".join(out)
    if unusual:
        before, after = load_fast(text, relpath), load_fast(new_text, relpath)
        for case in before["cases"]:
            if isinstance(case, dict) and isinstance(case.get("principles"), list):
                case["principles"] = [new_id if p == old_id else p for p in case["principles"]]
        if before != after:
            raise BadInputError(f"cannot relink {old_id}: the edit would change more than the links", path=relpath)
    return new_text.encode("utf-8")


def _link_spans(text: str, relpath: str, old_id: str) -> tuple[list[tuple[int, int]], bool]:
    """Character spans of the scalars at `cases[*].principles[*]` equal to `old_id`, and whether
    the file uses anchors, aliases or tags (then the caller double-checks by parsing)."""
    # stack of [is_mapping, current key, expecting a key]
    stack: list[list[Any]] = []
    spans: list[tuple[int, int]] = []
    unusual = False

    def at_link() -> bool:
        return (
            len(stack) == 4
            and stack[0][0]
            and stack[0][1] == "cases"
            and not stack[1][0]
            and stack[2][0]
            and stack[2][1] == "principles"
            and not stack[3][0]
        )

    def value_done() -> None:
        if stack and stack[-1][0]:
            stack[-1][2] = True

    try:
        for event in pyyaml.parse(text, Loader=yaml_loader()):
            kind = type(event)
            if kind is pyyaml.ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    unusual = True
                top = stack[-1] if stack else None
                if top is not None and top[0] and top[2]:
                    top[1], top[2] = event.value, False
                    continue
                if event.value == old_id and at_link():
                    spans.append((event.start_mark.index, event.end_mark.index))
                value_done()
            elif kind is pyyaml.MappingStartEvent or kind is pyyaml.SequenceStartEvent:
                if event.anchor is not None or (event.tag is not None and not event.implicit):
                    unusual = True
                if stack and stack[-1][0] and stack[-1][2]:
                    unusual = True  # a complex (non-scalar) key
                stack.append([kind is pyyaml.MappingStartEvent, None, True])
            elif kind is pyyaml.MappingEndEvent or kind is pyyaml.SequenceEndEvent:
                stack.pop()
                value_done()
            elif kind is pyyaml.AliasEvent:
                unusual = True
                value_done()
    except pyyaml.YAMLError:
        compose_fast(text, relpath)  # raises the YamlSyntaxError with its line
        raise
    return spans, unusual


def rename_principle(root: Path, old_id: str, new_id: str, ws: Workspace | None = None) -> list[str]:
    """Give a principle a new ID: its file and `id`, its place in the priority order, every case link.

    OLD must be a loaded principle and NEW a valid, unused ID. Every file is planned first
    (each target parsed), then all are written in one journalled transaction, or none.
    `ws` (the loaded, valid constitution) says where the principle and its cases are;
    without it the work tree is loaded here.
    """
    check_new_id(new_id)
    with constitution_lock(root):
        if ws is None:
            ws = load_root(root)
        if old_id not in ws.principles:
            raise BadInputError(f"no principle {old_id}: not the id of any loaded principle file")
        if new_id == old_id:
            raise BadInputError(f"{old_id} already has that ID")
        old_rel = ws.principle_paths[old_id]
        new_rel = f"{PRINCIPLES_DIR}/{new_id}{PurePosixPath(old_rel).suffix}"
        if new_id in ws.principles or new_id in ws.broken_ids:
            raise BadInputError(f"principle {new_id} already exists", path=ws.principle_paths.get(new_id))
        for name in (f"{new_id}.yaml", f"{new_id}.yml"):
            if os.path.lexists(root / PRINCIPLES_DIR / name):
                raise BadInputError(f"principle {new_id} already exists", path=f"{PRINCIPLES_DIR}/{name}")
        txn = Transaction(root)
        const = _load(txn, CONSTITUTION_FILE)
        priority = _priority(const)
        if new_id in priority:
            raise BadInputError(f"{new_id} is already in the priority list", path=CONSTITUTION_FILE)
        doc = _load(txn, old_rel)
        doc.set(["id"], new_id)
        txn.expect(new_rel, None)
        txn.write(new_rel, doc.encoded(), mode_of=old_rel)  # the renamed file keeps its mode
        txn.delete(old_rel)
        written = [new_rel]
        if old_id in priority:
            priority[list(priority).index(old_id)] = new_id
            txn.write(CONSTITUTION_FILE, const.encoded())
            written.append(CONSTITUTION_FILE)
        case_files = sorted({ws.case_paths[cid] for cid in ws.links.get(old_id, [])})
        written += plan_relink(txn, case_files, old_id, new_id)
        txn.commit()
    return written
