"""The round-trip edit of one case's `gold` and `note` (core/gold_writes.py's write).

Comment handling: ruamel hangs the comment lines that follow a key on that key (or on the
last key of its nested map); adding, replacing or dropping a key moves those lines along so
that every other comment stays where it was in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from constitution_studio.core.yamldoc import YamlDocument, styled_like
from constitution_studio.errors import BadInputError

BEFORE_GOLD = ("id", "principles", "prompt", "response", "a", "b")


def load(root: Path, relpath: str, case_id: str) -> tuple[YamlDocument, CommentedMap]:
    doc = YamlDocument.load(root / relpath, relpath)
    return doc, find(doc, relpath, case_id)


def find(doc: YamlDocument, relpath: str, case_id: str) -> CommentedMap:
    cases = doc.data.get("cases") if isinstance(doc.data, CommentedMap) else None
    if isinstance(cases, CommentedSeq):
        for item in cases:
            if isinstance(item, CommentedMap) and item.get("id") == case_id:
                return item
    raise BadInputError(f"case {case_id} is not in the file (was it moved or deleted?)", path=relpath)


def str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def gold_of(item: CommentedMap, principle: str | None) -> str | None:
    gold = item.get("gold")
    if principle is None:
        return None if gold is None or isinstance(gold, dict) else str(gold)
    return str_or_none(gold.get(principle)) if isinstance(gold, dict) else None


def gold_comment(item: CommentedMap, principle: str | None) -> str | None:
    if principle is None:
        return eol_comment(item, "gold") if "gold" in item else None
    gold = item.get("gold")
    return eol_comment(gold, principle) if isinstance(gold, CommentedMap) and principle in gold else None


def set_gold(item: CommentedMap, principle: str | None, label: str, stamp: str | None) -> None:
    """Set the label; `stamp` becomes the line's comment (None: the line's comment is left as is)."""
    if principle is None:
        set_key(item, "gold", styled_like(item.get("gold"), label), after=BEFORE_GOLD)
        if stamp is not None:
            eol(item, "gold", stamp)
        return
    gold = item.get("gold")
    if isinstance(gold, CommentedMap):
        set_key(gold, principle, styled_like(gold.get(principle), label), after=None)
    else:
        gold = CommentedMap()
        gold[principle] = label
        set_key(item, "gold", gold, after=BEFORE_GOLD)
    if stamp is not None:
        eol(gold, principle, stamp)


def drop_gold(item: CommentedMap, principle: str | None) -> None:
    if principle is None:
        drop_key(item, "gold")
        return
    gold = item.get("gold")
    if not isinstance(gold, CommentedMap) or principle not in gold:
        return
    if len(gold) == 1:
        drop_key(item, "gold")
    else:
        drop_key(gold, principle)


def eol_comment(item: CommentedMap, key: str) -> str | None:
    """The comment at the end of `key`'s line (without '#'), None when there is none."""
    own, _ = split(item, key)
    own = own.strip()
    return own[1:].strip() if own.startswith("#") else None


def split(item: CommentedMap, key: str) -> tuple[str, str]:
    """(comment on the key's own line, the comment lines after it) of a scalar-valued key."""
    entry = item.ca.items.get(key)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return "", ""
    own, _, rest = token.value.partition("\n")
    return own, rest


def set_comment(item: CommentedMap, key: str, own: str, rest: str) -> None:
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


def last_scalar(item: CommentedMap, key: str) -> tuple[CommentedMap, str]:
    """Where the comment lines after `key`'s value are held: the key, or its nested map's last key."""
    value = item[key]
    while isinstance(value, CommentedMap) and value:
        item, key = value, list(value)[-1]
        value = item[key]
    return item, key


def set_key(item: CommentedMap, key: str, value: Any, *, after: tuple[str, ...] | None) -> None:
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
        src_map, src_key = last_scalar(item, keys[position - 1])
        own, rest = split(src_map, src_key)
        if rest:
            set_comment(src_map, src_key, own, "")
            dst_map, dst_key = last_scalar(item, key)
            dst_own, _ = split(dst_map, dst_key)
            set_comment(dst_map, dst_key, dst_own, rest)


def eol(item: CommentedMap, key: str, text: str | None) -> None:
    """`key: value  # text` (no comment when `text` is None), keeping the comment lines after the key."""
    _, rest = split(item, key)
    set_comment(item, key, f" # {text}" if text else "", rest)


def drop_key(item: CommentedMap, key: str) -> None:
    """Remove `key`; the comment lines that followed it go to the key before it."""
    keys = list(item)
    if key not in item:
        return
    src_map, src_key = last_scalar(item, key)
    _, rest = split(src_map, src_key)
    item.ca.items.pop(key, None)
    del item[key]
    i = keys.index(key)
    if rest and i > 0:
        dst_map, dst_key = last_scalar(item, keys[i - 1])
        own, _ = split(dst_map, dst_key)
        set_comment(dst_map, dst_key, own, rest)
