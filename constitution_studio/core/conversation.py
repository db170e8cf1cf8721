"""A case's conversation: turns with roles, tool calls and tool results, and its rules.

A prompt is a plain string (one user turn) or a list of turns. Roles are `system`,
`developer`, `user`, `assistant` and `tool`; an assistant turn may carry `tool_calls`, and a
`tool` turn answers one of them (`call_id`, optionally the tool's `name`). The judged response
(`response`, or `a`/`b`) is always the assistant turn that comes next, so the conversation must
end where it starts: with a `user` or a `tool` turn.

Hashing (`turn_fields`) writes today's `user`/`assistant` turns exactly as before, so the cache
keys of existing cases stay valid; the new keys add fields only when they are present.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator
from pydantic_core import PydanticCustomError

Role = Literal["system", "developer", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "developer", "user", "assistant", "tool")
# the judged assistant response starts after one of these
ANSWERED_ROLES: tuple[str, ...] = ("user", "tool")

_Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class ToolCall(_Frozen):
    """A call an assistant turn makes: the `id` a tool turn's `call_id` names, the tool, its arguments."""

    id: _Name = Field(description="Call id, unique in the case; the answering tool turn's `call_id`.")
    name: _Name = Field(description="Name of the tool called.")
    arguments: dict[str, JsonValue] | str = Field(
        default_factory=dict, description="Arguments: a mapping, or the JSON text a model wrote."
    )

    def arguments_text(self) -> str:
        """The arguments as one line of JSON (a string is kept as written)."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, sort_keys=True, ensure_ascii=False)

    def call_text(self) -> str:
        """`name({"arg": 1})`: how every judge family writes the call in a transcript."""
        return f"{self.name}({self.arguments_text()})"


class Turn(_Frozen):
    """One turn of a conversation."""

    role: Role = Field(description="system | developer | user | assistant | tool.")
    content: str = Field(
        default="", description="The turn's text (may be left out only on an assistant turn that makes tool calls)."
    )
    name: _Name | None = Field(default=None, description="Tool turns: the name of the tool that answered.")
    call_id: _Name | None = Field(
        default=None,
        description="Tool turns: the id of the call answered (may be left out when the assistant turn "
        "before it made one call).",
    )
    tool_calls: list[ToolCall] | None = Field(default=None, description="Assistant turns: the tools it calls.")

    @model_validator(mode="after")
    def _keys_fit_the_role(self) -> Turn:
        if self.role != "tool" and (self.name is not None or self.call_id is not None):
            raise PydanticCustomError(
                "schema", "`name` and `call_id` belong to a tool turn, not a {role} turn", {"role": self.role}
            )
        if self.role != "assistant" and self.tool_calls is not None:
            raise PydanticCustomError(
                "schema", "`tool_calls` belong to an assistant turn, not a {role} turn", {"role": self.role}
            )
        if "content" not in self.model_fields_set and not (self.role == "assistant" and self.tool_calls):
            raise PydanticCustomError("schema", "missing required key 'content'")
        return self


def _turn_error(code: str, index: int, message: str, **ctx: str | int) -> PydanticCustomError:
    """An error the loader points at turn `index` (it adds ctx `turn`, then `key`, to the error's location)."""
    return PydanticCustomError(code, message, {"turn": index, **ctx})


def check_conversation(turns: Sequence[Turn]) -> None:
    """Raise PydanticCustomError (code `prompt-turns` or `tool-turn`, ctx `turn`) for a conversation
    no model could have seen: a tool turn that answers no call of the assistant turn right before
    it, a call id used twice, or an end where the judged assistant response cannot start."""
    if not turns:
        raise PydanticCustomError("prompt-turns", "prompt has no turns")
    open_calls: dict[str, ToolCall] = {}  # calls of the last assistant turn not answered yet
    seen: set[str] = set()
    for index, turn in enumerate(turns):
        if turn.role == "assistant":
            open_calls = {}
            for call in turn.tool_calls or []:
                if call.id in seen:
                    raise _turn_error("tool-turn", index, "call id {call} is used twice in this case", call=call.id)
                seen.add(call.id)
                open_calls[call.id] = call
        elif turn.role == "tool":
            _answer(index, turn, open_calls)
        else:
            open_calls = {}  # tool results follow their call directly
    last = turns[-1].role
    if last not in ANSWERED_ROLES:
        raise _turn_error(
            "prompt-turns",
            len(turns) - 1,
            "the conversation must end where the judged response starts: with a user (or tool) turn, not a {role} turn",
            role=last,
        )


def _answer(index: int, turn: Turn, open_calls: dict[str, ToolCall]) -> None:
    if not open_calls:
        raise _turn_error(
            "tool-turn",
            index,
            "a tool turn must answer a call of the assistant turn before it (`tool_calls`); this one answers none",
        )
    if turn.call_id is None:
        if len(open_calls) != 1:
            raise _turn_error(
                "tool-turn",
                index,
                "this tool turn needs `call_id`: the assistant turn before it has {n} calls waiting",
                n=len(open_calls),
            )
        call = open_calls.popitem()[1]
    else:
        found = open_calls.pop(turn.call_id, None)
        if found is None:
            raise _turn_error(
                "tool-turn",
                index,
                "call_id {call} names no unanswered call of the assistant turn before it (have: {have})",
                key="call_id",
                call=turn.call_id,
                have=", ".join(open_calls),
            )
        call = found
    if turn.name is not None and turn.name != call.name:
        raise _turn_error(
            "tool-turn",
            index,
            "tool turn name {name} differs from its call's {call}",
            key="name",
            name=turn.name,
            call=call.name,
        )


def tool_names(turns: Sequence[Turn]) -> list[str | None]:
    """Per turn, the tool a tool turn answers for (its `name`, else its call's); None for the rest."""
    calls: dict[str, str] = {}
    last: list[str] = []
    names: list[str | None] = []
    for turn in turns:
        if turn.role == "assistant":
            last = [call.name for call in turn.tool_calls or []]
            calls.update((call.id, call.name) for call in turn.tool_calls or [])
        if turn.role != "tool":
            names.append(None)
        elif turn.name is not None:
            names.append(turn.name)
        elif turn.call_id is not None:
            names.append(calls.get(turn.call_id, "tool"))
        else:
            names.append(last[0] if len(last) == 1 else "tool")
    return names


def turn_fields(turns: Sequence[Turn]) -> list[str | None]:
    """What the cache key and engagement key read of the turns: (role, content) per turn, exactly
    as before roles existed, plus a marked tail for tool turns and tool calls (the markers are no
    role, so the framing stays unambiguous)."""
    fields: list[str | None] = []
    for turn in turns:
        fields += (turn.role, turn.content)
        if turn.role == "tool":
            fields += ("+tool", turn.name, turn.call_id)
        elif turn.tool_calls:
            fields.append(f"+calls{len(turn.tool_calls)}")
            for call in turn.tool_calls:
                fields += (call.id, call.name, call.arguments_text())
    return fields


# --- how every surface shows a conversation (reports, the studio) -------------------------


def turn_heading(turn: Turn, tool: str | None) -> str:
    """`system`, `user`, `assistant`, or `tool lookup_order (call_1)` for a tool result."""
    if turn.role != "tool":
        return turn.role
    return f"tool {tool or 'tool'}" + (f" ({turn.call_id})" if turn.call_id else "")


def turn_body(turn: Turn) -> str:
    """A turn's text, then one `→ name({...})` line per tool call it makes."""
    lines = [turn.content] if turn.content.strip() or not turn.tool_calls else []
    lines += [f"→ {call.call_text()}" for call in turn.tool_calls or []]
    return "\n".join(lines)


def turn_excerpts(turns: Sequence[Turn], limit: int = 80) -> list[str]:
    """`heading: text` per turn on one line each (at most `limit` characters of text), as reports
    list a conversation; [] for a conversation that is one user turn (its prompt says it all).
    The text is raw: each report escapes it for its target."""
    if len(turns) == 1 and turns[0].role == "user":
        return []
    out = []
    for turn, tool in zip(turns, tool_names(turns), strict=True):
        text = " ".join(turn_body(turn).split())
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
        out.append(f"{turn_heading(turn, tool)}: {text}")
    return out


def last_user_text(turns: Sequence[Turn]) -> str:
    """The text of the last user turn (the request), whatever came after it."""
    return next((t.content for t in reversed(turns) if t.role == "user"), turns[-1].content if turns else "")
