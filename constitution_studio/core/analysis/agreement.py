"""Agreement between critic labels/scores and gold labels, with seeded bootstrap intervals.

Conventions: `y_true` holds 0/1 gold labels (1 = the positive class: `violates` for a
single response, `a` for a pair), `y_pred` 0/1 predicted labels, `y_score` floats where
higher means more positive. Degenerate input gives None rather than raising: no cases, or
(balanced accuracy, kappa, AUC) only one gold class; kappa also when chance agreement is 1
or when the critic put every case in one class (its agreement beyond chance is undefined).

The bootstrap resamples cases with replacement (within each group: one group per principle,
say). It is vectorised: each resample is a vector of case weights (how often each case was
drawn), drawn from `numpy.random.default_rng(seed)` in blocks that bound memory, so the
intervals are reproducible for a given seed and input, and every figure is a weighted sum
over cases computed for a whole block of resamples, and every group, at once.
Percentiles interpolate linearly (numpy's default). An interval is None when fewer than half
of the resamples define the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

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
    out[np.isclose(p_e, 1.0) | (n == 0) | (w @ p == 0) | (w @ p == n)] = np.nan
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


def grouped_figures(
    groups: Sequence[tuple[Sequence[int], Sequence[int], Sequence[float]]], *, n_boot: int = 1000, seed: int = 0
) -> list[Figures]:
    """`figures_with_intervals` for many sets of cases at once (one per principle, say).

    Each group is resampled within itself, exactly as if bootstrapped alone, but all groups
    share each vectorised step, so a thousand small groups cost about as much as one large
    one. Reproducible for a given seed and list of groups.
    """
    names = ["accuracy", "balanced_accuracy", "kappa", "auc"]
    sizes = np.array([len(g[0]) for g in groups], dtype=np.int64)
    out: list[Figures] = [dict.fromkeys(names, (None, None, None)) for _ in groups]
    keep = np.flatnonzero(sizes > 0)
    if not len(keep):
        return out
    y_all, p_all, s_all, gid = [], [], [], []
    for k, g in enumerate(keep):
        y, p = _arrays(groups[g][0], groups[g][1])
        _, s = _arrays(groups[g][0], groups[g][2])
        order = np.argsort(s, kind="stable")
        y_all.append(y[order])
        p_all.append(p[order])
        s_all.append(s[order])
        gid.append(np.full(len(y), k))
    y, p, s, g = (np.concatenate(a) for a in (y_all, p_all, s_all, gid))
    n_groups = len(keep)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ties = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (s[1:] != s[:-1])])
    first_tie = np.searchsorted(ties, starts)  # index of each group's first tie block
    tie_group = g[ties]

    def figures(w: Any) -> dict[str, Any]:
        def per_group(x: Any) -> Any:
            return np.add.reduceat(w * x, starts, axis=1)

        n, pos, pred = per_group(np.ones_like(y)), per_group(y), per_group(p)
        same, tp, tn = per_group((y == p).astype(np.float64)), per_group(y * p), per_group((1 - y) * (1 - p))
        neg = n - pos
        with np.errstate(invalid="ignore", divide="ignore"):
            acc = same / n
            bal = (tp / pos + tn / neg) / 2
            t1, p1 = pos / n, pred / n
            p_e = t1 * p1 + (1 - t1) * (1 - p1)
            kappa = (acc - p_e) / (1 - p_e)
            neg_t = np.add.reduceat(w * (1 - y), ties, axis=1)
            pos_t = np.add.reduceat(w * y, ties, axis=1)
            cum = np.cumsum(neg_t, axis=1)
            base = (cum - neg_t)[:, first_tie][:, tie_group]  # negatives before each group starts
            below = cum - neg_t - base
            wins = np.add.reduceat(pos_t * (below + neg_t / 2), first_tie, axis=1)
            auc_v = wins / (pos * neg)
        bal[(pos == 0) | (neg == 0)] = np.nan
        auc_v[(pos == 0) | (neg == 0)] = np.nan
        # one rater (the critic) using one class only: agreement beyond chance is undefined, not 0
        kappa[np.isclose(p_e, 1.0) | (n == 0) | (pred == 0) | (pred == n)] = np.nan
        return {"accuracy": acc, "balanced_accuracy": bal, "kappa": kappa, "auc": auc_v}

    points = figures(np.ones((1, len(y))))
    samples: dict[str, list[Any]] = {name: [] for name in names}
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        group_start = starts[g]
        group_size = sizes[keep][g]
        block = max(1, min(n_boot, 4_000_000 // len(y)))
        left = n_boot
        while left > 0:
            size = min(block, left)
            draws = group_start + (rng.random((size, len(y))) * group_size).astype(np.int64)
            offsets = (np.arange(size) * len(y))[:, None]
            w = np.bincount((draws + offsets).ravel(), minlength=size * len(y)).reshape(size, len(y))
            for name, values in figures(w.astype(np.float64)).items():
                samples[name].append(values)
            left -= size
    for name in names:
        stacked = np.concatenate(samples[name]) if samples[name] else np.empty((0, n_groups))
        for k, g_index in enumerate(keep):
            point = points[name][0, k]
            if np.isnan(point):
                out[g_index][name] = (None, None, None)
                continue
            values = stacked[:, k]
            values = values[~np.isnan(values)]
            if len(values) < n_boot / 2 or not len(values):
                out[g_index][name] = (float(point), None, None)
            else:
                low, high = np.percentile(values, [2.5, 97.5])
                out[g_index][name] = (float(point), float(low), float(high))
    return out


_LABEL_FIGURES = {"accuracy": _w_accuracy, "balanced_accuracy": _w_balanced, "kappa": _w_kappa}


def figures_with_intervals(
    y_true: Sequence[int], y_pred: Sequence[int], y_score: Sequence[float], *, n_boot: int = 1000, seed: int = 0
) -> Figures:
    """accuracy, balanced_accuracy, kappa (on labels) and auc (on scores): (value, low, high) each."""
    return grouped_figures([(y_true, y_pred, y_score)], n_boot=n_boot, seed=seed)[0]
