"""The row models of every exported dataset (docs/data.md, docs/schema/*.row.schema.json).

Rows are flat where a trainer reads them (`prompt`, `chosen`, `rejected`, `messages`) and
carry the same `provenance` object everywhere. Lists of small records are used instead of
mappings so that Parquet columns have one fixed type.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from constitution_studio.core.conversation import Turn
from constitution_studio.core.export.provenance import Provenance
from constitution_studio.core.models import EvalCase, Scope


class FunctionCall(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    arguments: str = Field(description="The arguments as JSON text.")


class MessageToolCall(BaseModel):
    """A tool call of an assistant message, in the OpenAI chat layout chat templates read."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(BaseModel):
    """One chat message (the layout TRL and distilabel read; tool fields as OpenAI's chat API)."""

    model_config = ConfigDict(frozen=True)

    role: str = Field(description="system | developer | user | assistant | tool.")
    content: str
    name: str | None = Field(default=None, description="Tool messages: the tool that answered.")
    tool_call_id: str | None = Field(default=None, description="Tool messages: the call answered.")
    tool_calls: list[MessageToolCall] | None = Field(default=None, description="Assistant messages: calls made.")


def message(turn: Turn) -> Message:
    calls = None
    if turn.tool_calls:
        calls = [
            MessageToolCall(id=c.id, function=FunctionCall(name=c.name, arguments=c.arguments_text()))
            for c in turn.tool_calls
        ]
    return Message(role=turn.role, content=turn.content, name=turn.name, tool_call_id=turn.call_id, tool_calls=calls)


def prompt_messages(case: EvalCase) -> list[Message]:
    """The case's conversation up to the judged response."""
    return [message(t) for t in case.turns]


def assistant(text: str) -> list[Message]:
    return [Message(role="assistant", content=text)]


class VariantLabel(BaseModel):
    """One judge variant's answer (the primary first; the others are the noise floor)."""

    judge: str
    label: str | None
    probability: float | None


class LabelRow(BaseModel):
    """One scored (case, principle) of a version: the AI label and everything around it."""

    case_id: str
    kind: Literal["single", "pair"]
    messages: list[Message] = Field(description="The conversation up to the judged response.")
    response: str | None = Field(description="The judged response (single-response cases).")
    a: str | None = Field(description="First response of a pair.")
    b: str | None = Field(description="Second response of a pair.")
    benign: bool
    principle_id: str
    principle_status: str
    principle_rank: int | None = Field(description="1-based place in the priority order (None: not ranked).")
    statement_sha256: str = Field(description="sha256 of the wording the judge read (statement + locale addendum).")
    label: str = Field(description="violates|complies (single) or a|b (pair), primary judge.")
    probability: float = Field(description="P(violates) (single) or P(a preferred) (pair), primary judge.")
    engaged: bool | None = Field(description="The request bears on this principle (None: engagement off or unscored).")
    p_engaged: float | None
    decides: bool = Field(description="This principle decided the case's overall verdict.")
    case_label: str | None = Field(description="The case's overall verdict (None: incomplete or undecided).")
    case_decider: str | None = Field(description="The principle that decided it (the priority rule, resolve.py).")
    case_rule: str | None = Field(description="How it was decided (engaged, none-engaged-violated, ...).")
    stable: bool | None = Field(description="Every judge variant gave this label (None: not every variant is scored).")
    band: float | None = Field(description="Spread of P across judge variants.")
    variants: list[VariantLabel]
    gold: str | None = Field(description="Human gold for this principle: per-principle gold, else the case's.")
    gold_scope: Scope | None
    agrees_with_gold: bool | None
    provenance: Provenance


class PreferenceRow(BaseModel):
    """One RLAIF preference from a pair case (TRL DPO / distilabel: prompt, chosen, rejected)."""

    case_id: str
    scope: Scope = Field(
        description="case: the case's verdict (its deciding principle); principle: one linked principle's own."
    )
    prompt: list[Message]
    chosen: list[Message]
    rejected: list[Message]
    chosen_side: Literal["a", "b"]
    principle_id: str = Field(description="The principle whose label picked `chosen` (the decider for scope case).")
    statement_sha256: str
    decides: bool = Field(description="The principle decided the case by the priority order.")
    rule: str | None = Field(description="How the decider was chosen (resolve.py), scope case only.")
    probability: float = Field(description="P(a preferred) under the primary judge.")
    p_chosen: float = Field(description="P(chosen preferred).")
    margin: float = Field(description="|P(a preferred) - 0.5|: distance from no preference.")
    band: float | None = Field(description="Spread of P across judge variants (the noise band).")
    stable: bool | None = Field(description="Every judge variant preferred the same side (None: not all scored).")
    variants: list[VariantLabel]
    abstain: bool = Field(description="Not training signal: inside the noise band, or an equivalent judge disagrees.")
    abstain_reasons: list[Literal["variants-disagree", "inside-noise-band", "variants-unscored"]]
    gold: str | None
    agrees_with_gold: bool | None
    provenance: Provenance
