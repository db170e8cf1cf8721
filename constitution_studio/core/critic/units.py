"""Prompts of a guard-family judge as runner units (token ids and option ids).

The engine asks this module for the units of a request when its family is not the generic
one; the generic family keeps the engine's own cs-judge-1 path (and its cache keys). Option
words are checked to be single tokens of the model's tokenizer the first time they are used
(runner.option_token_ids raises a clear error otherwise).
"""

from __future__ import annotations

from typing import Any

from constitution_studio.core.critic.families import Family, Part
from constitution_studio.core.critic.prompts import PromptBuilder
from constitution_studio.core.models import EvalCase


class GuardUnits:
    """Units for one guard family on one tokenizer."""

    def __init__(self, family: Family, prompts: PromptBuilder) -> None:
        self.family = family
        self.prompts = prompts
        self._options: dict[tuple[str, str], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def options(self, part: Part) -> tuple[tuple[int, ...], tuple[int, ...]]:
        from constitution_studio.core.critic.runner import option_token_ids

        first, second = self.family.option_words(part)
        key = (first, second)
        if key not in self._options:
            tokenizer = self.prompts.tokenizer
            self._options[key] = (option_token_ids(tokenizer, first), option_token_ids(tokenizer, second))
        return self._options[key]

    def unit(self, part: Part, statement: str, case: EvalCase) -> Any:
        from constitution_studio.core.critic.runner import Unit

        prefix, suffix = self.prompts.encode_part(self.family, part, statement, case)
        first, second = self.options(part)
        return Unit(prefix=prefix, suffix=suffix, first=first, second=second)


def engagement_part(variant: str) -> Part:
    """The engagement question of a guard family: its prompt-only classification mode."""
    return Part(variant, "single", "engages", judged="request")
