"""A principle's editable fields as text: their validation in the product's words, and the edit of
its round-trip document (the studio's editor and `core/authoring.py`'s `save_principles`).

A draft keeps the file's text as it was when read; a save parses that text round-trip, changes
only the fields that changed, and refuses when the file changed on disk meanwhile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString

from constitution_studio.core.error_words import worded
from constitution_studio.core.ids import DEFAULT_ID_PATTERN, IdScheme, case_clash, file_name_problem, id_scheme
from constitution_studio.core.models import Principle, Status
from constitution_studio.core.yamldoc import YamlDocument, refold

# Editable fields, in the order the editor shows them.
FIELDS = ("id", "title", "status", "owner", "tags", "critique", "revision", "statement")
OPTIONAL = ("owner", "critique", "revision")
FOLD_WIDTH = 76  # folded statements are re-wrapped to this width (80 columns with the indent)
MAX_TITLE = 200

Fields = dict[str, str]

_BAD_TITLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


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


def title_problem(title: str) -> str | None:
    """Why a title cannot be saved (None when it can): one visible line of plain text, ≤ 200 characters."""
    if not title.strip():
        return "title is empty"
    bad = _BAD_TITLE.search(title)
    if bad is not None:
        what = "" if bad.group() in "\n\r" else f" (U+{ord(bad.group()):04X})"
        return f"title must be one line of plain text{what}"
    if len(title) > MAX_TITLE:
        return f"title is longer than {MAX_TITLE} characters"
    return None


def validate_fields(values: Fields, taken_ids: set[str], scheme: IdScheme | None = None) -> dict[str, str]:
    """Field -> one-line problem, in the product's words; empty when the draft can be saved.

    `scheme`: the constitution's ID scheme (default: today's `^[A-Z]+-[0-9]{2,}$`)."""
    problems: dict[str, str] = {}
    pid = values.get("id", "")
    scheme = scheme or id_scheme()
    clash = case_clash(pid, taken_ids)
    if scheme.problem(pid) is not None:
        problems["id"] = (
            "bad ID: use PREFIX-NN, e.g. HARM-01"
            if scheme.pattern == DEFAULT_ID_PATTERN and file_name_problem(pid) is None
            else f"bad ID: {scheme.problem(pid)}"
        )
    elif pid in taken_ids:
        problems["id"] = f"{pid} is already used"
    elif clash is not None:
        problems["id"] = f"{pid} differs only in case from {clash} (one file on macOS and Windows)"
    title = title_problem(values.get("title", ""))
    if title is not None:
        problems["title"] = title
    if not values.get("statement", "").strip():
        problems["statement"] = "statement is empty"
    if values.get("status") not in {s.value for s in Status}:
        problems["status"] = "status must be draft, active or deprecated"
    if not problems:
        data = model_data(values)
        try:
            Principle.model_validate(data)
        except ValidationError as exc:
            for err in worded(exc.errors(), data):  # the product's words, as `validate` says them
                name = str(err["loc"][0]) if err["loc"] else "statement"
                problems.setdefault(name if name in FIELDS else "statement", str(err["msg"]))
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
class PrincipleDraft:
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

    @property
    def new_id(self) -> str:
        return self.edited.get("id", self.key)

    def revert(self) -> None:
        self.edited = dict(self.saved)

    def rebase(self, text: str, saved: Fields) -> None:
        """Take the file as it is on disk now as the base, keeping the author's edits on top."""
        self.base_text = text
        edits = {f: self.edited[f] for f in self.dirty_fields}
        self.saved = dict(saved)
        self.edited = {**saved, **edits}


def apply_fields(doc: YamlDocument, draft: PrincipleDraft) -> None:
    """Set the draft's changed fields in its round-trip document (every other byte kept)."""
    for name in draft.dirty_fields:
        _apply(doc, name, draft.edited[name])


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
    old = data.get(name)
    doc.set([name], value)
    if name == "statement" and isinstance(data["statement"], FoldedScalarString):
        # the old line breaks where the text around them did not change; a greedy wrap only
        # for the lines the edit touched (git then shows those lines alone as changed)
        breaks = getattr(old, "fold_pos", None) if isinstance(old, FoldedScalarString) else None
        data["statement"].fold_pos = (  # type: ignore[attr-defined]
            refold(str(old), breaks, value, fold_positions) if breaks is not None else fold_positions(value)
        )
