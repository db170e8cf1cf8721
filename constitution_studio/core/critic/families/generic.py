"""The generic family: our `cs-judge-1` wording (core/critic/templates.py) in the model's chat
template, for any instruct model. Unchanged from before families existed, so its cache keys
are too. It is the only family with room for worked examples (`fewshot`, `anchored`) and the
opposite-polarity question (`both`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constitution_studio.core.critic import templates
from constitution_studio.core.critic.families.base import Demo, Family, Kind, Part
from constitution_studio.core.models import EvalCase


@dataclass(frozen=True)
class ChatPrompt:
    """A prompt as chat messages: earlier turns (system, worked examples) and the judge question
    as head (shared by a principle's cases) + tail (the conversation and the question)."""

    prefix_messages: tuple[tuple[str, str], ...]
    head: str
    tail: str


class Generic(Family):
    name = "generic"
    components = frozenset({"both", "contextual", "fewshot", "anchored"})
    source = "this project (docs/critic.md, 'Prompts: a versioned template set')"

    def __init__(self, tset: templates.TemplateSet = templates.V1) -> None:
        self.tset = tset
        self.template_set_id = tset.id
        self.variants = tuple(tset.variants)
        self.options = templates.SINGLE_OPTIONS
        self.pair_options = templates.PAIR_OPTIONS

    @property
    def hash(self) -> str:
        return self.tset.hash  # the template set's own hash: keys from before families stay valid

    def texts(self) -> dict[str, Any]:
        return {**super().texts(), "set": self.tset.hash}

    def parts(self, kind: Kind, variant: str, both: bool) -> list[Part]:
        """Polarities x presentation orders: pairs are always asked in both orders."""
        if kind == "engagement":
            return [Part(variant, kind, "engaged", judged="request")]
        if kind == "single":
            parts = [Part(variant, kind, "violates")]
            if both:
                parts.append(Part(variant, kind, "complies", sign=-1.0))
            return parts
        parts = [Part(variant, kind, "better"), Part(variant, kind, "better", swapped=True, sign=-1.0)]
        if both:
            parts += [Part(variant, kind, "worse", sign=-1.0), Part(variant, kind, "worse", swapped=True)]
        return parts

    def chat(
        self,
        part: Part,
        statement: str,
        case: EvalCase,
        *,
        fewshot: bool = False,
        demos: Sequence[Demo] = (),
    ) -> ChatPrompt:
        self.check_variant(part.variant)
        variant = self.tset.variant(part.variant)
        polarity: Any = part.polarity
        messages: list[dict[str, str]] = [{"role": "system", "content": variant.system}]
        if fewshot:
            messages += templates.fewshot_turns(self.tset, variant, part.kind, polarity)
        messages += demo_turns(self.tset, variant, part.kind, polarity, statement, demos)
        head, tail = templates.user_parts(variant, polarity, statement, case, part.swapped)
        return ChatPrompt(tuple((m["role"], m["content"]) for m in messages), head, tail)


def demo_turns(
    tset: templates.TemplateSet,
    variant: templates.Variant,
    kind: Kind,
    polarity: Any,
    statement: str,
    demos: Sequence[Demo],
) -> list[dict[str, str]]:
    """The principle's own gold cases as worked examples on its wording (method `anchored`)."""
    yes, no = (templates.SINGLE_OPTIONS, templates.PAIR_OPTIONS)[kind == "pair"]
    turns: list[dict[str, str]] = []
    for demo in demos:
        if demo.case.kind != kind:
            continue
        if kind == "single":
            first = bool(demo.violates) if polarity == "violates" else not demo.violates
        else:
            first = (demo.better == "a") if polarity == "better" else (demo.better == "b")
        turns.append({"role": "user", "content": templates.user_message(variant, polarity, statement, demo.case)})
        turns.append({"role": "assistant", "content": yes if first else no})
    return turns
