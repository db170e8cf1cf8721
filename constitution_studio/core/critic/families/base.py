"""What a judge family is: how one (principle, case) question becomes prompt text, and which
first answer token carries P(violates).

A family is chosen per model (docs/critic.md, "Judge families"). The generic family asks our
own `cs-judge-1` wording through the model's chat template; guard families (ShieldGemma,
Granite Guardian, Llama Guard) were trained on one fixed prompt each, so they render that
prompt themselves and put the principle where the model expects its policy.

Every family renders a prompt as (prefix text, suffix text): the prefix is shared by every
case of one principle wording and variant (its KV cache is computed once), the suffix holds
the conversation. Both halves are tokenized separately and concatenated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from constitution_studio.core.conversation import tool_names
from constitution_studio.core.critic import templates
from constitution_studio.core.models import EvalCase
from constitution_studio.core.wording import noun
from constitution_studio.errors import BadInputError

Kind = Literal["single", "pair", "engagement"]
Polarity = Literal["violates", "complies", "better", "worse", "engaged"]
Judged = Literal["response", "a", "b", "request"]


@dataclass(frozen=True)
class Part:
    """One prompt of a request: which question, on which text, and the sign its log-odds enter
    the request's mean with (the mean of `sign * log-odds(first option)` over the parts)."""

    variant: str
    kind: Kind
    polarity: Polarity
    swapped: bool = False
    sign: float = 1.0
    judged: Judged = "response"


@dataclass(frozen=True)
class Demo:
    """A worked example shown before the question (method `anchored`): a gold case and its verdict."""

    case: EvalCase
    violates: bool | None = None  # single responses
    better: Literal["a", "b"] | None = None  # pairs


@dataclass(frozen=True)
class Rendered:
    """Prompt text split at the start of the per-case part; `bos` asks for the BOS token first."""

    prefix: str
    suffix: str
    bos: bool = False


class Family:
    """Base of every judge family. Subclasses set the class attributes and `render`."""

    name: str = ""
    template_set_id: str = ""  # goes into every cache key and report (with `hash`)
    variants: tuple[str, ...] = ()
    options: tuple[str, str] = ("Yes", "No")  # first = violates (single); the words must be one token
    pair_options: tuple[str, str] = ("A", "B")
    components: frozenset[str] = frozenset({"contextual"})  # scoring-method components it supports
    source: str = ""  # where the format comes from (docs/critic.md cites it too)

    def texts(self) -> dict[str, Any]:
        """Every text the family renders, for its hash (subclasses add their wording)."""
        return {"name": self.name, "id": self.template_set_id, "variants": list(self.variants)}

    @property
    def hash(self) -> str:
        payload = json.dumps(self.texts(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def template_id(self) -> str:
        return f"{self.template_set_id}#{self.hash}"

    def check_variant(self, variant: str) -> None:
        if variant not in self.variants:
            raise BadInputError(
                f"unknown judge template variant '{variant}' for the {self.name} family "
                f"(have: {', '.join(self.variants)})"
            )

    def check_method(self, components: Sequence[str]) -> None:
        """A clear error for a scoring method the family's native format cannot express."""
        unsupported = [c for c in components if c not in self.components]
        if unsupported:
            raise BadInputError(
                f"scoring method {noun(len(unsupported), 'component')} {', '.join(unsupported)} "
                f"{'does' if len(unsupported) == 1 else 'do'} not apply to the {self.name} judge "
                f"family (its native prompt has no place for them); use "
                f"{' or '.join(['plain', *sorted(self.components)])}"
            )

    def parts(self, kind: Kind, variant: str, both: bool) -> list[Part]:
        """Guard families judge one text at a time: a pair is P(b violates) vs P(a violates)
        (the one less likely to violate is preferred), which has no order to swap."""
        if kind == "engagement":
            return [Part(variant, kind, "engaged", judged="request")]
        if kind == "single":
            return [Part(variant, kind, "violates")]
        return [Part(variant, kind, "violates", judged="a", sign=-1.0), Part(variant, kind, "violates", judged="b")]

    def option_words(self, part: Part) -> tuple[str, str]:
        return self.pair_options if part.polarity in ("better", "worse") else self.options

    def render(self, part: Part, statement: str, case: EvalCase, demos: Sequence[Demo] = ()) -> Rendered:
        raise NotImplementedError

    def native(self, tokenizer: Any, part: Part, statement: str, case: EvalCase) -> Rendered | None:
        """The prompt through the model's own chat template, for a family whose template takes
        the policy as a keyword (Granite Guardian's `guardian_config`); None: use `render`."""
        return None

    def engagement(self, variant: str, statement: str, case: EvalCase) -> Rendered:
        """The prefill-only question whether the user's request bears on the principle
        (asked without the judged response); P(first option) = engaged."""
        return self.render(Part(variant, "engagement", "engaged", judged="request"), statement, case)


def judged_text(part: Part, case: EvalCase) -> str | None:
    """The assistant text a guard judges for this part (None: the user's request is judged)."""
    if part.judged == "request":
        return None
    if part.judged == "a":
        return case.a or ""
    if part.judged == "b":
        return case.b or ""
    return case.response or ""


# How a guard format with only user and assistant roles (Llama Guard, Granite Guardian) sees
# the other roles: instructions and tool results are input to the assistant, so they are user
# messages, labelled; tool calls stay in the assistant message (docs/critic.md, "Turns with roles").
GUARD_LABELS = {"system": "System instructions: ", "developer": "Developer instructions: "}


def guard_turns(case: EvalCase, response: str | None) -> list[tuple[str, str]]:
    """(`user` | `assistant`, text) per turn, the judged response last when given; `user` and
    plain `assistant` turns are exactly as before roles existed."""
    turns: list[tuple[str, str]] = []
    for turn, name in zip(case.turns, tool_names(case.turns), strict=True):
        if turn.role == "assistant":
            turns.append(("assistant", templates.turn_text(turn)))
        elif turn.role == "tool":
            turns.append(("user", f"Tool result ({name}): {turn.content.strip()}"))
        else:
            turns.append(("user", GUARD_LABELS.get(turn.role, "") + turn.content.strip()))
    return turns + ([("assistant", response.strip())] if response is not None else [])


def split_at(text: str, marker: str) -> tuple[str, str]:
    """(text up to and including the first `marker`, the rest); the marker must be present."""
    at = text.find(marker)
    if at < 0:  # a bug in a family, never user input
        raise AssertionError(f"prompt marker {marker!r} missing from the rendered prompt")
    at += len(marker)
    return text[:at], text[at:]
