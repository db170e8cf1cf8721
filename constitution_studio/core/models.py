"""The typed read model of a constitution: what the YAML files mean.

These models are the boundary between files people write and the rest of the code.
They are frozen; edits go through `yamldoc` (which keeps the author's formatting) and
the files are loaded again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from constitution_studio.core.conversation import Turn, check_conversation, turn_fields
from constitution_studio.core.ids import (
    DEFAULT_ID_PATTERN,
    PATTERN_MAX,
    SAFE_ID_PATTERN,
    file_name_problem,
    pattern_problem,
)
from constitution_studio.core.sanitize import is_clean, sanitize

PRINCIPLE_ID_PATTERN = DEFAULT_ID_PATTERN  # the default `id_pattern`; a constitution may set its own
CASE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"

PrincipleId = Annotated[
    str,
    Field(
        pattern=SAFE_ID_PATTERN,
        description="Stable principle ID: the constitution's id_pattern (default: upper-case prefix, dash, 2+ "
        "digits, e.g. HARM-01), and a file name on Linux, macOS and Windows.",
    ),
]
CaseId = Annotated[
    str,
    Field(pattern=CASE_ID_PATTERN, description="Stable case ID, unique across all case files."),
]
NonEmptyText = Annotated[str, Field(min_length=1)]


def _one_line(value: str) -> str:
    """A title, name, owner or tag is one line of plain text: a line break or a control or bidi
    character in it would forge lines in every report that shows it (refused at its line)."""
    if not is_clean(value):
        bad = next(ch for ch in value if not is_clean(ch))
        kind = "a line break" if bad in "\n\r\v\f\x85\u2028\u2029" else "a control or bidi character"
        raise PydanticCustomError(
            "single-line",
            "must be one line of plain text; it holds {kind} ({char})",
            {"kind": kind, "char": sanitize(bad)},
        )
    return value


OneLine = Annotated[str, AfterValidator(_one_line)]
OneLineText = Annotated[str, Field(min_length=1), AfterValidator(_one_line)]


# What `cstudio new` writes as a new principle's statement: a placeholder `validate` warns about
# (`placeholder-statement`) until the author writes the rule the critic should judge against.
PLACEHOLDER_STATEMENT = "Describe, as a rule about the assistant's response, what this principle asks for."


class StrictModel(BaseModel):
    """Unknown keys are an error, never silently ignored; values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Status(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    DEPRECATED = "deprecated"


class PrincipleCalibration(StrictModel):
    """Per-principle decision rule fitted by `cstudio calibrate` from gold labels."""

    threshold: float = Field(ge=0.0, le=1.0, description="P(violates) at or above which the label is 'violates'.")
    platt_a: float | None = Field(
        default=None, description="Platt scale slope applied to the logit before thresholding."
    )
    platt_b: float | None = Field(default=None, description="Platt scale intercept.")
    n: int = Field(default=0, ge=0, description="Gold cases the fit used.")
    model: str | None = Field(default=None, description="Identity of the critic model the fit is valid for.")
    method: str | None = Field(default=None, description="Scoring method the fit is valid for.")
    templates: str | None = Field(default=None, description="Judge template set id#hash the fit is valid for.")
    statement_sha256: str | None = Field(default=None, description="sha256 of the principle wording it was fitted on.")
    fitted_at: str | None = Field(default=None, description="When the fit was made (ISO 8601, UTC).")


class PanelMember(StrictModel):
    """One member of `critic.panel` with its own configuration (defaults: the critic's)."""

    model: str = Field(description="Hugging Face model id, local path, or builtin:smollm2-135m.")
    name: str | None = Field(default=None, description="Name in reports (default m1, m2, ... by position).")
    method: str | None = Field(default=None, description="Scoring method of this member.")
    templates: str | None = Field(default=None, description="Judge template family or set of this member.")


SERVER_ENV = "CSTUDIO_CRITIC_SERVER"  # a served judge's URL for CI and authors (overrides critic.server.url)


class ServerSettings(StrictModel):
    """A served judge: the team's engine behind an OpenAI-compatible endpoint (docs/critic.md)."""

    url: str | list[str] = Field(
        description="Base URL of the engine (http://host:port, the part before /v1), or a list of replicas."
    )
    api_key_env: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$",
        description="Name of the environment variable holding the API key (never the key itself).",
    )
    model: str | None = Field(default=None, description="The served model name (default: critic.model).")
    engine: Literal["auto", "vllm", "sglang", "llama.cpp", "llama-cpp-python"] = Field(
        default="auto", description="Which engine serves it (auto: read from the models endpoint)."
    )
    concurrency: int = Field(default=4, ge=1, le=256, description="Requests in flight per replica.")
    timeout_s: float = Field(default=60.0, gt=0.0, le=3600.0, description="Seconds to wait for one answer.")
    retries: int = Field(default=3, ge=0, le=10, description="Retries of one request on 429, 5xx or a timeout.")
    min_label_mass: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description="Refuse a score when P(option A) + P(option B) of the first token is below this.",
    )
    allow_insecure: bool = Field(
        default=False, description="Allow plain http:// to a host other than localhost (the key travels in clear)."
    )

    def urls(self) -> list[str]:
        return [self.url] if isinstance(self.url, str) else list(self.url)


class CriticSettings(StrictModel):
    """How the critic model is loaded and how its probabilities become labels."""

    model: str = Field(
        default="builtin:smollm2-135m",
        description="Hugging Face model id, local path, or builtin:smollm2-135m (works offline).",
    )
    revision: str | None = Field(default=None, description="Model revision (branch, tag or commit) for hub ids.")
    device: Literal["auto", "cpu", "cuda"] = Field(default="auto", description="Where the critic runs.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        default="auto", description="auto = float32 on CPU, bfloat16 on CUDA."
    )
    batch_tokens: int = Field(default=8192, ge=64, description="Token budget of one forward batch (padded).")
    method: str = Field(default="plain", description="Scoring method (see docs/critic.md).")
    templates: str = Field(default="default", description="Judge prompt template set id.")
    threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="Default P(violates) threshold for a label.")
    allow_pickle: bool = Field(
        default=False,
        description="Load a model whose only weights are pickle files (.bin/.pt), which can run code when read.",
    )
    panel: list[str | PanelMember] = Field(
        default_factory=list,
        description="A panel of critics: every request is scored by each member (model id or folder, or a "
        "member with its own method/templates); empty = the single critic above.",
    )
    panel_combine: Literal["mean", "majority"] = Field(
        default="mean", description="Panel label: mean of the members' log-odds, or the majority of their labels."
    )
    locales: list[str] = Field(
        default_factory=list, description="Locales whose addenda are judged too (each adds statement + addendum)."
    )
    anchored_k: int = Field(default=4, ge=1, le=16, description="Demonstrations per principle for method anchored.")
    engagement: Literal["on", "off"] = Field(
        default="on",
        description="on: a case is decided by its highest-priority *engaged* linked principle (docs/critic.md); "
        "off: by its highest-priority linked principle, whatever the conversation.",
    )
    engagement_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="P(engaged) at or above which a principle counts as engaged."
    )
    calibration: dict[str, PrincipleCalibration] = Field(
        default_factory=dict, description="Per-principle thresholds written by `cstudio calibrate`."
    )
    server: ServerSettings | None = Field(
        default=None,
        description="Score through a served engine (vLLM, SGLang, llama.cpp) instead of loading the model; "
        "critic.model stays the tokenizer and prompt-format identity.",
    )


class CheckSettings(StrictModel):
    """Gate rules of the pre-merge check (`cstudio check`)."""

    fail_on_gold_regression: bool = Field(
        default=True, description="Fail when a gold case right at base is wrong at head."
    )
    max_over_refusal_increase: float = Field(
        default=0.05, ge=0.0, le=1.0, description="Fail when the benign-case refusal rate rises by more than this."
    )
    max_stable_flips_per_principle: int | None = Field(
        default=None, ge=0, description="Fail when a principle has more stable flips than this (off when unset)."
    )
    fail_on_validation_errors: bool = Field(default=True, description="Fail when the head does not validate.")
    allow_critic_change: bool = Field(
        default=False,
        description="Let a pull request change `critic:` settings (the stricter side wins: both must allow it). "
        "Whatever this says, the base's critic judges the pull request.",
    )
    min_kappa: float | None = Field(
        default=None, ge=-1.0, le=1.0, description="Fail when the head critic's Cohen's kappa on gold is below this."
    )
    allow_answer_key_change: bool = Field(
        default=False,
        description="Let a pull request change the base's answer key: edit or remove gold labels, remove, rename "
        "or unlink gold or benign cases, drop benign flags (the stricter side wins: both must allow it). "
        "Whatever this says, the base's gold and benign flags judge the pull request.",
    )
    on_untrusted: Literal["fail", "warn"] = Field(
        default="fail",
        description="When the critic's trust over the base's gold is untrusted or unknown the check is "
        "inconclusive: fail (exit 1), or warn (exit 0, still reported as inconclusive). The stricter side wins.",
    )


class Constitution(StrictModel):
    """`principles/constitution.yaml`: name, version, priority order and settings."""

    name: OneLineText = Field(description="Human name of the constitution.")
    version: OneLineText = Field(description='Release version; quote it in YAML ("1.0").')
    description: str | None = Field(default=None, description="Optional longer description.")
    id_pattern: str = Field(
        default=DEFAULT_ID_PATTERN,
        description="Regular expression every principle ID matches (search, like JSON Schema: anchor it with ^...$); "
        "linear-time syntax (no look-around or back-references), at most 256 characters.",
        json_schema_extra={"maxLength": PATTERN_MAX},
    )
    priority: list[PrincipleId] = Field(
        description="Principle IDs, highest priority first; decides conflicts between principles."
    )
    critic: CriticSettings = Field(default_factory=CriticSettings)
    check: CheckSettings = Field(default_factory=CheckSettings)

    @field_validator("id_pattern")
    @classmethod
    def _usable_pattern(cls, value: str) -> str:
        problem = pattern_problem(value)
        if problem is not None:
            raise PydanticCustomError("bad-id-pattern", problem)
        return value

    def rank(self, principle_id: str) -> int | None:
        """1-based priority rank, or None when the ID is not in the order."""
        try:
            return self.priority.index(principle_id) + 1
        except ValueError:
            return None


class Principle(StrictModel):
    """`principles/<ID>.yaml`: one principle; `statement` is the wording the critic sees."""

    id: PrincipleId
    title: OneLineText = Field(description="Short human title (one line).")
    statement: str = Field(description="The principle's wording, as the critic reads it.")
    critique: str | None = Field(default=None, description="CAI-style critique request.")
    revision: str | None = Field(default=None, description="CAI-style revision request.")
    status: Status = Field(default=Status.ACTIVE, description="draft | active | deprecated.")
    owner: OneLine | None = Field(default=None, description="Team or person responsible.")
    tags: list[OneLine] = Field(default_factory=list)
    locales: dict[str, str] = Field(default_factory=dict, description="Locale code -> addendum text.")

    @field_validator("id")
    @classmethod
    def _a_file_name(cls, value: str) -> str:
        problem = file_name_problem(value)  # the pattern covers characters; this adds device names and NFC
        if problem is not None:
            raise PydanticCustomError("id-file-name", "id {id} {problem}", {"id": repr(value), "problem": problem})
        return value

    @field_validator("statement")
    @classmethod
    def _statement_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("empty-statement", "statement is empty")
        return value


def _prompt_form(value: object) -> str:
    """Which form a prompt is in, so a bad turn list reports only the turn errors."""
    return "turns" if isinstance(value, list) else "text"


Prompt = Annotated[
    Annotated[str, Tag("text")] | Annotated[list[Turn], Tag("turns")],
    Discriminator(_prompt_form),
]
PROMPT_FORMS = ("text", "turns")  # tags in a validation error's location (the loader drops them)


GoldLabel = Literal["violates", "complies", "a", "b"]
# What a label, gold or row is for: the case as a whole, or one principle. One alias, one order: typing
# treats Literal["principle", "case"] as equal to this one, so pydantic would render whichever it
# met first into every JSON schema (a published schema then depended on import order).
Scope = Literal["case", "principle"]
SINGLE_GOLD = ("violates", "complies")
PAIR_GOLD = ("a", "b")


class EvalCase(StrictModel):
    """One eval case: a conversation and either one response or a pair to compare."""

    id: CaseId
    principles: list[PrincipleId] = Field(min_length=1, description="Principle IDs this case is linked to.")
    prompt: Prompt = Field(
        description="The user's request, or the conversation as turns (system, developer, user, assistant, "
        "tool) ending where the judged response starts: with a user or tool turn."
    )
    response: str | None = Field(default=None, description="The single response to judge.")
    a: str | None = Field(default=None, description="First response of a pair.")
    b: str | None = Field(default=None, description="Second response of a pair.")
    gold: GoldLabel | dict[PrincipleId, GoldLabel] | None = Field(
        default=None,
        description="Human label of the case as a whole (violates|complies for a single response, a|b for a "
        "pair), or one per linked principle ({PRINCIPLE-ID: label}): list the principles the request bears on; "
        "the case's overall gold is then derived by the priority rule (docs/formats.md).",
    )
    benign: bool = Field(default=False, description="A benign request that should not be refused.")
    tags: list[OneLine] = Field(default_factory=list)
    note: str | None = None

    @field_validator("prompt")
    @classmethod
    def _a_conversation(cls, value: str | list[Turn]) -> str | list[Turn]:
        if isinstance(value, list):
            check_conversation(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> EvalCase:
        has_pair = self.a is not None or self.b is not None
        if self.response is not None and has_pair:
            raise PydanticCustomError("case-kind", "case has both `response` and `a`/`b`; keep one kind")
        if self.response is None and not has_pair:
            raise PydanticCustomError("case-kind", "case has neither `response` nor `a` and `b`")
        if has_pair and (self.a is None or self.b is None):
            raise PydanticCustomError("case-kind", "a pair case needs both `a` and `b`")
        # Checked here rather than in a field validator: one model-level check per case is
        # half the load time of 50,000 cases. The loader points the finding at `gold`.
        allowed = PAIR_GOLD if has_pair else SINGLE_GOLD
        labels = self.gold.values() if isinstance(self.gold, dict) else [] if self.gold is None else [self.gold]
        for label in labels:
            if label not in allowed:
                raise PydanticCustomError(
                    "gold-kind",
                    "gold '{gold}' does not fit a {kind} case (use {allowed})",
                    {"gold": label, "kind": "pair" if has_pair else "single-response", "allowed": " or ".join(allowed)},
                )
        if isinstance(self.gold, dict):
            for pid in self.gold:
                if pid not in self.principles:
                    raise PydanticCustomError(
                        "gold-link",
                        "gold names {principle}, which this case is not linked to (add it to `principles:`)",
                        {"principle": pid},
                    )
        return self

    @property
    def gold_by_principle(self) -> dict[str, str]:
        """Per-principle gold labels ({} when gold is absent or given for the case as a whole)."""
        return dict(self.gold) if isinstance(self.gold, dict) else {}

    @property
    def has_gold(self) -> bool:
        return bool(self.gold)

    @property
    def kind(self) -> Literal["single", "pair"]:
        return "single" if self.response is not None else "pair"

    @property
    def turns(self) -> list[Turn]:
        """The conversation before the judged response (a plain string is one user turn)."""
        if isinstance(self.prompt, str):
            return [Turn(role="user", content=self.prompt)]
        return list(self.prompt)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> EvalCase:
        """A copy; one whose conversation or responses changed hashes them again (the cached
        hashes would otherwise be copied along and name the old text)."""
        copy = super().model_copy(update=update, deep=deep)
        if update and not _HASHED.isdisjoint(update):
            copy.__dict__.pop("_content_hash", None)
            copy.__dict__.pop("_prompt_hash", None)
        return copy

    def content_hash(self) -> str:
        """Hash of what the critic reads (conversation and responses), not labels or notes."""
        return self._content_hash

    def prompt_hash(self) -> str:
        """Hash of the conversation without the judged response(s): the engagement question's input."""
        return self._prompt_hash

    @cached_property
    def _prompt_hash(self) -> str:
        return hashlib.sha256(_framed(turn_fields(self.turns)).encode()).hexdigest()

    @cached_property
    def _content_hash(self) -> str:
        # Computed once per case: the studio looks up 50,000 cases' cached scores at start-up.
        responses = ["r", self.response, "a", self.a, "b", self.b]
        return hashlib.sha256(_framed([*turn_fields(self.turns), *responses]).encode()).hexdigest()


_HASHED = frozenset({"prompt", "response", "a", "b"})


def _framed(fields: list[str | None]) -> str:
    """Length-prefixed fields (None as `-`): unambiguous whatever the text holds, and cheap."""
    return "".join("-" if f is None else f"{len(f)}:{f}" for f in fields)


class CaseFile(StrictModel):
    """`eval_cases/*.yaml`: a top-level `cases:` list."""

    cases: list[EvalCase]
