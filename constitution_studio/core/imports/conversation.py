"""The one place an imported conversation (a message list with roles) becomes a case's conversation.

Sources write conversations as lists of messages — `{"role": ..., "content": ...}` with
`system`, `developer`, `user`, `assistant` and `tool` roles, content as text or as a list of
parts, assistant tool calls and tool results with a call id (OpenAI / inspect style). Every
importer parses them with `parse_messages` and maps them with `case_conversation`; nothing
else decides how a role lands in a case.

Today's case model holds `user` and `assistant` turns only, so this mapping:

* takes the judged response from the last assistant message when the record gives none;
* folds `system` and `developer` messages into the next user turn, as a labelled paragraph
  (`[system]` / `[developer]`), and says so in the notes;
* writes an assistant's tool calls into its turn (`[tool call NAME(ARGS)]`) and a tool
  result as a user turn labelled `[tool NAME result]`, and says so;
* drops content parts that are not text (images, audio), and says so.

When the case model gains those roles (issue 20, item 1), only `case_conversation` changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ROLES = ("system", "developer", "user", "assistant", "tool")
FOLDED_ROLES = ("system", "developer")


class ConversationError(ValueError):
    """A message list that cannot be a case's conversation (the row is reported with this)."""


@dataclass(frozen=True)
class Message:
    """One message of an imported conversation."""

    role: str
    content: str
    name: str | None = None  # a tool result's tool name
    call_id: str | None = None  # a tool result's call id
    tool_calls: tuple[tuple[str, str], ...] = ()  # an assistant's calls: (function name, arguments)


@dataclass
class Conversation:
    """What a case holds: the prompt (text, or turns ending with the user) and the judged response."""

    prompt: str | list[dict[str, str]]
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


def _calls(value: Any) -> tuple[tuple[str, str], ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        raise ConversationError("`tool_calls` is not a list")
    calls = []
    for call in value:
        if not isinstance(call, dict):
            raise ConversationError("a tool call is not an object")
        fn = call.get("function")
        name = fn if isinstance(fn, str) else (fn or {}).get("name") if isinstance(fn, dict) else None
        args = call.get("arguments", (fn or {}).get("arguments") if isinstance(fn, dict) else None)
        if not isinstance(name, str) or not name:
            raise ConversationError("a tool call has no function name")
        calls.append((name, args if isinstance(args, str) else json.dumps(args, sort_keys=True, ensure_ascii=False)))
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
        call_id = item.get("tool_call_id")
        if role == "tool" and not call_id and not item.get("function") and not item.get("name"):
            raise ConversationError(f"message {i}: a tool message names neither its call id nor its tool")
        name = item.get("function") or item.get("name")
        messages.append(
            Message(
                role=str(role),
                content=_text(item.get("content"), notes),
                name=str(name) if isinstance(name, str) else None,
                call_id=str(call_id) if isinstance(call_id, str | int) else None,
                tool_calls=_calls(item.get("tool_calls")) if role == "assistant" else (),
            )
        )
    return messages


def is_message_list(value: Any) -> bool:
    """Whether a value looks like a message list (so a prompt column may hold one)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "role" in v for v in value)


def case_conversation(messages: list[Message], response: str | None) -> Conversation:
    """Map messages (and a response given apart, if any) to today's prompt / response.

    Without a `response`, the last message must be the assistant's: it is the judged response.
    """
    notes: list[str] = []
    if response is None:
        if messages[-1].role != "assistant" or messages[-1].tool_calls:
            raise ConversationError("no response: the conversation does not end with an assistant answer")
        response, messages = messages[-1].content, messages[:-1]
    turns: list[dict[str, str]] = []
    pending: list[str] = []  # system/developer text waiting for the next user turn
    for m in messages:
        if m.role in FOLDED_ROLES:
            pending.append(f"[{m.role}]\n{m.content}")
            notes.append(f"{m.role} message folded into the next user turn (the case model has no {m.role} role yet)")
        elif m.role == "tool":
            label = m.name or m.call_id or "tool"
            turns.append({"role": "user", "content": f"[tool {label} result]\n{m.content}"})
            notes.append("tool result written as a labelled user turn (the case model has no tool role yet)")
        elif m.role == "assistant":
            text = "\n".join([m.content, *(f"[tool call {n}({a})]" for n, a in m.tool_calls)]).strip("\n")
            if m.tool_calls:
                notes.append("assistant tool calls written into its turn (the case model has no tool calls yet)")
            turns.append({"role": "assistant", "content": text})
        else:
            content = "\n\n".join([*pending, m.content]) if pending else m.content
            pending = []
            turns.append({"role": "user", "content": content})
    if pending:
        raise ConversationError("a system or developer message is not followed by a user message")
    if not turns or turns[-1]["role"] != "user":
        raise ConversationError("the conversation must end with the user before the judged response")
    prompt: str | list[dict[str, str]] = turns[0]["content"] if len(turns) == 1 else turns
    return Conversation(prompt=prompt, response=response, notes=sorted(set(notes)))


def canonical(messages: list[Message]) -> list[list[str]]:
    """A stable plain form of a message list (for content-hash IDs): role, text, tool name, call id, calls."""
    return [
        [m.role, m.content, m.name or "", m.call_id or "", *(f"{n}({a})" for n, a in m.tool_calls)] for m in messages
    ]
