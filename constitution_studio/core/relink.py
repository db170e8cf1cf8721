"""Case links follow a principle to its new ID: every `cases[*].principles[*]` naming it, every
other byte of the file kept (core/authoring.py's rename and the studio's save plan these)."""

from __future__ import annotations

import os
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
