"""Per-principle calibration from gold labels: a threshold and, optionally, a Platt scale.

The fit uses the single-response gold comparisons a principle answers for in trust
(analysis/trust.py `gold_rows`: its per-principle gold, or the gold cases it decides).
Before/after figures are cross-validated (stratified k-fold, seeded): every case is
predicted by a fit that did not see it, so "after" is not fitted on itself. Each written
entry records what it was fitted for (model identity, method, template set, wording), and
the critic ignores it under anything else.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from constitution_studio.core.analysis import agreement as metrics
from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.trust import gold_rows
from constitution_studio.core.critic.types import CriticInfo

MIN_PER_CLASS = 2  # gold cases of each class needed before a threshold is fitted


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def platt_apply(p: float, a: float, b: float) -> float:
    z = a * _logit(p) + b
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def fit_platt(y: Sequence[int], p: Sequence[float], l2: float = 1e-2, iters: int = 50) -> tuple[float, float]:
    """Logistic regression of gold on logit(p) (Newton's method, small L2 on the slope)."""
    x = [_logit(v) for v in p]
    a, b = 1.0, 0.0
    for _ in range(iters):
        ga = gb = haa = hab = hbb = 0.0
        for xi, yi in zip(x, y, strict=True):
            q = platt_apply_z(a * xi + b)
            r = q - yi
            w = q * (1 - q)
            ga += r * xi
            gb += r
            haa += w * xi * xi
            hab += w * xi
            hbb += w
        ga += l2 * a
        haa += l2
        hbb += 1e-9
        det = haa * hbb - hab * hab
        if abs(det) < 1e-12:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) < 1e-9 and abs(db) < 1e-9:
            break
    return a, b


def platt_apply_z(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def fit_threshold(y: Sequence[int], p: Sequence[float], default: float = 0.5) -> float:
    """The threshold (label = p >= t) with the best balanced accuracy on (y, p).

    Candidates are midpoints between consecutive distinct scores (and just outside the ends);
    ties go to higher accuracy, then to the candidate nearest `default`. One class only ->
    `default`.
    """
    if len(set(y)) < 2:
        return default
    values = sorted(set(p))
    candidates = [values[0] - 1e-6] + [(lo + hi) / 2 for lo, hi in itertools.pairwise(values)]
    candidates.append(values[-1] + 1e-6)
    best: tuple[float, float, float] | None = None
    best_t = default
    for t in candidates:
        pred = [int(v >= t) for v in p]
        key = (metrics.balanced_accuracy(y, pred) or 0.0, metrics.accuracy(y, pred) or 0.0, -abs(t - default))
        if best is None or key > best:
            best, best_t = key, t
    return min(max(best_t, 0.0), 1.0)


@dataclass(frozen=True)
class Fit:
    threshold: float
    platt_a: float | None = None
    platt_b: float | None = None

    def predict(self, p: float) -> int:
        q = platt_apply(p, self.platt_a, self.platt_b or 0.0) if self.platt_a is not None else p
        return int(q >= self.threshold)


def fit(y: Sequence[int], p: Sequence[float], *, platt: bool = False, default: float = 0.5) -> Fit:
    """Fit a threshold (after an optional Platt scale) on gold labels y and raw probabilities p."""
    if platt and len(set(y)) == 2:
        a, b = fit_platt(y, p)
        q = [platt_apply(v, a, b) for v in p]
        return Fit(threshold=fit_threshold(y, q, default), platt_a=a, platt_b=b)
    return Fit(threshold=fit_threshold(y, p, default))


def _folds(y: Sequence[int], k: int, seed: int) -> list[list[int]]:
    """Stratified folds of case indices, shuffled with a seeded RNG."""
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    for cls in (0, 1):
        idx = [i for i, v in enumerate(y) if v == cls]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[j % k].append(i)
    return [f for f in folds if f]


def cross_validated_predictions(
    y: Sequence[int], p: Sequence[float], *, platt: bool = False, folds: int = 5, seed: int = 0, default: float = 0.5
) -> list[int]:
    """Out-of-fold labels: each case predicted by a fit on the other folds."""
    k = max(2, min(folds, min(sum(y), len(y) - sum(y))))
    pred = [0] * len(y)
    for test in _folds(y, k, seed):
        held = set(test)
        train = [i for i in range(len(y)) if i not in held]
        f = fit([y[i] for i in train], [p[i] for i in train], platt=platt, default=default)
        for i in test:
            pred[i] = f.predict(p[i])
    return pred


def figures(y: Sequence[int], pred: Sequence[int]) -> dict[str, float | None]:
    return {
        "accuracy": metrics.accuracy(y, pred),
        "balanced_accuracy": metrics.balanced_accuracy(y, pred),
        "kappa": metrics.cohens_kappa(y, pred),
    }


@dataclass
class PrincipleFit:
    """One principle's calibration and its cross-validated before/after figures."""

    principle_id: str
    n: int
    positives: int
    fit: Fit | None  # None: too few gold cases of each class
    before: dict[str, float | None] = field(default_factory=dict)
    after: dict[str, float | None] = field(default_factory=dict)


def calibrate_principle(
    principle_id: str,
    y: Sequence[int],
    p: Sequence[float],
    *,
    platt: bool = False,
    default: float = 0.5,
    folds: int = 5,
    seed: int = 0,
) -> PrincipleFit:
    before = figures(y, [int(v >= default) for v in p])
    positives = sum(y)
    if positives < MIN_PER_CLASS or len(y) - positives < MIN_PER_CLASS:
        return PrincipleFit(principle_id, len(y), positives, None, before, {})
    after = figures(y, cross_validated_predictions(y, p, platt=platt, folds=folds, seed=seed, default=default))
    return PrincipleFit(principle_id, len(y), positives, fit(y, p, platt=platt, default=default), before, after)


def gold_data(version: ScoredVersion) -> dict[str, tuple[list[int], list[float]]]:
    """Per principle: (gold 0/1, raw probability) over the single-response comparisons it answers for."""
    out: dict[str, tuple[list[int], list[float]]] = {}
    for row in gold_rows(version)[1]:
        if row.kind != "single":
            continue
        ys, ps = out.setdefault(row.principle_id, ([], []))
        ys.append(int(row.gold))
        ps.append(row.score)
    return out


def gains(f: PrincipleFit) -> bool:
    """A fit is kept when its cross-validated balanced accuracy beats the default threshold's."""
    before, after = f.before.get("balanced_accuracy"), f.after.get("balanced_accuracy")
    return before is not None and after is not None and after > before


def fitted_for(info: CriticInfo) -> dict[str, str]:
    """What a fit is valid for, as the judge's label rule checks it (`Labels.calibration_for`):
    the model's identity, the method and the template set id#hash."""
    return {
        "model": info.model_identity,
        "method": info.method,
        "templates": f"{info.template_set}#{info.template_hash}",
    }


def calibration_entries(
    fits: Sequence[PrincipleFit], statements: dict[str, str], identity: dict[str, str], fitted_at: str
) -> dict[str, dict[str, object]]:
    """The `critic.calibration` mapping to write: one entry per kept fit, with what it was fitted for."""
    from constitution_studio.core.critic.cache import text_hash

    out: dict[str, dict[str, object]] = {}
    for f in fits:
        if f.fit is None:
            continue
        entry: dict[str, object] = {"threshold": round(f.fit.threshold, 4)}
        if f.fit.platt_a is not None:
            entry["platt_a"] = round(f.fit.platt_a, 4)
            entry["platt_b"] = round(f.fit.platt_b or 0.0, 4)
        entry["n"] = f.n
        entry.update(identity)
        entry["statement_sha256"] = text_hash(statements[f.principle_id])
        entry["fitted_at"] = fitted_at
        out[f.principle_id] = entry
    return out
