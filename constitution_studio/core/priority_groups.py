"""The constitution's own group comments inside `priority:` ("# Tier 1: serious harm. ...").

Authors group the priority order with comments; the studio shows them as headers in the
principle list. The fast loader drops comments, so this reads the round-trip document. Only
the first sentence (at most the first line) of each comment block is the header: the rest is
the author's reasoning, which belongs in the file, not in a one-line list header.
"""

from __future__ import annotations

from typing import Any

from constitution_studio.core.yamldoc import load_roundtrip

MAX_HEADER = 72


def priority_groups(text: str) -> list[tuple[str, str]]:
    """[(first principle ID of a group, header text)] in file order; [] if none or unparsable."""
    try:
        doc = load_roundtrip(text)
    except Exception:  # a broken constitution still opens; it just has no headers
        return []
    if not isinstance(doc, dict):
        return []
    seq = doc.get("priority")
    if not isinstance(seq, list) or not hasattr(seq, "ca"):
        return []
    out: list[tuple[str, str]] = []
    first = _before_first(doc, seq)
    if seq and first:
        _add(out, seq[0], first, leading=True)
    items = seq.ca.items
    for index in range(len(seq) - 1):  # the comment after the last item belongs to the next section
        slot = items.get(index)
        if slot and slot[0] is not None:
            _add(out, seq[index + 1], _value(slot[0]), leading=False)
    return out


def _before_first(doc: Any, seq: Any) -> str:
    """The comment lines between `priority:` and its first item (ruamel keeps them in two places)."""
    pre = seq.ca.comment[1] if seq.ca.comment and len(seq.ca.comment) > 1 else None
    if not pre:
        slot = doc.ca.items.get("priority")
        pre = slot[3] if slot and len(slot) > 3 else None
    if not pre:
        return ""
    return "".join(_value(token) for token in pre)


def _value(token: Any) -> str:
    return str(getattr(token, "value", "") or "")


def _add(out: list[tuple[str, str]], pid: Any, comment: str, leading: bool) -> None:
    if not isinstance(pid, str):
        return
    header = header_text(comment, leading=leading)
    if header:
        out.append((pid, header))


def header_text(comment: str, leading: bool = True) -> str:
    """The first sentence of the comment block right above an item, cut to its first line.

    `comment` is ruamel's text after an item: unless `leading`, its first line is the rest of
    that item's own line (an inline comment), which is not a header.
    """
    lines = comment.split("\n")
    if not leading:
        lines = lines[1:]
    block: list[str] = []
    gap = False
    for line in lines:
        stripped = line.strip()
        if not stripped:
            gap = True  # a blank line ends a block: the header is the block nearest the item
        elif stripped.startswith("#"):
            if gap:
                block, gap = [], False
            text = stripped.lstrip("#").strip()
            if text:
                block.append(text)
    if not block:
        return ""
    first = block[0]
    end = first.find(". ")
    if end != -1:
        first = first[:end]
    first = first.rstrip(".").strip()
    if len(first) > MAX_HEADER:
        first = first[: MAX_HEADER - 1].rstrip() + "…"
    return first
