"""Critic trust: how far the critic's labels agree with people, and a level derived from it.

Gold is the human verdict on a case as a whole, so the critic is judged on each gold case's
*overall* label (the verdict of the highest-priority linked principle). Per principle, a
principle answers for the gold cases it decides. Pair cases count: gold `a` is the positive
class of a pair (P(a preferred) is its score), `violates` that of a single response.

Levels (docs/trust.md), from Cohen's kappa and its seeded bootstrap 95% interval:

* `unknown`   fewer than MIN_GOLD gold cases: nothing can be said;
* `untrusted` the kappa interval reaches 0, or the AUC interval reaches 0.5 (labels, or the
              probabilities behind them, not distinguishable from chance);
* `good`      kappa >= GOOD_KAPPA and the interval's lower end >= GOOD_KAPPA_LOW;
* `weak`      anything in between.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from constitution_studio.core import metrics
from constitution_studio.core.workspace import Workspace

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


class TrustReport(BaseModel):
    """Agreement with gold overall and per principle, at one version, with the thresholds used."""

    version: str
    overall: Agreement
    principles: list[PrincipleTrust] = Field(default_factory=list)
    seed: int = 0
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
    y = [int(g) for g in gold]
    p = [int(x) for x in predicted]
    s = [float(x) for x in scores]
    figures = _figures_with_intervals(y, p, s, n_boot=BOOTSTRAP, seed=seed)
    est = {name: Estimate(value=v, low=lo, high=hi) for name, (v, lo, hi) in figures.items()}
    return Agreement(
        n=len(y),
        n_pair=n_pair,
        accuracy=est["accuracy"],
        balanced_accuracy=est["balanced_accuracy"],
        kappa=est["kappa"],
        auc=est["auc"],
        level=trust_level(len(y), est["kappa"], est["auc"]),
    )


def _figures_with_intervals(
    y: Sequence[int], p: Sequence[int], s: Sequence[float], *, n_boot: int, seed: int
) -> dict[str, tuple[float | None, float | None, float | None]]:
    """Point figures and seeded percentile bootstrap 95% intervals (core.metrics, resampling cases)."""
    preds = [float(x) for x in p]

    def on_labels(metric: Callable[[Sequence[int], Sequence[int]], float | None]) -> metrics.Metric:
        return lambda t, q: metric(t, [int(x) for x in q])

    out: dict[str, tuple[float | None, float | None, float | None]] = {}
    for name, metric, values in (
        ("accuracy", on_labels(metrics.accuracy), preds),
        ("balanced_accuracy", on_labels(metrics.balanced_accuracy), preds),
        ("kappa", on_labels(metrics.cohens_kappa), preds),
        ("auc", metrics.auc, list(s)),
    ):
        point = metric(list(y), values)
        interval = metrics.bootstrap(metric, list(y), values, n_boot, seed) if point is not None else None
        out[name] = (point, *interval) if interval else (point, None, None)
    return out


def gold_rows(ws: Workspace, scores: Mapping[tuple[str, str], Any]) -> list[tuple[str, str, bool, bool, float, str]]:
    """(case id, deciding principle, gold positive, predicted positive, score, kind) per scored gold case."""
    from constitution_studio.core.labels import overall_label

    rows: list[tuple[str, str, bool, bool, float, str]] = []
    for cid, case in ws.cases.items():
        if case.gold is None:
            continue
        linked = [pid for pid in dict.fromkeys(case.principles) if pid in ws.principles]
        by_pid = {pid: scores[(pid, cid)] for pid in linked if (pid, cid) in scores}
        if not linked or len(by_pid) != len(linked):
            continue
        label, deciding, _ = overall_label(case, by_pid, ws.priority)
        if deciding is None or label is None:
            continue
        rows.append(
            (cid, deciding, case.gold in POSITIVE, label in POSITIVE, float(by_pid[deciding].probability), case.kind)
        )
    return rows


def trust_report(ws: Workspace, scores: Mapping[tuple[str, str], Any], *, seed: int = 0) -> TrustReport:
    """Agreement of the critic's scores (keyed by (principle id, case id)) with the gold labels of `ws`."""
    rows = gold_rows(ws, scores)

    def agree(sel: list[tuple[str, str, bool, bool, float, str]]) -> Agreement:
        return agreement(
            [r[2] for r in sel],
            [r[3] for r in sel],
            [r[4] for r in sel],
            n_pair=sum(r[5] == "pair" for r in sel),
            seed=seed,
        )

    per = []
    for pid in ws.ordered_principle_ids():
        sel = [r for r in rows if r[1] == pid]
        if sel:
            per.append(PrincipleTrust(principle_id=pid, agreement=agree(sel)))
    return TrustReport(version=ws.label, overall=agree(rows), principles=per, seed=seed)


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
        f"{who}trust {a.level.value.upper()} on {a.n} gold case(s)"
        f" — kappa {a.kappa.text()}, AUC {a.auc.text()}, balanced accuracy {a.balanced_accuracy.text()}"
    )


def format_trust_text(
    report: TrustReport, critic: Mapping[str, Any] | None = None, *, per_principle: bool = True
) -> str:
    """Plain text block for terminals: headline, warning when untrusted/unknown, per-principle lines."""
    lines = [trust_headline(report, critic)]
    if report.level in (TrustLevel.UNTRUSTED, TrustLevel.UNKNOWN):
        lines.append(f"warning: the critic's labels may be noise. {ADVICE}.")
    if per_principle and report.principles:
        lines.append(f"  {'principle':<12} {'n':>4}  {'trust':<9} {'kappa':<22} {'AUC':<22}")
        for pt in report.principles:
            a = pt.agreement
            lines.append(
                f"  {pt.principle_id:<12} {a.n:>4}  {a.level.value:<9} {a.kappa.text():<22} {a.auc.text():<22}"
            )
    return "\n".join(lines) + "\n"
