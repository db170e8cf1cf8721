"""Case links follow a principle to its new ID: every `cases[*].principles[*]` naming it, every
other byte of the file kept (core/authoring.py's rename and the studio's save plan these)."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml as pyyaml

from constitution_studio.core.source import CASES_DIR, is_yaml_name
from constitution_studio.core.storage.journal import Transaction
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.yamldoc import compose_fast, decode, load_fast, yaml_loader
from constitution_studio.errors import BadInputError


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
    """The file with every `cases[i].principles[j] == old_id` and every per-principle gold key
    `cases[i].gold.<old_id>` replaced, every other byte kept.

    Finds the exact scalars in libyaml's event stream (no node tree, no Python objects per
    value: a round-trip parse of a 1 MiB case file takes seconds) and swaps their text in
    place, in the scalar's own style (a plain scalar is quoted when the new ID would not read
    back as itself: a team's `id_pattern` may allow `,` or `#`). When the file uses anchors,
    aliases or tags, or the new ID needed quoting, the result is parsed again and must equal the
    old data with only those links changed. None when nothing links to `old_id`.
    """
    text = decode(raw, relpath)
    bom = 1 if text.startswith("\ufeff") else 0  # libyaml's marks do not count a BOM
    spans, unusual = _link_spans(text[bom:], relpath, old_id)
    if not spans:
        return None
    out = []
    pos = 0
    for start, end, style in spans:
        start, end = start + bom, end + bom
        piece = text[start:end]
        if _in_place(piece, old_id, new_id, style):
            piece = piece.replace(old_id, new_id, 1)
        else:  # written anew in its style (or quoted): checked by parsing below
            piece, unusual = _scalar(new_id, style), True
        out.append(text[pos:start])
        out.append(piece)
        pos = end
    out.append(text[pos:])
    new_text = "".join(out)
    if unusual:
        before, after = load_fast(text, relpath), load_fast(new_text, relpath)
        for case in before["cases"]:
            if isinstance(case, dict) and isinstance(case.get("principles"), list):
                case["principles"] = [new_id if p == old_id else p for p in case["principles"]]
            if isinstance(case, dict) and isinstance(case.get("gold"), dict):
                case["gold"] = {new_id if k == old_id else k: v for k, v in case["gold"].items()}
        if before != after:
            raise BadInputError(f"cannot relink {old_id}: the edit would change more than the links", path=relpath)
    return new_text.encode("utf-8")


def _in_place(piece: str, old_id: str, new_id: str, style: str | None) -> bool:
    """Whether swapping the text of `old_id` for `new_id` inside the scalar keeps it one scalar
    holding `new_id` (true for IDs like HARM-01 in any style)."""
    if old_id not in piece:
        return False
    if style is None:
        return _plain_ok(new_id)
    quote = "'" if style == "'" else '"\\'
    return not any(ch in quote for ch in new_id + old_id) and piece == f"{style}{old_id}{style}"


@lru_cache(maxsize=64)
def _plain_ok(value: str) -> bool:
    """`value` reads back as itself as a plain scalar in a flow and in a block list."""
    if not _PLAIN.fullmatch(value):
        return False
    try:
        return load_fast(f"a: [{value}]\nb:\n  - {value}\n") == {"a": [value], "b": [value]}
    except BadInputError:
        return False


def _scalar(value: str, style: str | None) -> str:
    """`value` as a YAML scalar in `style` (None: plain, when it reads back as itself in a flow
    or block list; else double-quoted)."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and _plain_ok(value):
        return value
    return json.dumps(value, ensure_ascii=False)


_PLAIN = re.compile(r"[^\s,\[\]{}#&*!|>'\"%@`:?-][^\s,\[\]{}#]*")


def _link_spans(text: str, relpath: str, old_id: str) -> tuple[list[tuple[int, int, str | None]], bool]:
    """Character spans of the scalars at `cases[*].principles[*]` and of the keys of `cases[*].gold` equal to
    `old_id` (with their style), and whether the file uses anchors, aliases or tags (then the caller
    double-checks by parsing)."""
    # stack of [is_mapping, current key, expecting a key]
    stack: list[list[Any]] = []
    spans: list[tuple[int, int, str | None]] = []
    unusual = False

    def at(field: str, mapping: bool) -> bool:
        """Inside `cases[*].<field>`, whose collection is a mapping (gold keys) or a list (links)."""
        return (
            len(stack) == 4
            and stack[0][0]
            and stack[0][1] == "cases"
            and not stack[1][0]
            and stack[2][0]
            and stack[2][1] == field
            and stack[3][0] == mapping
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
                    if event.value == old_id and at("gold", mapping=True):  # per-principle gold follows the link
                        spans.append((event.start_mark.index, event.end_mark.index, event.style or None))
                    top[1], top[2] = event.value, False
                    continue
                if event.value == old_id and at("principles", mapping=False):
                    spans.append((event.start_mark.index, event.end_mark.index, event.style or None))  # plain: ""
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
