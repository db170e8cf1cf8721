"""Authoring edits that write through the round-trip layer: new principle, move in priority."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedSeq

from constitution_studio.core.models import PRINCIPLE_ID_PATTERN
from constitution_studio.core.source import CASES_DIR, CONSTITUTION_FILE, PRINCIPLES_DIR
from constitution_studio.core.yamldoc import YamlDocument, atomic_write
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


def _priority(doc: YamlDocument) -> CommentedSeq:
    priority = doc.data.get("priority") if hasattr(doc.data, "get") else None
    if not isinstance(priority, CommentedSeq):
        raise BadInputError("constitution.yaml has no `priority:` list", path=CONSTITUTION_FILE)
    return priority


def new_principle(root: Path, principle_id: str, title: str, after: str | None = None) -> Path:
    """Scaffold principles/ID.yaml and place it in the priority order (after `after`, else last)."""
    if not re.fullmatch(PRINCIPLE_ID_PATTERN, principle_id):
        raise BadInputError(f"id {principle_id!r} does not match ^[A-Z]+-[0-9]{{2,}}$ (e.g. HARM-01)")
    if not title.strip() or "\n" in title:
        raise BadInputError("--title must be one non-empty line")
    path = root / PRINCIPLES_DIR / f"{principle_id}.yaml"
    if path.exists():
        raise BadInputError(f"principle {principle_id} already exists", path=f"{PRINCIPLES_DIR}/{principle_id}.yaml")
    doc = YamlDocument.load(root / CONSTITUTION_FILE, CONSTITUTION_FILE)
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
    atomic_write(path, text.encode("utf-8"))
    try:
        priority.insert(position, principle_id)
        doc.save()
    except BaseException:
        path.unlink(missing_ok=True)  # never leave half an edit behind
        raise
    return path


def move_principle(root: Path, principle_id: str, to_rank: int) -> tuple[int, int]:
    """Move an ID to 1-based rank `to_rank` in the priority list; returns (old, new) ranks."""
    doc = YamlDocument.load(root / CONSTITUTION_FILE, CONSTITUTION_FILE)
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
        doc.save()
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
    """Point every case linked to `old_id` at `new_id`; returns the case files rewritten.

    Each file is edited round-trip and saved atomically on its own; a file that changed on
    disk since it was read is refused (FileChangedError) and the files before it stay written.
    """
    written: list[str] = []
    for path in sorted((root / CASES_DIR).glob("*.y*ml")):
        if old_id.encode() not in path.read_bytes():
            continue  # cheap skip: most files never mention the ID
        relpath = f"{CASES_DIR}/{path.name}"
        doc = YamlDocument.load(path, relpath)
        cases = doc.data.get("cases") if hasattr(doc.data, "get") else None
        changed = False
        for case in cases if isinstance(cases, list) else []:
            links = case.get("principles") if hasattr(case, "get") else None
            if not isinstance(links, list):
                continue
            for i, pid in enumerate(links):
                if pid == old_id:
                    links[i] = new_id
                    changed = True
        if changed:
            doc.save()
            written.append(relpath)
    return written


def rename_principle(root: Path, old_id: str, new_id: str) -> list[str]:
    """Give a principle a new ID: its file and `id`, its place in the priority order, every case link.

    Returns the files written, in order. The new ID must be free. `diff` and `log` key
    principles by ID, so across the commit that renames it, the old and new IDs read as a
    removal and an addition.
    """
    if not re.fullmatch(PRINCIPLE_ID_PATTERN, new_id):
        raise BadInputError(f"id {new_id!r} does not match ^[A-Z]+-[0-9]{{2,}}$ (e.g. HARM-01)")
    old_rel, new_rel = f"{PRINCIPLES_DIR}/{old_id}.yaml", f"{PRINCIPLES_DIR}/{new_id}.yaml"
    if not (root / old_rel).is_file():
        raise BadInputError(f"no principle {old_id} (expected {old_rel})")
    if (root / new_rel).exists():
        raise BadInputError(f"principle {new_id} already exists", path=new_rel)
    const = YamlDocument.load(root / CONSTITUTION_FILE, CONSTITUTION_FILE)
    priority = _priority(const)
    if new_id in priority:
        raise BadInputError(f"{new_id} is already in the priority list", path=CONSTITUTION_FILE)
    doc = YamlDocument.load(root / old_rel, old_rel)
    doc.set(["id"], new_id)
    moved = YamlDocument(root / new_rel, b"", doc.data, new_rel)
    moved.save()
    (root / old_rel).unlink()
    written = [new_rel]
    if old_id in priority:
        priority[list(priority).index(old_id)] = new_id
        const.save()
        written.append(CONSTITUTION_FILE)
    return written + relink_cases(root, old_id, new_id)
