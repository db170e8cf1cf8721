"""Word-level diff of two wordings, for showing what a rewording changed.

Text is split into words and single punctuation marks, each carrying the whitespace after
it, and tokens are matched on their text without that whitespace (so the matcher never
sees thousands of identical space tokens, and a re-wrapped line is not a rewording of its
words). Concatenating the `equal` + `delete` ops gives the old text back exactly, and
`equal` + `insert` the new one; where two matched words differ only in the whitespace
after them, the old and new whitespace are shown as a delete/insert pair.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from pydantic import BaseModel

_TOKEN = re.compile(r"^\s+|(?:\w+(?:['’]\w+)*|[^\w\s])\s*", re.UNICODE)


class WordOp(BaseModel):
    """One run of the word diff: text kept, deleted (only in the old text) or inserted."""

    op: Literal["equal", "delete", "insert"]
    text: str


def tokenize(text: str) -> list[str]:
    """Words and punctuation with their trailing whitespace (leading whitespace is its own token)."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[WordOp]:
    """Ops turning `old` into `new`; adjacent runs of the same op are merged."""
    a, b = tokenize(old), tokenize(new)
    ka, kb = [tok.rstrip() for tok in a], [tok.rstrip() for tok in b]
    matcher = difflib.SequenceMatcher(None, ka, kb, autojunk=False)
    ops: list[WordOp] = []

    def emit(op: Literal["equal", "delete", "insert"], text: str) -> None:
        if not text:
            return
        if ops and ops[-1].op == op:
            ops[-1] = WordOp(op=op, text=ops[-1].text + text)
        else:
            ops.append(WordOp(op=op, text=text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            emit("delete", "".join(a[i1:i2]))
            emit("insert", "".join(b[j1:j2]))
            continue
        for x, y in zip(a[i1:i2], b[j1:j2], strict=True):
            word = x.rstrip()
            emit("equal", word)
            sx, sy = x[len(word) :], y[len(word) :]
            if sx == sy:
                emit("equal", sx)
            else:  # same word, different whitespace after it (or none: end of text)
                emit("delete", sx)
                emit("insert", sy)
    return _regroup(ops)


def _regroup(ops: list[WordOp]) -> list[WordOp]:
    """Put every delete before its insert within a changed stretch, then merge again."""
    out: list[WordOp] = []
    dels: list[str] = []
    ins: list[str] = []

    def flush() -> None:
        old, new = "".join(dels), "".join(ins)
        keep = ""
        if old and new:  # whitespace both sides end with is not part of the change
            while old and new and old[-1] == new[-1] and old[-1].isspace():
                keep = old[-1] + keep
                old, new = old[:-1], new[:-1]
        if old:
            out.append(WordOp(op="delete", text=old))
        if new:
            out.append(WordOp(op="insert", text=new))
        if keep:
            out.append(WordOp(op="equal", text=keep))
        dels.clear()
        ins.clear()

    for op in ops:
        if op.op == "equal":
            flush()
            if out and out[-1].op == "equal":
                out[-1] = WordOp(op="equal", text=out[-1].text + op.text)
            else:
                out.append(op)
        elif op.op == "delete":
            dels.append(op.text)
        else:
            ins.append(op.text)
    flush()
    return out


def old_text(ops: list[WordOp]) -> str:
    return "".join(o.text for o in ops if o.op != "insert")


def new_text(ops: list[WordOp]) -> str:
    return "".join(o.text for o in ops if o.op != "delete")
