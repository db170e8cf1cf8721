"""Eval cases written in place: add, edit, delete one case in an `eval_cases/` file, round-trip.

The studio's case form works on a `CaseDraft` (plain text fields); `validate_case` gives the
same finding codes `cstudio validate` reports (schema, case-kind, gold-kind, duplicate-case-id,
unknown-principle-link), per field, so they can be shown as the author types. Writes load the
file round-trip, change only what the draft changed, and save atomically; a file that changed
on disk since it was read is refused (`FileChangedError` from `YamlDocument.save`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from constitution_studio.core.conversation import Turn
from constitution_studio.core.models import EvalCase
from constitution_studio.core.source import CASES_DIR
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.storage.safe_paths import check_write_target
from constitution_studio.core.workspace import Workspace
from constitution_studio.core.yamldoc import YamlDocument, styled_like
from constitution_studio.errors import BadInputError

Kind = Literal["single", "pair"]
FILE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$"
NEW_FILE_HEADER = "# Eval cases written in Constitution Studio.\ncases: []\n"


@dataclass(frozen=True)
class CaseDraft:
    """A case as the form edits it: turns as (role, text), responses by kind, optional labels.

    `loaded_turns` are the case's turns as loaded: a turn of the same role at the same place
    keeps their tool keys (`name`, `call_id`, `tool_calls`), which the form does not edit."""

    id: str
    principles: tuple[str, ...]
    turns: tuple[tuple[str, str], ...] = (("user", ""),)
    loaded_turns: tuple[Turn, ...] = ()
    kind: Kind = "single"
    response: str = ""
    a: str = ""
    b: str = ""
    gold: str | dict[str, str] | None = None  # overall, or per linked principle
    benign: bool = False
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def with_(self, **changes: Any) -> CaseDraft:
        return replace(self, **changes)


def draft_of(case: EvalCase) -> CaseDraft:
    """The form's view of a loaded case."""
    return CaseDraft(
        id=case.id,
        principles=tuple(case.principles),
        turns=tuple((t.role, t.content) for t in case.turns),
        loaded_turns=tuple(case.turns),
        kind=case.kind,
        response=case.response or "",
        a=case.a or "",
        b=case.b or "",
        gold=dict(case.gold) if isinstance(case.gold, dict) else case.gold,
        benign=case.benign,
        note=case.note or "",
        tags=tuple(case.tags),
    )


def case_data(draft: CaseDraft) -> dict[str, Any]:
    """The plain mapping written to the file, in the house key order; empty optionals left out."""
    data: dict[str, Any] = {"id": draft.id, "principles": list(draft.principles)}
    if len(draft.turns) == 1 and draft.turns[0][0] == "user":
        data["prompt"] = draft.turns[0][1]
    else:
        data["prompt"] = [_turn_data(draft, index) for index in range(len(draft.turns))]
    if draft.kind == "single":
        data["response"] = draft.response
    else:
        data["a"], data["b"] = draft.a, draft.b
    if draft.gold:
        data["gold"] = dict(draft.gold) if isinstance(draft.gold, dict) else draft.gold
    if draft.benign:
        data["benign"] = True
    if draft.tags:
        data["tags"] = list(draft.tags)
    if draft.note.strip():
        data["note"] = draft.note
    return data


def _turn_data(draft: CaseDraft, index: int) -> dict[str, Any]:
    """One turn as written: role, the tool keys it had when loaded (if still the same role), content."""
    role, text = draft.turns[index]
    data: dict[str, Any] = {"role": role}
    loaded = draft.loaded_turns[index] if index < len(draft.loaded_turns) else None
    if loaded is None or loaded.role != role:
        data["content"] = text
        return data
    if loaded.name is not None:
        data["name"] = loaded.name
    if loaded.call_id is not None:
        data["call_id"] = loaded.call_id
    if text or "content" in loaded.model_fields_set or not loaded.tool_calls:
        data["content"] = text
    if loaded.tool_calls is not None:
        data["tool_calls"] = [call.model_dump(exclude_unset=True) for call in loaded.tool_calls]
    return data


def _field_of(loc: tuple[Any, ...], etype: str) -> str:
    if etype in ("case-kind",):
        return "response"
    if etype in ("gold-kind", "gold-link"):
        return "gold"
    if not loc:
        return "id"
    name = str(loc[0])
    return "turns" if name == "prompt" else name


def validate_case(draft: CaseDraft, ws: Workspace, original_id: str | None = None) -> dict[str, tuple[str, str]]:
    """Field -> (finding code, message), as `cstudio validate` would report the written case.

    `original_id` is the case's ID on disk when editing (its own ID is not a duplicate).
    Empty when the case can be saved.
    """
    problems: dict[str, tuple[str, str]] = {}
    if not any(text.strip() for _, text in draft.turns):
        problems["turns"] = ("schema", "the prompt is empty")
    if draft.kind == "single" and not draft.response.strip():
        problems["response"] = ("schema", "the response is empty")
    if draft.kind == "pair":
        for name in ("a", "b"):
            if not getattr(draft, name).strip():
                problems[name] = ("case-kind", f"a pair case needs both `a` and `b` ({name} is empty)")
    try:
        EvalCase.model_validate(case_data(draft))
    except ValidationError as exc:
        for err in exc.errors():
            etype = str(err["type"])
            code = etype if etype in ("case-kind", "gold-kind", "gold-link", "prompt-turns", "tool-turn") else "schema"
            name = _field_of(tuple(err["loc"]), etype)
            message = err["msg"]
            if etype == "string_pattern_mismatch" and name == "id":
                message = "bad case ID: letters, digits, '.', '_' or '-' (e.g. harm-012)"
            problems.setdefault(name, (code, message))
    if draft.id != original_id and draft.id in ws.cases:
        problems.setdefault(
            "id", ("duplicate-case-id", f"case id {draft.id} is also used in {ws.case_paths[draft.id]}")
        )
    unknown = [p for p in draft.principles if p not in ws.principles]
    if unknown:
        problems.setdefault(
            "principles",
            ("unknown-principle-link", f"linked to unknown principle {', '.join(unknown)}"),
        )
    if not draft.principles:
        problems.setdefault("principles", ("schema", "link the case to at least one principle"))
    return problems


def next_case_id(ws: Workspace, principle_id: str) -> str:
    """A free ID in the style of the principle's cases: `harm-008` after `harm-007`."""
    prefix = principle_id.split("-")[0].lower()
    numbers = [
        int(m.group(1)) for cid in ws.cases if (m := re.fullmatch(rf"{re.escape(prefix)}-(\d+)", cid)) is not None
    ]
    n = max(numbers, default=0) + 1
    while f"{prefix}-{n:03d}" in ws.cases:
        n += 1
    return f"{prefix}-{n:03d}"


def file_for(ws: Workspace, principle_id: str) -> str | None:
    """The case file most of the principle's cases live in (where a new case goes by default)."""
    counts: dict[str, int] = {}
    for cid in ws.links.get(principle_id, []):
        path = ws.case_paths.get(cid)
        if path is not None:
            counts[path] = counts.get(path, 0) + 1
    if counts:
        return max(sorted(counts), key=lambda p: counts[p])
    return None


def check_case_file(relpath: str) -> str:
    """A case file path the author named, normalised to `eval_cases/NAME.yaml`; BadInputError if unsafe."""
    name = relpath.strip()
    if name.startswith(f"{CASES_DIR}/"):
        name = name[len(CASES_DIR) + 1 :]
    if not name.endswith((".yaml", ".yml")):
        name += ".yaml"
    if not re.fullmatch(FILE_NAME_PATTERN, name):
        raise BadInputError(f"case file name {relpath!r}: use letters, digits, '.', '_' or '-' (e.g. new-cases.yaml)")
    return f"{CASES_DIR}/{name}"


# --- writes ----------------------------------------------------------------------------


def _load(root: Path, relpath: str, create: bool = False) -> tuple[YamlDocument, CommentedSeq]:
    path, _mode = check_write_target(root, relpath)  # inside the root, a regular writable file
    if create and not path.exists():
        doc = YamlDocument.new(path, NEW_FILE_HEADER, relpath)
    else:
        doc = YamlDocument.load(path, relpath)
    cases = doc.data.get("cases") if isinstance(doc.data, CommentedMap) else None
    if not isinstance(cases, CommentedSeq):
        raise BadInputError("the file has no `cases:` list", path=relpath)
    if not cases and cases.fa.flow_style():
        cases.fa.set_block_style()
    return doc, cases


def _index(cases: CommentedSeq, case_id: str, relpath: str) -> int:
    for i, item in enumerate(cases):
        if isinstance(item, CommentedMap) and item.get("id") == case_id:
            return i
    raise BadInputError(f"case {case_id} is not in the file (was it moved or deleted?)", path=relpath)


def _round_trip_value(value: Any) -> Any:
    if isinstance(value, dict):
        return CommentedMap((k, _round_trip_value(v) if isinstance(v, list | dict) else v) for k, v in value.items())
    if isinstance(value, list) and value and isinstance(value[0], dict):
        seq = CommentedSeq(_round_trip_value(item) for item in value)
        for item in seq:
            if isinstance(item.get("content"), str) and "\n" in item["content"].rstrip("\n"):
                item["content"] = styled_like(None, item["content"])
        return seq
    if isinstance(value, list):
        seq = CommentedSeq(value)
        seq.fa.set_flow_style()  # `principles: [HARM-01, HELP-01]`, as the example files write links
        return seq
    if isinstance(value, str):
        return styled_like(None, value)
    return value


def case_item(data: dict[str, Any]) -> CommentedMap:
    """A case's plain mapping (`case_data`) as the round-trip item written to a file, in the house style."""
    item = CommentedMap()
    for key, value in data.items():
        item[key] = _round_trip_value(value)
    return item


def add_case(root: Path, relpath: str, draft: CaseDraft) -> str:
    """Append a case to `relpath` (created when missing); returns the relpath written."""
    relpath = check_case_file(relpath)
    with constitution_lock(root):  # held from reading the file until the write is on disk
        doc, cases = _load(root, relpath, create=True)
        cases.append(case_item(case_data(draft)))
        doc.save()
    return relpath


def update_case(root: Path, relpath: str, case_id: str, draft: CaseDraft) -> str:
    """Write the draft over case `case_id` in `relpath`, touching only the keys whose value changed."""
    with constitution_lock(root):
        return _update(root, relpath, case_id, draft)


def _update(root: Path, relpath: str, case_id: str, draft: CaseDraft) -> str:
    doc, cases = _load(root, relpath)
    item = cases[_index(cases, case_id, relpath)]
    new = case_data(draft)
    last = list(item)[-1] if item else None
    tail = item.ca.items.get(last) if last is not None else None  # holds the next case's leading comment
    for key in [k for k in item if k not in new]:
        del item[key]
    for key, value in new.items():
        old = item.get(key)
        if _plain(old) == value:
            continue
        if isinstance(value, str) and isinstance(old, str):
            item[key] = styled_like(old, value)
        elif key == "prompt" and isinstance(old, str) != isinstance(value, str):
            item[key] = _round_trip_value(value)
        elif key == "prompt" and isinstance(old, CommentedSeq) and len(old) == len(value):
            _merge_turns(old, value)  # only the changed keys of the changed turns are rewritten
        elif isinstance(old, CommentedSeq) and isinstance(value, list) and not (value and isinstance(value[0], dict)):
            old[:] = value  # keeps flow or block style
        else:
            item[key] = _round_trip_value(value)
    if list(item) != list(new):  # a new key lands in house order, not at the end
        _order_keys(item, list(new))
    if tail is not None and list(item)[-1] != last:
        item.ca.items.pop(last, None)
        item.ca.items[list(item)[-1]] = tail
    doc.save()
    return relpath


def _merge_turns(old: CommentedSeq, new: list[Any]) -> None:
    for index, turn in enumerate(new):
        held = old[index]
        if not isinstance(held, CommentedMap) or not isinstance(turn, dict):
            old[index] = _round_trip_value(turn)
            continue
        for key in [k for k in held if k not in turn]:
            del held[key]
        for key, value in turn.items():
            current = held.get(key)
            if _plain(current) == value:
                continue
            if isinstance(value, str) and isinstance(current, str):
                held[key] = styled_like(current, value)
            else:
                held[key] = _round_trip_value(value)


def delete_case(root: Path, relpath: str, case_id: str) -> None:
    """Remove case `case_id` from `relpath` (the other cases and the comments stay)."""
    with constitution_lock(root):
        doc, cases = _load(root, relpath)
        del cases[_index(cases, case_id, relpath)]
        doc.save()


def _plain(value: Any) -> Any:
    if isinstance(value, CommentedMap):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, CommentedSeq):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _order_keys(item: CommentedMap, order: list[str]) -> None:
    """Put the keys in `order` (comments stay attached to their keys)."""
    for position, key in enumerate(order):
        current = list(item).index(key)
        if current != position:
            value = item.pop(key)
            item.insert(position, key, value)


def turns_of(prompt: str | list[Turn]) -> tuple[tuple[str, str], ...]:
    """(role, text) turns of a prompt as the model holds it."""
    if isinstance(prompt, str):
        return (("user", prompt),)
    return tuple((t.role, t.content) for t in prompt)
