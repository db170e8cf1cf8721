"""Column and label mappings: which field of a record fills which part of a case.

`--map prompt=question,response=answer,gold=label` names, for each case field, the record's
column (or a dotted path into nested objects: `vars.question`, `metadata.id`); a column
named exactly like a case field is used without being named. `--labels
violates=unsafe,complies=safe` maps the record's label values onto gold labels (ours on the
left, as in `--map`; a label may be given several values). A mapping that names an unknown
case field or a column the file does not have is one line, exit 2, before anything is read
further.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from constitution_studio.core.imports.conversation import ConversationError, Message, is_message_list, parse_messages
from constitution_studio.core.models import PAIR_GOLD, SINGLE_GOLD
from constitution_studio.errors import BadInputError

TARGETS = ("id", "prompt", "system", "response", "a", "b", "gold", "principles", "benign", "tags", "note")
LABELS = (*SINGLE_GOLD, *PAIR_GOLD)
MAX_TEXT = 200_000  # characters of one field (a case file holds at most 1 MiB)
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


class RowError(ValueError):
    """A record that cannot become a case (reported with its `where`)."""


def _pairs(values: Iterable[str], flag: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            left, sep, right = item.partition("=")
            if not sep or not left.strip() or not right.strip():
                raise BadInputError(f"{flag} {item.strip()!r}: write FIELD=COLUMN pairs, comma-separated")
            out.append((left.strip(), right.strip()))
    return out


def parse_map(values: Sequence[str]) -> dict[str, str]:
    """`--map` values as case field -> record column; one line (exit 2) for a bad one."""
    fields: dict[str, str] = {}
    for target, source in _pairs(values, "--map"):
        if target not in TARGETS:
            raise BadInputError(f"--map {target}={source}: {target!r} is not a case field (use {', '.join(TARGETS)})")
        if target in fields and fields[target] != source:
            raise BadInputError(f"--map names {target} twice ({fields[target]} and {source})")
        fields[target] = source
    return fields


def parse_labels(values: Sequence[str]) -> dict[str, str]:
    """`--labels` values as the record's value (lower case) -> gold label."""
    labels: dict[str, str] = {}
    for ours, theirs in _pairs(values, "--labels"):
        if ours not in LABELS:
            raise BadInputError(f"--labels {ours}={theirs}: {ours!r} is not a gold label (use {', '.join(LABELS)})")
        key = theirs.lower()
        if labels.get(key, ours) != ours:
            raise BadInputError(f"--labels maps {theirs!r} to both {labels[key]} and {ours}")
        labels[key] = ours
    return labels


def lookup(data: dict[str, Any], path: str) -> tuple[bool, Any]:
    """(found, value) of a column: the key itself, else a dotted path into nested objects."""
    if path in data:
        return True, data[path]
    node: Any = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


@dataclass(frozen=True)
class Mapping:
    """Everything that decides how a record becomes a case."""

    fields: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    principles: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def check_columns(self, first: dict[str, Any], where: str, given: Iterable[str]) -> None:
        """A column the user named (`given`) that the first record lacks is a bad mapping (exit 2)."""
        for target in given:
            source = self.fields[target]
            if not lookup(first, source)[0]:
                have = ", ".join(sorted(str(k) for k in first)[:20])
                raise BadInputError(f"--map {target}={source}: no column {source!r} in {where} (it has: {have})")

    def value(self, data: dict[str, Any], target: str) -> Any:
        source = self.fields.get(target)
        if source is None:
            return None
        found, value = lookup(data, source)
        return value if found else None


@dataclass
class CaseInput:
    """A record read through the mapping: the parts of a case before its conversation is mapped."""

    messages: list[Message]
    response: str | None
    a: str | None
    b: str | None
    id: str | None
    gold: str | dict[str, str] | None
    principles: list[str]
    benign: bool
    tags: list[str]
    note: str | None
    notes: list[str] = field(default_factory=list)


def text(value: Any, name: str) -> str | None:
    """A text field: strings, numbers as written; empty is absent; objects are refused."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise RowError(f"`{name}` is not text")
    if len(value) > MAX_TEXT:
        raise RowError(f"`{name}` is longer than {MAX_TEXT:,} characters")
    return value if value.strip() else None


def _words(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[,;\s]+", str(value))
    out = [str(v).strip() for v in items if str(v).strip()]
    if any(len(v) > 200 for v in out):
        raise RowError(f"a `{name}` value is longer than 200 characters")
    return out


def _label(value: Any, labels: dict[str, str]) -> str | None:
    raw = text(value, "gold")
    if raw is None:
        return None
    key = raw.strip().lower()
    if key in labels:
        return labels[key]
    if key in LABELS:
        return key
    raise RowError(f"gold value {raw[:40]!r} is not a label; map it with --labels (e.g. violates={raw[:20]})")


def _gold(value: Any, labels: dict[str, str]) -> str | dict[str, str] | None:
    if isinstance(value, dict):
        out = {str(k): _label(v, labels) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None} or None
    return _label(value, labels)


def _benign(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = str(value if value is not None else "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise RowError(f"benign value {raw[:20]!r} is not true/false")


def read_case(data: dict[str, Any], mapping: Mapping) -> CaseInput:
    """A record through the mapping; RowError when it cannot be a case."""
    notes: list[str] = []
    prompt = mapping.value(data, "prompt")
    try:
        if is_message_list(prompt):
            messages = parse_messages(prompt, notes)
        else:
            prompt_text = text(prompt, "prompt")
            if prompt_text is None:
                raise RowError("no prompt (map one with --map prompt=COLUMN)")
            messages = [Message("user", prompt_text)]
        system = text(mapping.value(data, "system"), "system")
        if system is not None:
            messages.insert(0, Message("system", system))
    except ConversationError as exc:
        raise RowError(str(exc)) from None
    principles = list(dict.fromkeys([*mapping.principles, *_words(mapping.value(data, "principles"), "principles")]))
    return CaseInput(
        messages=messages,
        response=text(mapping.value(data, "response"), "response"),
        a=text(mapping.value(data, "a"), "a"),
        b=text(mapping.value(data, "b"), "b"),
        id=text(mapping.value(data, "id"), "id"),
        gold=_gold(mapping.value(data, "gold"), mapping.labels),
        principles=principles,
        benign=_benign(mapping.value(data, "benign")),
        tags=list(dict.fromkeys([*mapping.tags, *_words(mapping.value(data, "tags"), "tags")])),
        note=text(mapping.value(data, "note"), "note"),
        notes=notes,
    )
