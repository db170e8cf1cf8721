"""The critic's public value types: what callers ask for and what they get back.

Kept free of torch so that the CLI, the TUI and label shift can import them cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from constitution_studio.core.models import EvalCase


@dataclass(frozen=True)
class ScoreRequest:
    """Judge `case` against one principle's wording.

    `statement` is the wording judged (it may be an unsaved edit in the TUI, so it is passed
    explicitly rather than looked up); `variant` names the judge template variant.
    `question` is `verdict` (does the response follow the principle?) or `engagement` (does
    the user's request bear on the principle at all?). Engagement reads the conversation
    without the judged response, so one answer serves every response to the same prompt.
    """

    principle_id: str
    statement: str
    case: EvalCase
    variant: str = "default"
    question: Literal["verdict", "engagement"] = "verdict"


@dataclass(frozen=True)
class Score:
    """One critic answer.

    `probability` is P(violates) for a single response, P(a preferred) for a pair, or
    P(engaged) for an engagement question, after the scoring method's corrections and any
    per-principle Platt scale (verdicts only); `label` applies the threshold
    (violates|complies, a|b, or engaged|not_engaged). `cached` says whether the model was skipped.
    """

    principle_id: str
    case_id: str
    variant: str
    kind: Literal["single", "pair", "engagement"]
    probability: float
    label: str
    cached: bool


class CriticInfo(BaseModel):
    """What produced a set of scores; shown at the top of every report."""

    model: str
    model_identity: str
    template_set: str
    template_hash: str
    method: str
    device: str
    dtype: str
    family: str = "generic"  # judge family whose prompt format was used (docs/critic.md)
    family_reason: str = ""  # why that family: critic.templates, or what detection saw
    panel: list[str] = []  # a panel's members as `name=model (method)`; empty for one critic
    server: str = ""  # a served judge's URL (credentials never; replicas counted), empty in process
    engine: str = ""  # the engine behind it (vllm, sglang, llama.cpp, llama-cpp-python) and version
    fingerprint: str = ""  # a served judge's fingerprint: its weights' answers to fixed canary prompts


def served_description(info: Mapping[str, object]) -> str:
    """'served by ENGINE at URL, fingerprint F' for a served judge's CriticInfo (as a dict), else ''.

    The one wording every report's critic line uses; callers escape it for their format."""
    server = str(info.get("server") or "")
    if not server:
        return ""
    engine = str(info.get("engine") or "an OpenAI-compatible engine")
    fingerprint = str(info.get("fingerprint") or "")
    return f"served by {engine} at {server}" + (f", judge fingerprint {fingerprint}" if fingerprint else "")
