"""Validation errors in the product's words: what is wrong with a value and how to write it.

pydantic reports a value that fits none of a union's shapes once per shape, under locations
holding its internal type names (`cases[0].gold.literal['violates',…]`,
`dict[constrained-str,…]`) and messages such as "Input should be a valid string". Here every
error's location is reduced to the keys the author wrote, the errors of one value are merged
into ONE finding, and its message says what the file should say instead (`version: 0.1` →
"quote the version: `version: \"0.1\"`"; `gold: maybe` → the allowed labels).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

Loc = tuple[str | int, ...]
RawText = Callable[[Loc], str | None]  # the scalar as written in the file at a location, if known

_QUOTED = re.compile(r"'([^']*)'")
_SINGLE = ("violates", "complies")
_PAIR = ("a", "b")


def _walk(data: Any, loc: Sequence[str | int], etype: str) -> tuple[Loc, bool]:
    """(the part of `loc` that names keys and items in `data`, whether a union tag was dropped).

    A segment that is not a key or index of the data at that point is pydantic's name for a
    union member (or a prompt form); a missing key's own name is kept.
    """
    node = data
    out: list[str | int] = []
    dropped = False
    for i, part in enumerate(loc):
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_list or (isinstance(node, dict) and part in node):
            out.append(part)
            node = node[part]
        elif etype == "missing" and i == len(loc) - 1:
            out.append(part)
        elif isinstance(part, str) and _is_tag(part):
            dropped = True
        else:
            out.append(part)
            node = None
    return tuple(out), dropped


def _is_tag(part: str) -> bool:
    """pydantic's names for union members: `str`, `list[Turn]`, `literal['a','b']`, `PanelMember`, a prompt form."""
    return (
        "[" in part
        or part in ("str", "int", "float", "bool", "text", "turns", "dict", "list", "none")
        or (part[:1].isupper() and part.isidentifier() and not part.isupper())
    )


def _at(data: Any, loc: Loc) -> Any:
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _where(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _words(expected: str) -> str:
    """`'auto', 'cpu' or 'cuda'` -> `auto, cpu or cuda`."""
    return _QUOTED.sub(r"\1", expected)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return "text"


def _shape_word(tag: str) -> str:
    if tag.startswith("literal["):
        return "one of " + ", ".join(_QUOTED.findall(tag))
    if tag.startswith(("dict[", "dict")) or (tag[:1].isupper() and tag.isidentifier()):
        return "a mapping"
    if tag.startswith(("list[", "list")) or tag == "turns":
        return "a list"
    if tag in ("str", "text") or "str" in tag:
        return "text"
    if tag in ("int", "float"):
        return "a number"
    return tag


def _gold_message(loc: Loc, value: Any, data: Any) -> str:
    """One message for a bad `gold`, naming the labels that fit this case."""
    case_loc = loc[: loc.index("gold")] if "gold" in loc else loc
    case = _at(data, case_loc)
    pair = isinstance(case, dict) and ("a" in case or "b" in case) and "response" not in case
    allowed = _PAIR if pair else _SINGLE
    kind = "pair" if pair else "single-response"
    linked = case.get("principles") if isinstance(case, dict) else None
    example = linked[0] if isinstance(linked, list) and linked and isinstance(linked[0], str) else "HARM-01"
    if loc[-1] != "gold":  # one principle's label inside per-principle gold
        return f"gold of {loc[-1]} is {value!r}, not a label: use {' or '.join(allowed)} (a {kind} case)"
    return (
        f"gold {value!r} is not a label: use {' or '.join(allowed)} for the case as a whole (a {kind} case), "
        f"or one label per linked principle, e.g. `gold: {{{example}: {allowed[0]}}}`"
    )


def _one(err: dict[str, Any], loc: Loc, data: Any, raw: RawText, prefix: Loc = ()) -> str:
    """The product's words for one error at `loc` (in `data`; `prefix` places `data` in its file)."""
    etype = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    where = _where((*prefix, *loc))
    key = loc[-1] if loc else ""
    if "gold" in loc and etype in ("literal_error", "dict_type", "string_type"):
        return _gold_message(loc, value, data)
    if etype == "string_type":
        if isinstance(value, bool | int | float) and isinstance(key, str):
            text = raw(loc) or (str(value).lower() if isinstance(value, bool) else str(value))
            reads = "true/false" if isinstance(value, bool) else "a number"
            lead = "" if where == key else f"{where}: "
            return f'{lead}quote the {key}: `{key}: "{text}"` (unquoted, YAML reads {text} as {reads})'
        if value is None:
            return f"{where} is empty; write the text after `{key}:`"
        return f"{where} must be text, not {_kind_of(value)}"
    if etype in ("list_type",):
        if isinstance(value, str) and isinstance(key, str):
            return f"{where} must be a list, e.g. `{key}: [{value}]`"
        return f"{where} must be a list, not {_kind_of(value)}"
    if etype in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where} must be a mapping (`key: value` lines), not {_kind_of(value)}"
    if etype in ("bool_type", "bool_parsing"):
        return f"{where} must be true or false, not {value!r}"
    if etype in ("int_type", "int_parsing", "int_from_float"):
        return f"{where} must be a whole number, not {value!r}"
    if etype in ("float_type", "float_parsing"):
        return f"{where} must be a number, not {value!r}"
    if etype in ("literal_error", "enum"):
        return f"{where} is {value!r}; use {_words(str(ctx.get('expected', '')))}"
    if etype == "string_too_short":
        return f"{where} is empty"
    if etype == "too_short":
        return f"{where} must not be empty (at least {ctx.get('min_length', 1)} item)"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "less_than_equal": ("at most", "le"),
        "greater_than": ("more than", "gt"),
        "less_than": ("less than", "lt"),
    }
    if etype in bounds:
        words, name = bounds[etype]
        return f"{where} must be {words} {ctx.get(name)}, not {value!r}"
    if etype == "string_pattern_mismatch":
        return f"{where} {value!r} does not match {ctx.get('pattern')}"
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def worded(
    errors: Sequence[Any], data: Any, raw: RawText | None = None, prefix: Sequence[str | int] = ()
) -> list[dict[str, Any]]:
    """pydantic's errors for `data` as the product reports them: one per value, at the keys the
    author wrote, with `msg` in the product's words and `worded` True. `prefix` is where `data`
    sits in its file (`("cases", 3)` for one case), for the messages' paths; `raw` gives a
    scalar's text as written (under `prefix`).

    Errors whose type a caller words itself (custom `PydanticCustomError` types, `missing`,
    `extra_forbidden`, ID patterns) pass through with their location cleaned.
    """
    read: RawText = raw or (lambda _loc: None)
    cleaned: list[tuple[dict[str, Any], Loc, bool]] = []
    for err in errors:
        loc, dropped = _walk(data, err["loc"], err["type"])
        cleaned.append((dict(err), loc, dropped))
    # a union member that matched the shape reports deeper: its shallow siblings only repeat it
    deep = [loc for _, loc, _ in cleaned]
    kept = [
        (err, loc, dropped)
        for err, loc, dropped in cleaned
        if not (dropped and any(other[: len(loc)] == loc and len(other) > len(loc) for other in deep))
    ]
    groups: dict[Loc, list[tuple[dict[str, Any], bool]]] = {}
    order: list[Loc] = []
    for err, loc, dropped in kept:
        if loc not in groups:
            order.append(loc)
            groups[loc] = []
        groups[loc].append((err, dropped))
    out: list[dict[str, Any]] = []
    for loc in order:
        members = groups[loc]
        first = members[0][0]
        passthrough = first["type"] in ("missing", "extra_forbidden") or "-" in first["type"]
        if passthrough or (first["type"] == "string_pattern_mismatch" and len(members) == 1):
            for err, _ in members:
                out.append({**err, "loc": loc})
            continue
        if len(members) == 1 or "gold" in loc:
            message = _one(first, loc, data, read, tuple(prefix))
        else:
            tags = [str(e["loc"][len(loc)]) for e, d in members if d and len(e["loc"]) > len(loc)]
            shapes = list(dict.fromkeys(_shape_word(t) for t in tags)) or ["a valid value"]
            value = first.get("input")
            where = _where((*prefix, *loc))
            message = f"{where} is {_kind_of(value)} ({value!r}); it must be {' or '.join(shapes)}"
        out.append({**first, "loc": loc, "msg": message, "worded": True})
    return out
