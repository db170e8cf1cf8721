"""Requests' prompts as runner units (token ids and answer-option ids), for any judge family.

The engine decides *what* to score (cache, jobs, chunks); this module decides *how one part
reads*: the generic family's cs-judge-1 question (with few-shot turns or the principle's own
demonstrations in the shared prefix) or its engagement question, or a guard family's native
prompt. Option words are checked to be single tokens of the model's tokenizer the first time
they are used (runner.option_token_ids raises a clear error otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from constitution_studio.core.critic.families import Demo, Family, Part
from constitution_studio.core.critic.families.generic import Generic
from constitution_studio.core.critic.methods import Method
from constitution_studio.core.critic.prompts import PromptBuilder
from constitution_studio.core.critic.templates import EngagementSet, engagement_parts
from constitution_studio.core.models import EvalCase


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
        from constitution_studio.core.critic.runner import option_token_ids

        words = self.family.option_words(part)
        if words not in self._options:
            tokenizer = self.prompts.tokenizer
            self._options[words] = (option_token_ids(tokenizer, words[0]), option_token_ids(tokenizer, words[1]))
        return self._options[words]

    def unit(self, part: Part, statement: str, case: EvalCase, demos: Sequence[Demo] = ()) -> Any:
        from constitution_studio.core.critic.runner import Unit

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
