"""The result models of label shift: what `shift`, `check` and the studio's impact view show."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.answer_key import AnswerKeyReport
from constitution_studio.core.analysis.scored import Verdict
from constitution_studio.core.analysis.trust import TrustReport
from constitution_studio.core.worddiff import WordOp


class PrincipleCaseShift(BaseModel):
    """One principle's own label on one case, under base and head wording."""

    principle_id: str
    case_id: str
    base: Verdict | None
    head: Verdict | None
    flipped: bool
    direction: str | None = Field(default=None, description="'<base label>-><head label>' when flipped.")
    stable: bool = Field(description="Every judge variant on both sides gave that side's primary label.")
    delta: float | None = Field(default=None, description="head probability - base probability.")


class CaseShift(BaseModel):
    """One affected case: overall label at base and head, flip, gold."""

    case_id: str
    kind: str
    benign: bool = Field(description="Benign in the base's answer key.")
    gold: str | None = Field(
        description="Overall gold in the base's answer key (derived from per-principle gold when given so); "
        "None for a case the base has no gold for (gold the head adds: answer_key.added)."
    )
    gold_by_principle: dict[str, str] = Field(default_factory=dict)
    principles_base: list[str]
    principles_head: list[str]
    prompt: str = Field(description="Excerpt of the last user turn.")
    turns: list[str] = Field(
        default_factory=list,
        description="The conversation as `role: excerpt` lines (`tool NAME (CALL):` for a tool result, `→ name(args)` "
        "for a tool call) when it is more than one user turn.",
    )
    response: str = Field(description="Excerpt of the response (or of a and b for a pair).")
    base: Verdict | None
    head: Verdict | None
    flipped: bool
    direction: str | None = None
    stable: bool = Field(default=True, description="Every judge variant on both sides agrees (flip_is_stable).")
    gold_regression: bool = Field(default=False, description="Right at base, wrong at head (stable flips only).")
    gold_fix: bool = Field(default=False, description="Wrong at base, right at head (stable flips only).")
    unstable_gold_change: bool = Field(
        default=False, description="Gold regression or fix inside the noise band: reported, never counted."
    )
    disputed: bool = Field(
        default=False, description="Flipped under the panel, and its members disagree at base or head (never counted)."
    )
    why: list[str] = Field(default_factory=list, description="What brought the case in: principle IDs, case, priority.")


class Stats(BaseModel):
    """Counts and rates for one principle or for the whole shift."""

    scored: int = 0
    flips_stable: dict[str, int] = Field(default_factory=dict, description="Direction -> count.")
    flips_unstable: dict[str, int] = Field(default_factory=dict)
    mean_abs_delta: float | None = None
    max_abs_delta: float | None = None
    gold_n_base: int = 0
    gold_n_head: int = 0
    gold_accuracy_base: float | None = None
    gold_accuracy_head: float | None = None
    gold_regressions: list[str] = Field(default_factory=list)
    gold_fixes: list[str] = Field(default_factory=list)
    benign_n_base: int = 0
    benign_n_head: int = 0
    over_refusal_base: float | None = None
    over_refusal_head: float | None = None
    conflicts_base: int = 0
    conflicts_head: int = 0

    @property
    def n_flips_stable(self) -> int:
        return sum(self.flips_stable.values())

    @property
    def n_flips_unstable(self) -> int:
        return sum(self.flips_unstable.values())

    @property
    def over_refusal_increase(self) -> float | None:
        if self.over_refusal_base is None or self.over_refusal_head is None:
            return None
        return self.over_refusal_head - self.over_refusal_base


class PrincipleShift(BaseModel):
    """A changed principle: its change kinds, rewording, and what it did to its cases."""

    principle_id: str
    title: str
    changes: list[str]
    rank_base: int | None
    rank_head: int | None
    statement_base: str | None
    statement_head: str | None
    words: list[WordOp] = Field(default_factory=list, description="Word diff of the statement when reworded.")
    stats: Stats
    rows: list[PrincipleCaseShift]


class LocaleShift(BaseModel):
    """The shift judged on statement + one locale's addendum (critic.locales): the same figures per locale."""

    locale: str
    principles: list[PrincipleShift]
    cases: list[CaseShift]
    overall: Stats
    trust: TrustReport
    incomplete: list[str] = Field(default_factory=list)
    undecided: list[str] = Field(default_factory=list)
    disputed: list[str] = Field(default_factory=list)


class ShiftReport(BaseModel):
    """Everything `shift` and `check` show: per principle, per case, overall, and trust."""

    base: str
    head: str
    critic: dict[str, Any] = Field(description="Model, template set, method, device of the critic used.")
    engagement: bool = Field(default=True, description="Engaged principles decide (critic.engagement).")
    variants: list[str]
    priority_changed: bool
    principles: list[PrincipleShift]
    cases: list[CaseShift]
    overall: Stats
    answer_key: AnswerKeyReport = Field(
        default_factory=AnswerKeyReport,
        description="The base's answer key: what the head changed in it (gold edited, cases removed, renamed, "
        "unlinked, benign flags dropped) and what it adds (scored, shown apart).",
    )
    trust: TrustReport = Field(description="The critic's agreement at the head with the base's gold labels.")
    incomplete: list[str] = Field(
        default_factory=list, description="Affected cases not every deciding-eligible principle was scored for."
    )
    undecided: list[str] = Field(
        default_factory=list,
        description="Affected cases no principle may decide on one side (every linked principle deprecated there).",
    )
    disputed: list[str] = Field(
        default_factory=list,
        description="Cases whose overall label flipped under the panel while its members disagree on either side; "
        "listed apart, never counted by gates.",
    )
    locale: str | None = Field(default=None, description="The locale whose addendum the judge read (--locale).")
    locales: list[LocaleShift] = Field(
        default_factory=list, description="The same shift per configured locale (critic.locales)."
    )
    cancelled: bool = Field(default=False, description="Scoring was cancelled; the figures are partial.")
    scope: list[str] = Field(
        default_factory=list,
        description="--principle: the principles whose cases were scored; empty: the whole constitution.",
    )
    partial: list[str] = Field(
        default_factory=list,
        description="Figures that need more than the scope's cases (trust over all gold, over-refusal over every "
        "benign case): where they come from and how far they reach.",
    )
    requests: int = Field(description="Distinct (principle wording, case, variant) scores needed.")
    cached: int = Field(description="How many of them the cache already held.")
    model_calls: int = Field(description="Forward passes the critic ran for this report.")
    warnings: list[str] = Field(default_factory=list, description="e.g. calibration entries ignored, and why.")
