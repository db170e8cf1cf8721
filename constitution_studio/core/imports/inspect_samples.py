"""inspect-style datasets as records: samples with `input`, `target`, `id` and `metadata`.

A sample's `input` is a string or a message list with roles (system, user, assistant, tool;
see conversation.py for how each lands in a case). The judged response is the input's last
assistant message when it ends with one, and the `target` otherwise (the first target of a
list). When the response comes from the input, the target is kept in the case's note.
`choices`, `files`, `setup` and `sandbox` do not map (counted in the report). Files are
JSONL, JSON (a list of samples) or CSV (`input,target,id` columns).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from constitution_studio.core.imports.conversation import is_message_list
from constitution_studio.core.imports.records import Record, read_records

DEFAULTS = {"prompt": "input", "response": "response", "note": "note", "id": "id"}
UNMAPPED = ("choices", "files", "setup", "sandbox")


def _target(value: Any, notes: list[str]) -> str | None:
    if isinstance(value, list):
        texts = [v for v in value if isinstance(v, str)]
        if len(texts) > 1:
            notes.append("target is a list: its first entry is used")
        return texts[0] if texts else None
    return value if isinstance(value, str) else None


def _sample(data: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    record = dict(data)
    target = _target(data.get("target"), notes)
    given = data.get("input")
    ends_with_answer = isinstance(given, list) and is_message_list(given) and given[-1].get("role") == "assistant"
    record["response"] = None if ends_with_answer else target
    record["note"] = f"target: {target}" if ends_with_answer and target else None
    for key in UNMAPPED:
        if data.get(key):
            notes.append(f"sample `{key}` not mapped")
    return record


def read_samples(path: Path) -> tuple[Iterator[Record], list[str]]:
    """The records of an inspect dataset file, and notes (appended to as records are read)."""
    notes: list[str] = []

    def records() -> Iterator[Record]:
        for record in read_records(path):
            yield Record(record.where, _sample(record.data, notes))

    return records(), notes
