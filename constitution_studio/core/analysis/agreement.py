"""Agreement between critic labels/scores and gold labels, with seeded bootstrap intervals.

Conventions: `y_true` holds 0/1 gold labels (1 = the positive class: `violates` for a
single response, `a` for a pair), `y_pred` 0/1 predicted labels, `y_score` floats where
higher means more positive. Degenerate input gives None rather than raising: no cases, or
(balanced accuracy, kappa, AUC) only one gold class; kappa also when chance agreement is 1.

The bootstrap resamples cases with replacement. It is vectorised: each resample is a vector
of case weights (how often each case was drawn), drawn from `numpy.random.default_rng(seed)`
in fixed-size blocks, so the intervals are reproducible for a given seed and size, and every
figure is a weighted sum over cases computed for a whole block of resamples at once.
Percentiles interpolate linearly (numpy's default). An interval is None when fewer than half
of the resamples define the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

BLOCK = 256  # resamples per block: bounds memory at BLOCK x n weights

Figures = dict[str, tuple[float | None, float | None, float | None]]


def _arrays(y_true: Sequence[int], other: Sequence[float]) -> tuple[Any, Any]:
    if len(y_true) != len(other):
        raise ValueError(f"length mismatch: {len(y_true)} gold vs {len(other)} predictions")
    return np.asarray(y_true, dtype=np.float64).reshape(-1), np.asarray(other, dtype=np.float64).reshape(-1)


def _one(fn: Any, y: Any, x: Any) -> float | None:
    value = fn(np.ones((1, len(y))), y, x)[0]
    return None if np.isnan(value) else float(value)


def accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float | None:
    """Share of cases where prediction == gold; None when empty."""
    y, p = _arrays(y_true, y_pred)
    return _one(_w_accuracy, y, p) if len(y) else None


def balanced_accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float | None:
    """Mean recall of the two gold classes; None unless both are present."""
    y, p = _arrays(y_true, y_pred)
    return _one(_w_balanced, y, p) if len(y) else None


def cohens_kappa(y_true: Sequence[int], y_pred: Sequence[int]) -> float | None:
    """(p_o - p_e) / (1 - p_e); None when empty or when chance agreement is 1."""
    y, p = _arrays(y_true, y_pred)
    return _one(_w_kappa, y, p) if len(y) else None


def auc(y_true: Sequence[int], y_score: Sequence[float]) -> float | None:
    """ROC AUC, P(score of a positive > score of a negative), ties counting 0.5."""
    y, s = _arrays(y_true, y_score)
    return _one(_w_auc, y, s) if len(y) else None


# --- weighted figures: w is (resamples, n), y and x are (n,) -----------------------------


def _w_accuracy(w: Any, y: Any, p: Any) -> Any:
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w @ (y == p).astype(np.float64)) / total


def _w_balanced(w: Any, y: Any, p: Any) -> Any:
    pos, neg = w @ y, w @ (1 - y)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = (w @ (y * p)) / pos
        tnr = (w @ ((1 - y) * (1 - p))) / neg
        out = (tpr + tnr) / 2
    out[(pos == 0) | (neg == 0)] = np.nan
    return out


def _w_kappa(w: Any, y: Any, p: Any) -> Any:
    n = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_o = (w @ (y == p).astype(np.float64)) / n
        t1, p1 = (w @ y) / n, (w @ p) / n
        p_e = t1 * p1 + (1 - t1) * (1 - p1)
        out = (p_o - p_e) / (1 - p_e)
    out[np.isclose(p_e, 1.0) | (n == 0)] = np.nan
    return out


def _w_auc(w: Any, y: Any, s: Any) -> Any:
    """Weighted Mann-Whitney: for each positive, the weight of negatives below it (+ half of ties).

    Fastest when the cases come sorted by score (figures_with_intervals sorts them once).
    """
    if len(s) > 1 and np.any(s[1:] < s[:-1]):
        order = np.argsort(s, kind="stable")
        w, y, s = w[:, order], y[order], s[order]
    neg_w = w * (1 - y)
    pos_w = w * y
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    if len(starts) < len(s):  # tie groups are contiguous once sorted: sum each group's weights
        neg_w = np.add.reduceat(neg_w, starts, axis=1)
        pos_w = np.add.reduceat(pos_w, starts, axis=1)
    below = np.cumsum(neg_w, axis=1) - neg_w
    wins = (pos_w * (below + neg_w / 2)).sum(axis=1)
    total_pos, total_neg = pos_w.sum(axis=1), neg_w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = wins / (total_pos * total_neg)
    out[(total_pos == 0) | (total_neg == 0)] = np.nan
    return out


_LABEL_FIGURES = {"accuracy": _w_accuracy, "balanced_accuracy": _w_balanced, "kappa": _w_kappa}


def bootstrap_weights(n: int, n_boot: int, seed: int) -> Any:
    """Yield blocks of resample weights (counts of each case per resample), reproducibly."""
    rng = np.random.default_rng(seed)
    left = n_boot
    while left > 0:
        size = min(BLOCK, left)
        draws = rng.integers(0, n, size=(size, n))
        offsets = (np.arange(size) * n)[:, None]
        yield np.bincount((draws + offsets).ravel(), minlength=size * n).reshape(size, n).astype(np.float64)
        left -= size


def figures_with_intervals(
    y_true: Sequence[int], y_pred: Sequence[int], y_score: Sequence[float], *, n_boot: int = 1000, seed: int = 0
) -> Figures:
    """accuracy, balanced_accuracy, kappa (on labels) and auc (on scores): (value, low, high) each."""
    y, p = _arrays(y_true, y_pred)
    _, s = _arrays(y_true, y_score)
    order = np.argsort(s, kind="stable")  # once, so every resample's AUC is a running sum
    y, p, s = y[order], p[order], s[order]
    names = [*_LABEL_FIGURES, "auc"]
    if len(y) == 0:
        return dict.fromkeys(names, (None, None, None))
    fns = {**_LABEL_FIGURES, "auc": _w_auc}
    inputs = {name: (s if name == "auc" else p) for name in names}
    points = {name: _one(fns[name], y, inputs[name]) for name in names}
    samples: dict[str, list[Any]] = {name: [] for name in names}
    if n_boot > 0:
        for w in bootstrap_weights(len(y), n_boot, seed):
            for name in names:
                if points[name] is not None:
                    samples[name].append(fns[name](w, y, inputs[name]))
    out: Figures = {}
    for name in names:
        point = points[name]
        values = np.concatenate(samples[name]) if samples[name] else np.array([])
        values = values[~np.isnan(values)]
        if point is None or len(values) < n_boot / 2 or not len(values):
            out[name] = (point, None, None)
        else:
            low, high = np.percentile(values, [2.5, 97.5])
            out[name] = (point, float(low), float(high))
    return out
