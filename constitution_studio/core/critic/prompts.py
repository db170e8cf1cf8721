"""Turn (template, case) into token ids: chat template when the model has one, plain text otherwise.

The prompt is split into a *prefix* shared by many cases (system prompt, few-shot turns and
the start of the judge question up to the principle's wording) and a per-case *suffix*; the
two are tokenized separately and concatenated, always, so the prefix-KV path and a full
recomputation see exactly the same token ids.
"""

from __future__ import annotations

from typing import Any


class PromptBuilder:
    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.chat = bool(getattr(tokenizer, "chat_template", None))
        self._prefix_ids: dict[str, tuple[int, ...]] = {}

    def _encode(self, text: str) -> tuple[int, ...]:
        return tuple(int(i) for i in self.tokenizer.encode(text, add_special_tokens=False))

    def texts(self, prefix_messages: list[dict[str, str]], head: str, tail: str) -> tuple[str, str]:
        """(prefix text, suffix text) whose concatenation is the full prompt.

        The user message is `head + tail`; the prefix ends where `tail` begins.
        """
        user = head + tail
        if not self.chat:
            parts = []
            for m in prefix_messages:
                if m["role"] == "system":
                    parts.append(m["content"] + "\n\n")
                elif m["role"] == "user":
                    parts.append(m["content"] + "\nAnswer:")
                else:
                    parts.append(f" {m['content']}\n\n")
            return "".join(parts) + head, tail + "\nAnswer:"
        try:
            full = self.tokenizer.apply_chat_template(
                [*prefix_messages, {"role": "user", "content": user}], tokenize=False, add_generation_prompt=True
            )
        except Exception:  # e.g. "System role not supported" (Gemma): fold the system text into the first turn
            if not prefix_messages or prefix_messages[0]["role"] != "system":
                raise
            system, rest = prefix_messages[0]["content"], prefix_messages[1:]
            if rest:
                rest = [{"role": rest[0]["role"], "content": f"{system}\n\n{rest[0]['content']}"}, *rest[1:]]
                return self.texts(rest, head, tail)
            return self.texts([], f"{system}\n\n{head}", tail)
        at = full.rfind(tail) if tail else -1
        if at > 0:
            return full[:at], full[at:]
        prefix = self.tokenizer.apply_chat_template(prefix_messages, tokenize=False) if prefix_messages else ""
        if prefix and full.startswith(prefix):
            return prefix, full[len(prefix) :]
        return "", full  # the template re-renders earlier turns: no shareable prefix

    def encode(
        self, prefix_messages: list[dict[str, str]], head: str, tail: str
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        prefix, suffix = self.texts(prefix_messages, head, tail)
        ids = self._prefix_ids.get(prefix)
        if ids is None:
            ids = self._prefix_ids[prefix] = self._encode(prefix) if prefix else ()
        return ids, self._encode(suffix)
