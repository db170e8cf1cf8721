"""Turn (template, case) into token ids: chat template when the model has one, plain text otherwise.

The prompt is split into a *prefix* shared by many cases (system prompt, few-shot turns and
the start of the judge question up to the principle's wording) and a per-case *suffix*; the
two are tokenized separately and concatenated, always, so the prefix-KV path and a full
recomputation see exactly the same token ids.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from constitution_studio.core.critic.families import ChatPrompt, Demo, Family, Part, Rendered
from constitution_studio.core.critic.families.generic import Generic
from constitution_studio.core.models import EvalCase
from constitution_studio.core.wording import noun
from constitution_studio.errors import ModelUnavailableError

PREFIX_IDS_CAP = 4096  # memoised prefix tokenizations (one per wording x variant x polarity)
PLAIN_FALLBACK = (
    "has no chat template; the critic uses the plain-prompt fallback (system text, the question and "
    "'Answer:'), which instruct models were not trained on"
)


class PromptBuilder:
    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.chat = bool(getattr(tokenizer, "chat_template", None))
        self._prefix_ids: OrderedDict[str, tuple[int, ...]] = OrderedDict()  # LRU, PREFIX_IDS_CAP entries
        self._checked: set[str] = set()

    def render(
        self,
        family: Family,
        part: Part,
        statement: str,
        case: EvalCase,
        *,
        fewshot: bool = False,
        demos: Sequence[Demo] = (),
    ) -> tuple[str, str, bool]:
        """(prefix text, suffix text, BOS first) of one part in the family's format."""
        if isinstance(family, Generic):
            chat: ChatPrompt = family.chat(part, statement, case, fewshot=fewshot, demos=demos)
            messages = [{"role": r, "content": c} for r, c in chat.prefix_messages]
            prefix, suffix = self.texts(messages, chat.head, chat.tail)
            return prefix, suffix, False
        rendered: Rendered | None = family.native(self.tokenizer, part, statement, case) if self.chat else None
        if rendered is None:
            rendered = family.render(part, statement, case, demos)
            self._check_specials(family, rendered)
        return rendered.prefix, rendered.suffix, rendered.bos

    def _check_specials(self, family: Family, rendered: Rendered) -> None:
        """A guard format's role tokens must be special tokens of this tokenizer, or the model is
        not of that family (and would read `<|eot_id|>` as ten characters)."""
        if family.name in self._checked:
            return
        import re

        vocab = set(getattr(self.tokenizer, "all_special_tokens", []) or [])
        vocab |= set(getattr(self.tokenizer, "added_tokens_encoder", {}) or {})
        markers = set(re.findall(r"<\|[a-z_]+\|>", rendered.prefix + rendered.suffix))
        missing = sorted(m for m in markers if m not in vocab)
        if missing:
            name = getattr(self.tokenizer, "name_or_path", "this model")
            raise ModelUnavailableError(
                f"the {family.name} prompt format needs the special {noun(len(missing), 'token')} "
                f"{', '.join(missing)}, which the "
                f"tokenizer of {name} does not have; set critic.templates to the model's family (or generic)"
            )
        self._checked.add(family.name)

    def encode_part(
        self,
        family: Family,
        part: Part,
        statement: str,
        case: EvalCase,
        *,
        fewshot: bool = False,
        demos: Sequence[Demo] = (),
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Token ids (prefix, suffix) of one part; the prefix ids are memoised per text."""
        prefix, suffix, bos = self.render(family, part, statement, case, fewshot=fewshot, demos=demos)
        key = ("\x00bos" if bos else "") + prefix
        ids = self._prefix_ids.get(key)
        if ids is None:
            ids = self._encode(prefix) if prefix else ()
            bos_id = getattr(self.tokenizer, "bos_token_id", None)
            if bos and bos_id is not None:
                ids = (int(bos_id), *ids)
            self._remember(key, ids)
        else:
            self._prefix_ids.move_to_end(key)
        return ids, self._encode(suffix)

    def _remember(self, key: str, ids: tuple[int, ...]) -> None:
        self._prefix_ids[key] = ids
        while len(self._prefix_ids) > PREFIX_IDS_CAP:
            self._prefix_ids.popitem(last=False)

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
            ids = self._encode(prefix) if prefix else ()
            self._remember(prefix, ids)
        return ids, self._encode(suffix)
