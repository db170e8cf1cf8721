"""Word-level diff of two wordings, for showing what a rewording changed.

Text is split into words, whitespace runs and single punctuation marks, so a changed word
never drags its neighbours in; concatenating the `equal` + `delete` ops gives the old text
back exactly, and `equal` + `insert` the new one.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from pydantic import BaseModel

_TOKEN = re.compile(r"\s+|\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)


class WordOp(BaseModel):
    """One run of the word diff: text kept, deleted (only in the old text) or inserted."""

    op: Literal["equal", "delete", "insert"]
    text: str


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[WordOp]:
    """Ops turning `old` into `new`; adjacent runs of the same op are merged."""
    a, b = tokenize(old), tokenize(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    ops: list[WordOp] = []

    def emit(op: Literal["equal", "delete", "insert"], tokens: list[str]) -> None:
        if not tokens:
            return
        text = "".join(tokens)
        if ops and ops[-1].op == op:
            ops[-1] = WordOp(op=op, text=ops[-1].text + text)
        else:
            ops.append(WordOp(op=op, text=text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            # A lone whitespace run between two changes reads better inside the change.
            if i2 - i1 == 1 and a[i1].isspace() and i1 > 0 and i2 < len(a) and ops and ops[-1].op != "equal":
                emit("delete", a[i1:i2])
                emit("insert", b[j1:j2])
            else:
                emit("equal", a[i1:i2])
        else:
            emit("delete", a[i1:i2])
            emit("insert", b[j1:j2])
    return _regroup(ops)


def _regroup(ops: list[WordOp]) -> list[WordOp]:
    """Put every delete before its insert within a changed stretch, then merge again."""
    out: list[WordOp] = []
    dels: list[str] = []
    ins: list[str] = []

    def flush() -> None:
        if dels:
            out.append(WordOp(op="delete", text="".join(dels)))
        if ins:
            out.append(WordOp(op="insert", text="".join(ins)))
        dels.clear()
        ins.clear()

    for op in ops:
        if op.op == "equal":
            flush()
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
