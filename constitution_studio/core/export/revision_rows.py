"""Rows of `cstudio revise`: the per-case trace, SFT rows per round, and preference rows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from constitution_studio.core.export.generator import GeneratorInfo
from constitution_studio.core.export.provenance import Provenance
from constitution_studio.core.export.rows import Message

Pick = Literal["decider", "random"]


class JudgedText(BaseModel):
    """The judge's verdict on one response (the original or a revision)."""

    label: str | None = Field(description="The case's overall verdict (resolve.py); None when incomplete.")
    decider: str | None = Field(description="The principle that decided it.")
    principle_label: str | None = Field(description="The chosen principle's own label on this response.")
    p_violates: float | None = Field(description="The chosen principle's P(violates), primary judge.")
    stable: bool | None = Field(description="Every judge variant gave the overall label (None: not all scored).")


class RevisionRound(BaseModel):
    round: int = Field(ge=1)
    critique: str
    revision: str
    judged: JudgedText
    complies: bool = Field(description="The judge's overall verdict on the revision is `complies`.")


class RevisionRow(BaseModel):
    """One case's critique-revision trace: every round, and where it first complied."""

    case_id: str
    source: Literal["case", "prompts"] = Field(description="An eval case the judge labels violates, or a draft.")
    prompt: list[Message]
    original: str = Field(description="The response that was critiqued first.")
    original_judged: JudgedText
    principle_id: str
    statement_sha256: str
    pick: Pick = Field(description="decider: the case's deciding principle; random: seeded, among engaged ones.")
    requests_from: Literal["principle", "statement"] = Field(
        description="principle: its own critique/revision requests; statement: generic requests quoting it."
    )
    critique_request: str
    revision_request: str
    rounds: list[RevisionRound]
    accepted_round: int | None = Field(description="The first round the judge accepted (None: never complied).")
    generator: GeneratorInfo
    provenance: Provenance


class SftRow(BaseModel):
    """One critique-revision round as supervised data (`messages` ends with the revision)."""

    case_id: str
    round: int = Field(ge=1)
    principle_id: str
    statement_sha256: str
    prompt: list[Message]
    response: str = Field(description="The response critiqued in this round (the original, or the last revision).")
    critique_request: str
    critique: str
    revision_request: str
    revision: str
    messages: list[Message] = Field(description="prompt + the revision as the assistant's answer (TRL SFT layout).")
    complies: bool
    accepted: bool = Field(description="This is the case's accepted round (the first that complied).")
    generator: GeneratorInfo
    provenance: Provenance


class RevisionPreferenceRow(BaseModel):
    """The accepted revision chosen over the original (TRL DPO / distilabel: prompt, chosen, rejected)."""

    case_id: str
    prompt: list[Message]
    chosen: list[Message]
    rejected: list[Message]
    principle_id: str
    statement_sha256: str
    round: int = Field(description="The round whose revision is chosen.")
    chosen_judged: JudgedText
    rejected_judged: JudgedText
    generator: GeneratorInfo
    provenance: Provenance
