"""Unsaved edits of one principle: the text of each field, its validation, and the write-back.

Plain Python (no Textual), so the rules the editor shows are testable on their own. A draft
keeps the file's text as it was when loaded; saving parses that text round-trip, changes only
the fields the author changed, and refuses when the file changed on disk meanwhile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString

from constitution_studio.core.models import PRINCIPLE_ID_PATTERN, Principle, Status
from constitution_studio.core.source import PRINCIPLES_DIR
from constitution_studio.core.storage.journal import Transaction
from constitution_studio.core.yamldoc import YamlDocument, load_roundtrip
from constitution_studio.errors import BadInputError

# Editable fields, in the order the editor shows them.
FIELDS = ("id", "title", "status", "owner", "tags", "critique", "revision", "statement")
OPTIONAL = ("owner", "critique", "revision")
FOLD_WIDTH = 76  # folded statements are re-wrapped to this width (80 columns with the indent)

Fields = dict[str, str]


def fields_of(principle: Principle) -> Fields:
    """The editor's text form of a principle (tags comma-separated, missing optionals empty)."""
    return {
        "id": principle.id,
        "title": principle.title,
        "status": principle.status.value,
        "owner": principle.owner or "",
        "tags": ", ".join(principle.tags),
        "critique": principle.critique or "",
        "revision": principle.revision or "",
        "statement": principle.statement,
    }


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def validate_fields(values: Fields, taken_ids: set[str]) -> dict[str, str]:
    """Field -> one-line problem, for what the author typed; empty when the draft can be saved."""
    problems: dict[str, str] = {}
    pid = values.get("id", "")
    if not re.fullmatch(PRINCIPLE_ID_PATTERN, pid):
        problems["id"] = "bad ID: use PREFIX-NN, e.g. HARM-01"
    elif pid in taken_ids:
        problems["id"] = f"{pid} is already used"
    if not values.get("title", "").strip():
        problems["title"] = "title is empty"
    elif "\n" in values["title"]:
        problems["title"] = "title must be one line"
    if not values.get("statement", "").strip():
        problems["statement"] = "statement is empty"
    if values.get("status") not in {s.value for s in Status}:
        problems["status"] = "status must be draft, active or deprecated"
    if not problems:
        try:
            Principle.model_validate(model_data(values))
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else "statement"
                problems.setdefault(name if name in FIELDS else "statement", err["msg"])
    return problems


def model_data(values: Fields) -> dict[str, Any]:
    data: dict[str, Any] = {k: values[k] for k in ("id", "title", "statement", "status")}
    for key in OPTIONAL:
        data[key] = values[key] or None
    data["tags"] = split_tags(values["tags"])
    return data


def fold_positions(text: str, width: int = FOLD_WIDTH) -> list[int]:
    """Indices of the spaces where a folded block scalar should break (greedy wrap)."""
    positions: list[int] = []
    line_start = 0
    last_space = -1
    for i, ch in enumerate(text):
        if ch == "\n":
            line_start, last_space = i + 1, -1
        elif ch == " " and 0 < i < len(text) - 1 and text[i - 1] != " " and text[i + 1] != " ":
            if i - line_start > width and last_space > line_start:
                positions.append(last_space)
                line_start = last_space + 1
            last_space = i
    if len(text) - line_start > width and last_space > line_start:
        positions.append(last_space)
    return positions


@dataclass
class Draft:
    """One principle being edited: saved values, edited values, and the file text they came from."""

    key: str  # the principle's ID when loaded (the edited ID may differ)
    relpath: str
    base_text: str
    saved: Fields
    edited: Fields = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.edited:
            self.edited = dict(self.saved)

    @property
    def dirty_fields(self) -> list[str]:
        return [f for f in FIELDS if self.edited.get(f, "") != self.saved.get(f, "")]

    @property
    def dirty(self) -> bool:
        return bool(self.dirty_fields)

    def revert(self) -> None:
        self.edited = dict(self.saved)

    def rebase(self, text: str, saved: Fields) -> None:
        """Take the file as it is on disk now as the base, keeping the author's edits on top."""
        self.base_text = text
        edits = {f: self.edited[f] for f in self.dirty_fields}
        self.saved = dict(saved)
        self.edited = {**saved, **edits}


def write_draft(root: Path, draft: Draft, txn: Transaction | None = None) -> str:
    """Write the changed fields of `draft` to its file; returns the (possibly renamed) relpath.

    Raises FileChangedError (from YamlDocument.save) when the file changed on disk since it was
    loaded, and BadInputError when a rename would overwrite another file.
    """
    doc = YamlDocument(root / draft.relpath, draft.base_text.encode("utf-8"), load_roundtrip(draft.base_text))
    doc.display_path = draft.relpath
    for name in draft.dirty_fields:
        _apply(doc, name, draft.edited[name])
    new_id = draft.edited["id"]
    own = txn is None  # with a caller's transaction, only plan: the caller commits everything at once
    txn = Transaction(root) if txn is None else txn
    txn.expect(draft.relpath, doc.original)
    if new_id == draft.saved["id"]:
        txn.write(draft.relpath, doc.encoded())
        relpath = draft.relpath
    else:
        relpath = f"{PRINCIPLES_DIR}/{new_id}.yaml"
        if (root / relpath).exists():
            raise BadInputError(f"cannot rename to {new_id}: {relpath} already exists", path=draft.relpath)
        txn.expect(relpath, None)  # the new file and the old one's removal, together or not at all
        txn.write(relpath, doc.encoded(), mode_of=draft.relpath)  # a rename keeps the file's mode
        txn.delete(draft.relpath)
    if own:
        txn.commit()
    return relpath


def _apply(doc: YamlDocument, name: str, value: str) -> None:
    data = doc.data
    if name == "tags":
        tags = split_tags(value)
        current = data.get("tags")
        if isinstance(current, CommentedSeq):
            current[:] = tags  # keeps flow or block style
        else:
            data["tags"] = tags
        return
    if name in OPTIONAL and not value.strip():
        if name in data:
            data[name] = None
        return
    doc.set([name], value)
    if name == "statement" and isinstance(data["statement"], FoldedScalarString):
        data["statement"].fold_pos = fold_positions(value)  # type: ignore[attr-defined]
