"""ScoredVersion: one version of the constitution with the critic's answers, and its verdicts.

Scores are keyed by (principle, case, judge), where a judge is one of the critic's template
variants (the first is the primary judge, whose labels are reported; the others form the
noise floor). Verdict answers and engagement answers are kept apart. Every consumer asks
this object for a case's `Verdict`; none re-derives one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.answer_key import AnswerKey
from constitution_studio.core.analysis.resolve import Resolution, case_gold, rank_map, resolve, split_linked
from constitution_studio.core.critic.types import Score
from constitution_studio.core.workspace import Workspace

Key = tuple[str, str, str]  # (principle id, case id, judge)


class Verdict(BaseModel):
    """One version's verdict on a case (overall) or on one (principle, case) pair."""

    probability: float | None = Field(
        description="P(violates) (single) or P(a preferred) (pair) of the deciding principle, primary judge."
    )
    label: str | None = Field(description="None when the case is incomplete (not every linked principle scored).")
    deciding: str | None = Field(default=None, description="Principle whose verdict decided the overall label.")
    rule: str | None = Field(default=None, description="How it was decided (analysis/resolve.py RULE_*).")
    engaged: list[str] = Field(default_factory=list, description="Linked principles the request bears on.")
    engagement: dict[str, float] = Field(default_factory=dict, description="P(engaged) per linked principle.")
    conflict: bool = Field(default=False, description="Engaged linked principles disagreed; priority decided.")
    labels: dict[str, str] = Field(default_factory=dict, description="Each linked principle's own label.")
    variant_labels: dict[str, str] = Field(default_factory=dict, description="Label under each judge variant.")
    stable: bool = Field(default=True, description="Every judge variant gave the primary judge's label.")
    band: float | None = Field(
        default=None, description="Noise band: spread (max - min) of the probability across judge variants."
    )
    complete: bool = True
    missing: list[str] = Field(default_factory=list, description="Linked principles not scored (incomplete).")
    deprecated: list[str] = Field(default_factory=list, description="Linked deprecated principles (never decide).")
    agrees_with_gold: bool | None = None


@dataclass
class ScoredVersion:
    """A workspace and the critic's answers on it."""

    ws: Workspace
    judges: list[str]
    engagement: bool = True
    locale: str | None = None  # the judge reads statement + this locale's addendum (anchored.localized_statement)
    demonstrations: dict[str, set[str]] = field(default_factory=dict)  # anchored: gold shown per principle
    # the answer key this version is judged against (the base's, for a head: answer_key.py);
    # None: the version's own gold and benign flags
    key: AnswerKey | None = None
    verdicts: dict[Key, Score] = field(default_factory=dict)
    engaged: dict[Key, Score] = field(default_factory=dict)
    _eligible: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict, repr=False)
    _rank: dict[str, int] | None = field(default=None, repr=False)
    _verdicts: dict[tuple[str, tuple[str, ...]], Verdict | None] = field(default_factory=dict, repr=False)

    @property
    def primary(self) -> str:
        return self.judges[0]

    def add(self, score: Score) -> None:
        key = (score.principle_id, score.case_id, score.variant)
        (self.engaged if score.kind == "engagement" else self.verdicts)[key] = score
        self._verdicts.clear()  # a new answer can change any verdict already formed

    # -- resolution -----------------------------------------------------------------------

    def eligible(self, case_id: str) -> tuple[list[str], list[str]]:
        """(principles that may decide the case, highest priority first; deprecated ones)."""
        found = self._eligible.get(case_id)
        if found is None:
            if self._rank is None:
                self._rank = rank_map(self.ws.priority)
            found = self._eligible[case_id] = split_linked(self.ws.cases[case_id], self._rank, self.ws.principles)
        return found

    def resolution(self, case_id: str, judge: str | None = None) -> Resolution:
        """The case's verdict under one judge (the primary by default)."""
        eligible, deprecated = self.eligible(case_id)
        return self._resolution(case_id, self.ws.cases[case_id].kind, eligible, deprecated, judge or self.primary)

    def _resolution(
        self, case_id: str, kind: str, eligible: list[str], deprecated: list[str], judge: str
    ) -> Resolution:
        verdicts = self.verdicts
        labels = {p: s.label for p in eligible if (s := verdicts.get((p, case_id, judge))) is not None}
        engaged = None
        if self.engagement:
            answers = self.engaged
            engaged = {p: s.label == "engaged" for p in eligible if (s := answers.get((p, case_id, judge)))}
        return resolve(eligible, labels, engaged, kind=kind, deprecated=deprecated)

    def decision(self, case_id: str) -> tuple[str | None, str | None, float | None]:
        """(label, deciding principle, its probability) under the primary judge: what trust
        reads, without forming a whole `Verdict` for every gold case."""
        memo = self._verdicts.get((case_id, (self.primary,)))
        if memo is None:
            memo = self._verdicts.get((case_id, tuple(self.judges)))
        if memo is not None:
            return memo.label, memo.deciding, memo.probability
        res = self.resolution(case_id)  # resolve.py decides, one-principle cases on its fast path
        if res.deciding is None:
            return res.label, None, None
        return res.label, res.deciding, self.verdicts[(res.deciding, case_id, self.primary)].probability

    def gold(self, case_id: str) -> str | None:
        """The case's overall gold in this version's answer key."""
        if self.key is not None:
            return self.key.gold.get(case_id)
        case = self.ws.cases[case_id]
        if not isinstance(case.gold, dict):
            return case.gold or None
        if self._rank is None:
            self._rank = rank_map(self.ws.priority)
        return case_gold(case, self._rank, self.ws.principles)

    def gold_by_principle(self, case_id: str) -> dict[str, str]:
        """The case's per-principle gold in this version's answer key ({} when none)."""
        if self.key is not None:
            return self.key.by_principle.get(case_id, {})
        case = self.ws.cases.get(case_id)
        return case.gold_by_principle if case is not None else {}

    def benign(self, case_id: str) -> bool:
        """The case is benign in this version's answer key."""
        if self.key is not None:
            return case_id in self.key.benign
        case = self.ws.cases.get(case_id)
        return case is not None and case.benign

    def gold_case_ids(self) -> list[str]:
        """The version's cases that have gold in its answer key, in file order."""
        if self.key is None:
            return [cid for cid, c in self.ws.cases.items() if c.gold]
        key = self.key
        return [cid for cid in self.ws.cases if cid in key.gold or cid in key.by_principle]

    def verdict(self, case_id: str, judges: Sequence[str] | None = None) -> Verdict | None:
        """The case's overall verdict, its stability over `judges` (default: all), gold agreement.

        None when the case does not exist at this version.
        """
        if case_id not in self.ws.cases:
            return None
        judges = list(judges or self.judges)
        memo = (case_id, tuple(judges))
        if memo in self._verdicts:
            return self._verdicts[memo]
        verdict = self._verdict(case_id, judges)
        self._verdicts[memo] = verdict
        return verdict

    def _verdict(self, case_id: str, judges: list[str]) -> Verdict:
        kind = self.ws.cases[case_id].kind
        eligible, deprecated = self.eligible(case_id)
        primary = judges[0]
        res = self._resolution(case_id, kind, eligible, deprecated, primary)
        by_judge = {primary: res.label}
        for judge in judges[1:]:
            by_judge[judge] = self._resolution(case_id, kind, eligible, deprecated, judge).label
        probability = band = None
        if res.deciding is not None:
            probability = self.verdicts[(res.deciding, case_id, primary)].probability
            band = _band([self.verdicts.get((res.deciding, case_id, j)) for j in judges])
        gold = self.gold(case_id)
        answers = self.engaged
        return Verdict(
            probability=probability,
            label=res.label,
            deciding=res.deciding,
            rule=res.rule,
            engaged=list(res.engaged),
            engagement={p: s.probability for p in eligible if (s := answers.get((p, case_id, primary))) is not None},
            conflict=res.conflict,
            labels=dict(res.labels),
            variant_labels={j: lab for j, lab in by_judge.items() if lab is not None},
            stable=res.label is not None and all(lab == res.label for lab in by_judge.values()),
            band=band,
            complete=res.complete,
            missing=list(res.missing),
            deprecated=list(res.deprecated),
            agrees_with_gold=None if gold is None or res.label is None else gold == res.label,
        )

    def principle_verdict(self, principle_id: str, case_id: str, judges: Sequence[str] | None = None) -> Verdict | None:
        """One principle's own label on a case (not the case's overall verdict)."""
        judges = list(judges or self.judges)
        primary = self.verdicts.get((principle_id, case_id, judges[0]))
        case = self.ws.cases.get(case_id)
        if primary is None or case is None:
            return None
        labels = {j: s.label for j in judges if (s := self.verdicts.get((principle_id, case_id, j))) is not None}
        gold = self.gold_by_principle(case_id).get(principle_id)
        eng = self.engaged.get((principle_id, case_id, judges[0]))
        return Verdict(
            probability=primary.probability,
            label=primary.label,
            engaged=[principle_id] if eng is not None and eng.label == "engaged" else [],
            engagement={principle_id: eng.probability} if eng is not None else {},
            variant_labels=labels,
            stable=len(labels) == len(judges) and all(lab == primary.label for lab in labels.values()),
            band=_band([self.verdicts.get((principle_id, case_id, j)) for j in judges]),
            agrees_with_gold=None if gold is None else gold == primary.label,
        )


def _band(scores: list[Score | None]) -> float | None:
    values = [s.probability for s in scores if s is not None]
    return max(values) - min(values) if len(values) > 1 else None


def inside_noise_band(verdict: Verdict, threshold: float = 0.5) -> bool:
    """The probability is no farther from its threshold than the judge variants spread apart
    (`band`), or sits on it: an equivalent judge could have given the other label. Only the
    primary probability's distance is compared; `stable` says whether a variant actually did."""
    if verdict.probability is None:
        return True
    margin = abs(verdict.probability - threshold)
    return margin == 0.0 or (verdict.band is not None and margin <= verdict.band)


def flip_is_stable(base: Verdict | None, head: Verdict | None) -> bool:
    """A flip is stable only when every judge on *both* sides agrees with that side's primary label."""
    return base is not None and head is not None and base.stable and head.stable
