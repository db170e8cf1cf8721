"""Agreement between critic labels/scores and gold labels, with 95% intervals.

Conventions: `y_true` holds 0/1 gold labels (1 = the positive class: `violates` for a
single response, `a` for a pair), `y_pred` 0/1 predicted labels, `y_score` floats where
higher means more positive. Degenerate input gives None rather than raising: no cases, or
(balanced accuracy, kappa, AUC) only one gold class; kappa also when chance agreement is 1
or when the critic put every case in one class (its agreement beyond chance is undefined).

Intervals, computed for many sets of cases at once (one per principle, plus the overall):

- accuracy, balanced accuracy and kappa depend only on the four counts (TP, FN, FP, TN), so
  their percentile bootstrap is exact and cheap: resampling n cases with replacement gives
  multinomial counts over the four cells, drawn as a chain of binomials from
  `numpy.random.default_rng(seed)` (reproducible for a given seed and input), 1,000
  resamples;
- AUC uses DeLong's method (DeLong et al. 1988; the default of R's pROC): the variance of
  the Mann-Whitney statistic from each case's placement among the other class, O(n log n)
  and deterministic. A bootstrap of AUC would need a full resample of every case, which at
  50,000 gold cases costs seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Figures = dict[str, tuple[float | None, float | None, float | None]]
Z95 = 1.959963984540054


def _arrays(y_true: Sequence[int], other: Sequence[float]) -> tuple[Any, Any]:
    if len(y_true) != len(other):
        raise ValueError(f"length mismatch: {len(y_true)} gold vs {len(other)} predictions")
    return np.asarray(y_true, dtype=np.float64).reshape(-1), np.asarray(other, dtype=np.float64).reshape(-1)


def _cells(y: Any, p: Any) -> Any:
    """(TP, FN, FP, TN) counts."""
    return np.array([np.sum(y * p), np.sum(y * (1 - p)), np.sum((1 - y) * p), np.sum((1 - y) * (1 - p))])


def _label_figures(c: Any) -> dict[str, Any]:
    """accuracy, balanced accuracy and kappa from cell counts (..., 4); NaN where undefined."""
    tp, fn, fp, tn = (c[..., i].astype(np.float64) for i in range(4))
    n = tp + fn + fp + tn
    pos, neg, pred = tp + fn, fp + tn, tp + fp
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = (tp + tn) / n
        bal = np.where((pos > 0) & (neg > 0), (tp / pos + tn / neg) / 2, np.nan)
        t1, p1 = pos / n, pred / n
        p_e = t1 * p1 + (1 - t1) * (1 - p1)
        kappa = (acc - p_e) / (1 - p_e)
    # one rater (the critic) using one class only: agreement beyond chance is undefined, not 0
    kappa = np.where(np.isclose(p_e, 1.0) | (n == 0) | (pred == 0) | (pred == n), np.nan, kappa)
    return {"accuracy": acc, "balanced_accuracy": bal, "kappa": kappa}


def _value(x: Any) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float | None:
    """Share of cases where prediction == gold; None when empty."""
    y, p = _arrays(y_true, y_pred)
    return _value(_label_figures(_cells(y, p))["accuracy"]) if len(y) else None


def balanced_accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float | None:
    """Mean recall of the two gold classes; None unless both are present."""
    y, p = _arrays(y_true, y_pred)
    return _value(_label_figures(_cells(y, p))["balanced_accuracy"]) if len(y) else None


def cohens_kappa(y_true: Sequence[int], y_pred: Sequence[int]) -> float | None:
    """(p_o - p_e) / (1 - p_e); None when empty, chance agreement is 1, or one predicted class."""
    y, p = _arrays(y_true, y_pred)
    return _value(_label_figures(_cells(y, p))["kappa"]) if len(y) else None


def _placements(y: Any, s: Any) -> tuple[Any, Any] | None:
    """Each positive's share of negatives below it and each negative's share of positives above
    it (ties count half): the DeLong components. None unless both classes are present."""
    pos, neg = np.sort(s[y == 1]), np.sort(s[y == 0])
    if not len(pos) or not len(neg):
        return None
    below = np.searchsorted(neg, pos, "left") + 0.5 * (
        np.searchsorted(neg, pos, "right") - np.searchsorted(neg, pos, "left")
    )
    above = (
        len(pos)
        - np.searchsorted(pos, neg, "right")
        + 0.5 * (np.searchsorted(pos, neg, "right") - np.searchsorted(pos, neg, "left"))
    )
    return below / len(neg), above / len(pos)


def auc(y_true: Sequence[int], y_score: Sequence[float]) -> float | None:
    """ROC AUC, P(score of a positive > score of a negative), ties counting 0.5."""
    y, s = _arrays(y_true, y_score)
    placed = _placements(y, s)
    return None if placed is None else float(placed[0].mean())


def auc_delong(y_true: Sequence[int], y_score: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """(AUC, low, high): DeLong's 95% interval, clipped to [0, 1]; no interval below 2 per class."""
    y, s = _arrays(y_true, y_score)
    placed = _placements(y, s)
    if placed is None:
        return None, None, None
    v10, v01 = placed
    value = float(v10.mean())
    if len(v10) < 2 or len(v01) < 2:
        return value, None, None
    se = float(np.sqrt(v10.var(ddof=1) / len(v10) + v01.var(ddof=1) / len(v01)))
    return value, max(0.0, value - Z95 * se), min(1.0, value + Z95 * se)


def grouped_figures(
    groups: Sequence[tuple[Sequence[int], Sequence[int], Sequence[float]]], *, n_boot: int = 1000, seed: int = 0
) -> list[Figures]:
    """accuracy, balanced_accuracy, kappa and auc as (value, low, high) for each group of cases.

    The label figures of every group are bootstrapped in one vectorised pass (each group
    resampled within itself); AUC intervals are DeLong's. Reproducible for a given seed.
    """
    names = ("accuracy", "balanced_accuracy", "kappa")
    out: list[Figures] = []
    cells = np.zeros((len(groups), 4))
    for k, (y_true, y_pred, y_score) in enumerate(groups):
        y, p = _arrays(y_true, y_pred)
        cells[k] = _cells(y, p)
        value, low, high = auc_delong(y_true, y_score)
        out.append({"auc": (value, low, high)})
    points = _label_figures(cells)
    draws = _bootstrap_cells(cells, n_boot, seed)
    intervals = (
        {name: _percentiles(values, n_boot) for name, values in _label_figures(draws).items()}
        if (draws is not None)
        else {}
    )
    for k in range(len(groups)):
        figures: Figures = {}
        for name in names:
            point = _value(points[name][k])
            low, high = (intervals[name][0][k], intervals[name][1][k]) if name in intervals else (np.nan, np.nan)
            ok = point is not None and not np.isnan(low)
            figures[name] = (point, float(low) if ok else None, float(high) if ok else None)
        figures["auc"] = out[k]["auc"]
        out[k] = figures
    return out


def _percentiles(values: Any, n_boot: int) -> tuple[Any, Any]:
    """2.5th and 97.5th percentiles of each column over its defined values (linear interpolation,
    as numpy's default); NaN where fewer than half of the resamples define the figure."""
    ordered = np.sort(values, axis=0)  # NaN sorts last
    valid = (~np.isnan(values)).sum(axis=0)
    bounds = []
    for q in (0.025, 0.975):
        pos = np.maximum(valid - 1, 0) * q
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(valid - 1, 0))
        a = np.take_along_axis(ordered, lo[None, :], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None, :], axis=0)[0]
        bounds.append(np.where(valid >= max(1, n_boot / 2), a + (b - a) * (pos - lo), np.nan))
    return bounds[0], bounds[1]


def _bootstrap_cells(cells: Any, n_boot: int, seed: int) -> Any:
    """(n_boot, groups, 4) resampled cell counts: multinomial(n, cells / n), as chained binomials."""
    if n_boot <= 0 or not len(cells):
        return None
    rng = np.random.default_rng(seed)
    n = cells.sum(axis=1)
    left = np.broadcast_to(n, (n_boot, len(n))).astype(np.int64)
    mass = np.broadcast_to(n, (n_boot, len(n))).astype(np.float64)
    out = np.zeros((n_boot, len(n), 4), dtype=np.int64)
    for i in range(3):
        with np.errstate(invalid="ignore", divide="ignore"):
            prob = np.where(mass > 0, cells[:, i] / mass, 0.0)
        out[:, :, i] = rng.binomial(left, np.clip(prob, 0.0, 1.0))
        left = left - out[:, :, i]
        mass = mass - cells[:, i]
    out[:, :, 3] = left
    return out


def figures_with_intervals(
    y_true: Sequence[int], y_pred: Sequence[int], y_score: Sequence[float], *, n_boot: int = 1000, seed: int = 0
) -> Figures:
    """accuracy, balanced_accuracy, kappa (on labels) and auc (on scores): (value, low, high) each."""
    return grouped_figures([(y_true, y_pred, y_score)], n_boot=n_boot, seed=seed)[0]
