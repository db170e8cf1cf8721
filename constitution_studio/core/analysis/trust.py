"""Critic trust: how far the critic's labels agree with people, and a level derived from it.

Overall, the critic is judged on each gold case's *overall* verdict (analysis/resolve.py)
against its overall gold (given for the case, or derived from per-principle gold by the same
rule). Per principle: where gold is given per principle, that principle's own label is
compared with it directly; where gold is given for the case as a whole, the principle that
decided the case answers for it. Pair cases count: gold `a` is the positive class of a pair
(P(a preferred) is its score), `violates` that of a single response. Incomplete cases (not
every deciding-eligible principle scored) are left out, never judged on a subset.

Levels (docs/trust.md), from Cohen's kappa and its seeded bootstrap 95% interval:

* `unknown`   fewer than MIN_GOLD gold cases: nothing can be said;
* `untrusted` the kappa interval reaches 0, or the AUC interval reaches 0.5 (labels, or the
              probabilities behind them, not distinguishable from chance);
* `good`      kappa >= GOOD_KAPPA and the interval's lower end >= GOOD_KAPPA_LOW;
* `weak`      anything in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.wording import plural

MIN_GOLD = 10
GOOD_KAPPA = 0.6
GOOD_KAPPA_LOW = 0.4
BOOTSTRAP = 1000
POSITIVE = ("violates", "a")


class TrustLevel(StrEnum):
    UNKNOWN = "unknown"
    UNTRUSTED = "untrusted"
    WEAK = "weak"
    GOOD = "good"


class Estimate(BaseModel):
    """A figure and its bootstrap 95% interval (None when undefined, e.g. one class only)."""

    value: float | None
    low: float | None = None
    high: float | None = None

    def text(self, digits: int = 2) -> str:
        if self.value is None:
            return "n/a"

        def fmt(x: float) -> str:
            return f"{round(x, digits) + 0.0:.{digits}f}"  # + 0.0 turns -0.0 into 0.0

        if self.low is None or self.high is None:
            return fmt(self.value)
        return f"{fmt(self.value)} [{fmt(self.low)}, {fmt(self.high)}]"


class Agreement(BaseModel):
    """Critic vs gold on a set of cases."""

    n: int
    n_pair: int = Field(default=0, description="How many of the n are pair cases.")
    accuracy: Estimate
    balanced_accuracy: Estimate
    kappa: Estimate
    auc: Estimate
    level: TrustLevel


class PrincipleTrust(BaseModel):
    principle_id: str
    agreement: Agreement
    excluded: int = Field(default=0, description="Gold cases left out (e.g. shown to the judge as demonstrations).")


class PrincipleChange(BaseModel):
    """One principle's agreement before → after (None: no gold rows on that side)."""

    principle_id: str
    before: Agreement | None
    after: Agreement | None
    within_noise: bool


class TrustChange(BaseModel):
    """Agreement with gold before → after the uncommitted gold changes (work tree vs `ref`)."""

    ref: str = Field(default="HEAD", description="The commit whose gold is 'before'.")
    changed: list[str] = Field(description="Cases whose gold differs from the commit's (added, changed or removed).")
    before: Agreement
    after: Agreement
    within_noise: bool = Field(description="The new kappa lies inside the old kappa's 95% interval.")
    principles: list[PrincipleChange] = Field(
        default_factory=list, description="Principles a changed case is linked to, in priority order."
    )


class TrustReport(BaseModel):
    """Agreement with gold overall and per principle, at one version, with the thresholds used."""

    version: str
    overall: Agreement
    principles: list[PrincipleTrust] = Field(default_factory=list)
    excluded: int = Field(
        default=0, description="Gold cases left out of agreement: shown to the judge as demonstrations (anchored)."
    )
    demonstrations: dict[str, list[str]] = Field(
        default_factory=dict, description="Per principle, the gold cases the judge was shown (method anchored)."
    )
    seed: int = 0
    gold_cases: int = Field(default=0, description="Cases with gold at this version (demonstrations included).")
    unscored: int = Field(
        default=0, description="Gold cases left out because the critic has not scored every principle they need."
    )
    answers_needed: int = Field(
        default=0, description="Critic answers a full run would still compute (0 when everything was scored)."
    )
    uncommitted: TrustChange | None = Field(
        default=None,
        description="`cstudio trust`: agreement before → after the gold not committed yet (work tree vs HEAD).",
    )
    thresholds: dict[str, float] = Field(
        default_factory=lambda: {"min_gold": MIN_GOLD, "good_kappa": GOOD_KAPPA, "good_kappa_low": GOOD_KAPPA_LOW}
    )

    @property
    def level(self) -> TrustLevel:
        return self.overall.level

    def principle(self, principle_id: str) -> Agreement | None:
        return next((p.agreement for p in self.principles if p.principle_id == principle_id), None)


def trust_level(n: int, kappa: Estimate, auc: Estimate | None = None) -> TrustLevel:
    """The documented thresholds, in one place.

    The AUC rule catches a critic whose kappa edges above 0 by threshold luck while its
    probabilities rank gold cases no better than a coin (seen with the builtin model).
    """
    if n < MIN_GOLD:
        return TrustLevel.UNKNOWN
    if kappa.value is None or kappa.low is None or kappa.low <= 0.0:
        return TrustLevel.UNTRUSTED
    if auc is not None and auc.low is not None and auc.low <= 0.5:
        return TrustLevel.UNTRUSTED
    if kappa.value >= GOOD_KAPPA and kappa.low >= GOOD_KAPPA_LOW:
        return TrustLevel.GOOD
    return TrustLevel.WEAK


def agreement(
    gold: Sequence[bool], predicted: Sequence[bool], scores: Sequence[float], *, n_pair: int = 0, seed: int = 0
) -> Agreement:
    """Accuracy, balanced accuracy, kappa and AUC with seeded bootstrap 95% intervals."""
    from constitution_studio.core.analysis.agreement import figures_with_intervals  # numpy: the critic extra

    figures = figures_with_intervals(
        [int(g) for g in gold], [int(x) for x in predicted], [float(x) for x in scores], n_boot=BOOTSTRAP, seed=seed
    )
    est = {name: Estimate(value=v, low=lo, high=hi) for name, (v, lo, hi) in figures.items()}
    return Agreement(
        n=len(gold),
        n_pair=n_pair,
        accuracy=est["accuracy"],
        balanced_accuracy=est["balanced_accuracy"],
        kappa=est["kappa"],
        auc=est["auc"],
        level=trust_level(len(gold), est["kappa"], est["auc"]),
    )


def _agreement_from(figures: dict[str, tuple[float | None, float | None, float | None]], rows: list[Any]) -> Agreement:
    est = {name: Estimate(value=v, low=lo, high=hi) for name, (v, lo, hi) in figures.items()}
    return Agreement(
        n=len(rows),
        n_pair=sum(r.kind == "pair" for r in rows),
        accuracy=est["accuracy"],
        balanced_accuracy=est["balanced_accuracy"],
        kappa=est["kappa"],
        auc=est["auc"],
        level=trust_level(len(rows), est["kappa"], est["auc"]),
    )


@dataclass(frozen=True)
class GoldRow:
    """One comparison of the critic with a person."""

    case_id: str
    principle_id: str
    gold: bool
    predicted: bool
    score: float
    kind: str


def gold_rows(version: ScoredVersion) -> tuple[list[GoldRow], list[GoldRow]]:
    """(overall rows, per-principle rows) over the version's scored gold cases (primary judge)."""
    overall: list[GoldRow] = []
    per: list[GoldRow] = []
    primary = version.primary
    verdicts = version.verdicts
    cases = version.ws.cases
    for cid in version.gold_case_ids():  # the version's answer key (a head's: the base's, answer_key.py)
        case = cases[cid]
        by_principle = version.gold_by_principle(cid)
        label, deciding, probability = version.decision(cid)
        gold = version.gold(cid)
        if label is not None and gold is not None and deciding and probability is not None:
            row = GoldRow(cid, deciding, gold in POSITIVE, label in POSITIVE, probability, case.kind)
            overall.append(row)
            if not by_principle:
                per.append(row)
        for pid, pid_gold in by_principle.items():
            s = verdicts.get((pid, cid, primary))
            if s is not None:
                per.append(GoldRow(cid, pid, pid_gold in POSITIVE, s.label in POSITIVE, s.probability, case.kind))
    return overall, per


def trust_report(
    version: ScoredVersion,
    *,
    seed: int = 0,
    excluded: Mapping[str, set[str]] | None = None,
    principles: Iterable[str] | None = None,
) -> TrustReport:
    """Agreement of the version's primary-judge verdicts with its gold labels.

    `excluded` maps a principle to gold cases that must not count for it (and so not overall
    either), e.g. the demonstrations the judge was shown for that principle; by default the
    version's own (`ScoredVersion.demonstrations`, method anchored). `principles` limits the
    per-principle figures to those a report shows (the overall figure is always over every
    gold case).
    """
    excluded = version.demonstrations if excluded is None else excluded
    rows, per_rows = gold_rows(version)
    shown = {cid for cids in excluded.values() for cid in cids}
    n_rows = len(rows)
    rows = [r for r in rows if r.case_id not in shown]

    def agree(sel: list[GoldRow]) -> Agreement:
        return agreement(
            [r.gold for r in sel],
            [r.predicted for r in sel],
            [r.score for r in sel],
            n_pair=sum(r.kind == "pair" for r in sel),
            seed=seed,
        )

    by_pid: dict[str, list[GoldRow]] = {}
    for r in per_rows:
        by_pid.setdefault(r.principle_id, []).append(r)
    wanted = set(principles) if principles is not None else None
    ids = [pid for pid in version.ws.ordered_principle_ids() if pid in by_pid and (wanted is None or pid in wanted)]
    kept = {pid: [r for r in by_pid[pid] if r.case_id not in excluded.get(pid, set())] for pid in ids}
    # every principle's intervals in one vectorised bootstrap (analysis/agreement.py)
    from constitution_studio.core.analysis.agreement import grouped_figures  # numpy: the critic extra

    figures = grouped_figures(
        [
            ([int(r.gold) for r in kept[pid]], [int(r.predicted) for r in kept[pid]], [r.score for r in kept[pid]])
            for pid in ids
        ],
        n_boot=BOOTSTRAP,
        seed=seed,
    )
    per = [
        PrincipleTrust(
            principle_id=pid,
            agreement=_agreement_from(figures[k], kept[pid]),
            excluded=len(by_pid[pid]) - len(kept[pid]),
        )
        for k, pid in enumerate(ids)
    ]
    gold_ids = version.gold_case_ids()  # the version's answer key (a head's: the base's)
    return TrustReport(
        version=version.ws.label,
        gold_cases=len(gold_ids),
        unscored=sum(1 for cid in gold_ids if version.decision(cid)[0] is None),
        overall=agree(rows),
        principles=per,
        excluded=n_rows - len(rows),
        demonstrations={pid: sorted(cids) for pid, cids in sorted(excluded.items()) if cids},
        seed=seed,
    )


# --- text ------------------------------------------------------------------------------

ADVICE = (
    "To get a critic you can believe: add gold labels to more cases, compare scoring methods with "
    "`cstudio critic compare`, or use a stronger critic model (docs/critic.md)"
)


def trust_headline(report: TrustReport, critic: Mapping[str, Any] | None = None) -> str:
    """One line: the critic and its trust level with kappa and AUC."""
    a = report.overall
    who = ""
    if critic:
        method, templates = critic.get("method", "?"), critic.get("template_set", "?")
        who = f"critic {critic.get('model', '?')} ({method}, templates {templates}): "
    return (
        f"{who}trust {a.level.value.upper()} on {plural(a.n, 'gold case')}"
        f" — kappa {a.kappa.text()}, AUC {a.auc.text()}, balanced accuracy {a.balanced_accuracy.text()}"
    )


def excluded_note(report: TrustReport) -> str:
    """Say how many gold cases agreement leaves out, so trust is never read off the examples."""
    shown = sum(len(ids) for ids in report.demonstrations.values())
    return (
        f"  {plural(report.excluded, 'gold case')} left out of overall agreement ({plural(shown, 'demonstration')} "
        f"over {plural(len(report.demonstrations), 'principle')}, method anchored: each is left out of its "
        "principle's figures)"
    )


def scoring_state(report: TrustReport, action: str) -> str | None:
    """What is honest to say when the figures are not the whole story: no gold at all, nothing
    scored yet, or part of the gold not scored yet. `action` is how this surface scores the rest
    ("run without --cached-only", "press r"). None when every gold case was scored."""
    if report.gold_cases == 0:
        return "no gold labels yet: label cases (the review queue, `cstudio review`) to measure the critic"
    about = f" (about {plural(report.answers_needed, 'critic answer')})" if report.answers_needed else ""
    if report.overall.n == 0 and report.unscored:
        return f"nothing scored yet — {action}{about} to measure the critic on {plural(report.gold_cases, 'gold case')}"
    if report.unscored:
        return f"{report.unscored} of {plural(report.gold_cases, 'gold case')} not scored yet — {action}{about}"
    return None


def advice(report: TrustReport) -> str | None:
    """What would make the critic believable, for a report whose gold was scored (None: nothing to say)."""
    if report.level == TrustLevel.UNKNOWN and report.gold_cases - report.excluded < MIN_GOLD:
        return (
            f"warning: trust is unknown with {plural(report.overall.n, 'gold case')}; at least {MIN_GOLD} are needed — "
            "label more cases (the review queue, `cstudio review`)"
        )
    if report.level == TrustLevel.UNTRUSTED:
        return (
            "warning: the critic's labels may be noise. To get a critic you can believe: compare scoring methods "
            "with `cstudio critic compare`, or use a stronger critic model (docs/critic.md)"
        )
    return None


def format_trust_text(
    report: TrustReport,
    critic: Mapping[str, Any] | None = None,
    *,
    per_principle: bool = True,
    action: str = "run without --cached-only",
) -> str:
    """Plain text block for terminals: headline (or what is missing), advice, per-principle lines,
    and trust before → after the uncommitted gold."""
    state = scoring_state(report, action)
    if report.overall.n == 0 and state is not None:
        lines = [f"trust: {state}"]
    else:
        lines = [trust_headline(report, critic)]
        if state is not None:
            lines.append(f"  {state}")
        if report.demonstrations:
            lines.append(excluded_note(report))
        warning = advice(report)
        if warning is not None:
            lines.append(warning)
    if per_principle and report.principles:
        lines.append(f"  {'principle':<12} {'n':>4}  {'trust':<9} {'kappa':<22} {'AUC':<22}")
        for pt in report.principles:
            a = pt.agreement
            shown = f" ({pt.excluded} left out: demonstrations)" if pt.excluded else ""
            lines.append(
                f"  {pt.principle_id:<12} {a.n:>4}  {a.level.value:<9} {a.kappa.text():<22} {a.auc.text():<22}{shown}"
            )
    if report.uncommitted is not None:
        from constitution_studio.core.analysis.trust_delta import change_lines

        lines += change_lines(report.uncommitted)
    return "\n".join(lines) + "\n"
