"""The one place an imported conversation (a message list with roles) becomes a case's conversation.

Sources write conversations as lists of messages — `{"role": ..., "content": ...}` with
`system`, `developer`, `user`, `assistant` and `tool` roles, content as text or as a list of
parts, an assistant's `tool_calls` (`id`, `function` name or `{name, arguments}`, arguments
as an object or JSON text) and tool results with `tool_call_id` and the tool's `function` /
`name` (OpenAI and inspect style). Every importer parses them with `parse_messages` and maps
them with `case_conversation`; nothing else decides how a role lands in a case:

* every role maps to the case turn of the same role (core/conversation.py), tool calls and
  tool results with their call ids and tool names;
* the judged response is the last assistant message when the record gives none;
* content parts that are not text (images, audio) are dropped, and the notes say so;
* the result must be a conversation the case model accepts (it ends with a user or tool turn,
  a tool turn answers a call of the assistant turn before it): otherwise the record is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from constitution_studio.core.conversation import ROLES, ToolCall, Turn, check_conversation


class ConversationError(ValueError):
    """A message list that cannot be a case's conversation (the row is reported with this)."""


@dataclass(frozen=True)
class Message:
    """One message of an imported conversation."""

    role: str
    content: str
    name: str | None = None  # a tool result's tool name
    call_id: str | None = None  # a tool result's call id
    tool_calls: tuple[tuple[str, str, dict[str, Any] | str], ...] = ()  # an assistant's calls: (id, name, arguments)


@dataclass
class Conversation:
    """What a case holds: its turns (one user turn is a plain prompt) and the judged response."""

    turns: list[Turn]
    response: str | None
    notes: list[str] = field(default_factory=list)


def _text(content: Any, notes: list[str]) -> str:
    """Text of a message's content: a string, or the text parts of a part list."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type") in ("text", "input_text", "output_text", None):
                value = part.get("text")
                if isinstance(value, str):
                    texts.append(value)
            elif isinstance(part, dict):
                notes.append(f"{part.get('type', 'non-text')} content dropped (only text is imported)")
            else:
                raise ConversationError("a content part is neither text nor an object")
        return "\n".join(texts)
    raise ConversationError("message content is neither text nor a list of parts")


def _calls(value: Any) -> tuple[tuple[str, str, dict[str, Any] | str], ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        raise ConversationError("`tool_calls` is not a list")
    calls = []
    for n, call in enumerate(value, 1):
        if not isinstance(call, dict):
            raise ConversationError("a tool call is not an object")
        fn = call.get("function")
        name = fn if isinstance(fn, str) else fn.get("name") if isinstance(fn, dict) else call.get("name")
        args = call.get("arguments", fn.get("arguments") if isinstance(fn, dict) else None)
        if not isinstance(name, str) or not name:
            raise ConversationError("a tool call has no function name")
        call_id = call.get("id")
        arguments: dict[str, Any] | str = args if isinstance(args, dict | str) else {}
        calls.append(
            (str(call_id) if isinstance(call_id, str | int) and str(call_id) else f"call-{n}", name, arguments)
        )
    return tuple(calls)


def parse_messages(value: Any, notes: list[str] | None = None) -> list[Message]:
    """A message list (dicts with `role` and `content`) as Messages; ConversationError if it is not one."""
    notes = notes if notes is not None else []
    if not isinstance(value, list) or not value:
        raise ConversationError("a conversation must be a non-empty list of messages")
    messages = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise ConversationError(f"message {i} is not an object with `role` and `content`")
        role = item.get("role")
        if role not in ROLES:
            raise ConversationError(f"message {i} has role {str(role)[:40]!r} (use {', '.join(ROLES)})")
        call_id = item.get("tool_call_id", item.get("call_id")) if role == "tool" else None
        name = (item.get("function") or item.get("name")) if role == "tool" else None
        messages.append(
            Message(
                role=str(role),
                content=_text(item.get("content"), notes),
                name=str(name) if isinstance(name, str) and name else None,
                call_id=str(call_id) if isinstance(call_id, str | int) and str(call_id) else None,
                tool_calls=_calls(item.get("tool_calls")) if role == "assistant" else (),
            )
        )
    return messages


def is_message_list(value: Any) -> bool:
    """Whether a value looks like a message list (so a prompt column may hold one)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "role" in v for v in value)


def _turn(m: Message) -> Turn:
    if m.role == "tool":
        return Turn(role="tool", content=m.content, name=m.name, call_id=m.call_id)
    if m.role == "assistant" and m.tool_calls:
        calls = [ToolCall(id=i, name=n, arguments=a) for i, n, a in m.tool_calls]
        return (
            Turn(role="assistant", content=m.content, tool_calls=calls)
            if m.content
            else Turn(role="assistant", tool_calls=calls)
        )
    return Turn(role=m.role, content=m.content)  # type: ignore[arg-type]  # a checked role


def case_conversation(messages: list[Message], response: str | None) -> Conversation:
    """Map messages (and a response given apart, if any) onto a case's turns and judged response.

    Without a `response`, the last message must be the assistant's answer: it is the judged response.
    """
    if response is None:
        if messages[-1].role != "assistant" or messages[-1].tool_calls:
            raise ConversationError(
                "no response: map one (--map response=COLUMN) or end the conversation with the assistant's answer"
            )
        response, messages = messages[-1].content, messages[:-1]
    if not messages:
        raise ConversationError("the conversation has no turn before the judged response")
    try:
        turns = [_turn(m) for m in messages]
        check_conversation(turns)
    except ValidationError as exc:
        raise ConversationError(str(exc.errors()[0]["msg"])) from None
    except PydanticCustomError as exc:
        turn = (exc.context or {}).get("turn")
        raise ConversationError(
            f"message {int(turn) + 1}: {exc.message()}" if turn is not None else exc.message()
        ) from None
    return Conversation(turns=turns, response=response)


def canonical(messages: list[Message]) -> list[list[str]]:
    """A stable plain form of a message list (for content-hash IDs): role, text, tool name, call id, calls."""
    return [
        [
            m.role,
            m.content,
            m.name or "",
            m.call_id or "",
            *(f"{i}:{n}({a if isinstance(a, str) else json.dumps(a, sort_keys=True)})" for i, n, a in m.tool_calls),
        ]
        for m in messages
    ]
