"""Requests' prompts as runner units (token ids and answer-option ids), for any judge family.

The engine decides *what* to score (cache, jobs, chunks); this module decides *how one part
reads*: the generic family's cs-judge-1 question (with few-shot turns or the principle's own
demonstrations in the shared prefix) or its engagement question, or a guard family's native
prompt. Option words are checked to be single tokens of the model's tokenizer the first time
they are used (option_token_ids raises a clear error otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constitution_studio.core.critic.families import Demo, Family, Part
from constitution_studio.core.critic.families.generic import Generic
from constitution_studio.core.critic.methods import Method
from constitution_studio.core.critic.prompts import PromptBuilder
from constitution_studio.core.critic.templates import EngagementSet, engagement_parts
from constitution_studio.core.models import EvalCase
from constitution_studio.errors import ModelUnavailableError


@dataclass(frozen=True)
class Unit:
    """One prompt to score: token ids of prefix and suffix, and the two option id groups."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    first: tuple[int, ...]  # token ids of the first option ("Yes" / "A"), variants summed
    second: tuple[int, ...]


def option_token_ids(tokenizer: Any, word: str) -> tuple[int, ...]:
    """Single-token encodings of `word` and ` word`; loud failure when there is none.

    Both the bare and the leading-space form are kept (their probabilities are summed with
    logsumexp) because tokenizers differ in whether the answer after a chat turn starts with a
    space.
    """
    ids: list[int] = []
    for text in (word, " " + word):
        encoded = tokenizer.encode(text, add_special_tokens=False)
        if len(encoded) == 1 and encoded[0] not in ids:
            ids.append(int(encoded[0]))
    if not ids:
        name = getattr(tokenizer, "name_or_path", type(tokenizer).__name__)
        raise ModelUnavailableError(
            f"answer option '{word}' is not a single token for the tokenizer of {name}; "
            "the critic cannot read its probability (use another model or template set)"
        )
    return tuple(ids)


class UnitFactory:
    """Units of one family on one tokenizer, under one scoring method."""

    def __init__(
        self, family: Family, prompts: PromptBuilder, method: Method, engagement: EngagementSet | None
    ) -> None:
        self.family = family
        self.prompts = prompts
        self.method = method
        self.engagement = engagement
        self._options: dict[tuple[str, str], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def options(self, part: Part) -> tuple[tuple[int, ...], tuple[int, ...]]:
        words = self.family.option_words(part)
        if words not in self._options:
            tokenizer = self.prompts.tokenizer
            self._options[words] = (option_token_ids(tokenizer, words[0]), option_token_ids(tokenizer, words[1]))
        return self._options[words]

    def unit(self, part: Part, statement: str, case: EvalCase, demos: Sequence[Demo] = ()) -> Unit:
        if part.kind == "engagement" and isinstance(self.family, Generic) and self.engagement is not None:
            ev = self.engagement.variant(part.variant)
            head, tail = engagement_parts(ev, statement, case)
            prefix, suffix = self.prompts.encode([{"role": "system", "content": ev.system}], head, tail)
        else:
            prefix, suffix = self.prompts.encode_part(
                self.family, part, statement, case, fewshot=self.method.fewshot, demos=demos
            )
        first, second = self.options(part)
        return Unit(prefix=prefix, suffix=suffix, first=first, second=second)
