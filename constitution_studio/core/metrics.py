"""Agreement metrics between critic labels/scores and gold labels (pure Python).

Conventions used by every function here:

- `y_true` is a sequence of 0/1 ints (1 = the positive class: `violates` for single
  responses, `a` for pairs); `y_pred` a sequence of 0/1 predicted labels; `y_score` a sequence
  of floats where higher means more positive (the critic's probability).
- Degenerate input returns None instead of raising: an empty sequence, or (for balanced
  accuracy, kappa and AUC) only one gold class present; kappa also returns None when both
  raters put everything in one class (chance agreement 1).
- `bootstrap(metric, y_true, y_score, n, seed)` resamples cases with replacement
  (`random.Random(seed)`, so intervals are reproducible) and returns the 2.5th/97.5th
  percentiles of the metric over resamples where it is defined, or None when fewer than half
  of the resamples give a value.

Metrics taking labels are wrapped for bootstrap by `at_threshold(metric, t)`, which turns
scores into labels (score >= t -> 1).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Metric = Callable[[Sequence[int], Sequence[float]], float | None]


def _check(y_true: Sequence[int], other: Sequence[float]) -> None:
    if len(y_true) != len(other):
        raise ValueError(f"length mismatch: {len(y_true)} gold vs {len(other)} predictions")


def accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float | None:
    """Share of cases where prediction == gold; None when empty."""
    _check(y_true, y_pred)
    if not y_true:
        return None
    return sum(int(t == p) for t, p in zip(y_true, y_pred, strict=True)) / len(y_true)


def balanced_accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float | None:
    """Mean of the recall of each gold class; None unless both classes are present."""
    _check(y_true, y_pred)
    pos = [p for t, p in zip(y_true, y_pred, strict=True) if t == 1]
    neg = [p for t, p in zip(y_true, y_pred, strict=True) if t == 0]
    if not pos or not neg:
        return None
    return (sum(pos) / len(pos) + sum(1 - p for p in neg) / len(neg)) / 2


def cohens_kappa(y_true: Sequence[int], y_pred: Sequence[int]) -> float | None:
    """(p_o - p_e) / (1 - p_e); None when empty or when chance agreement p_e is 1."""
    _check(y_true, y_pred)
    n = len(y_true)
    if n == 0:
        return None
    p_o = sum(int(t == p) for t, p in zip(y_true, y_pred, strict=True)) / n
    t1, p1 = sum(y_true) / n, sum(y_pred) / n
    p_e = t1 * p1 + (1 - t1) * (1 - p1)
    if math.isclose(p_e, 1.0):
        return None
    return (p_o - p_e) / (1 - p_e)


def auc(y_true: Sequence[int], y_score: Sequence[float]) -> float | None:
    """ROC AUC as the Mann-Whitney statistic: P(score_pos > score_neg), ties count 0.5.

    None unless both classes are present. O(n log n) via ranks with averaged ties.
    """
    _check(y_true, y_score)
    n_pos = sum(1 for t in y_true if t == 1)
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = sorted(range(len(y_score)), key=lambda i: y_score[i])
    ranks = [0.0] * len(order)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and y_score[order[j + 1]] == y_score[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    rank_sum = sum(r for r, t in zip(ranks, y_true, strict=True) if t == 1)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def at_threshold(metric: Callable[[Sequence[int], Sequence[int]], float | None], threshold: float = 0.5) -> Metric:
    """A label metric as a score metric: score >= threshold -> 1."""

    def wrapped(y_true: Sequence[int], y_score: Sequence[float]) -> float | None:
        return metric(y_true, [int(s >= threshold) for s in y_score])

    wrapped.__name__ = getattr(metric, "__name__", "metric")
    return wrapped


def bootstrap(
    metric: Metric, y_true: Sequence[int], y_score: Sequence[float], n: int = 1000, seed: int = 0
) -> tuple[float, float] | None:
    """Seeded percentile bootstrap 95% interval of `metric(y_true, y_score)`.

    Label metrics: pass `at_threshold(accuracy, t)` or give 0/1 predictions as `y_score`.
    """
    _check(y_true, y_score)
    size = len(y_true)
    if size == 0:
        return None
    rng = random.Random(seed)
    values: list[float] = []
    for _ in range(n):
        idx = [rng.randrange(size) for _ in range(size)]
        value = metric([y_true[i] for i in idx], [y_score[i] for i in idx])
        if value is not None:
            values.append(value)
    if len(values) < n / 2:
        return None
    values.sort()
    return _percentile(values, 2.5), _percentile(values, 97.5)


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    pos = (len(sorted_values) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass(frozen=True)
class Agreement:
    """Every agreement figure for one set of gold cases; intervals are (low, high) or None."""

    n: int
    accuracy: float | None
    balanced_accuracy: float | None
    kappa: float | None
    auc: float | None
    accuracy_ci: tuple[float, float] | None = None
    balanced_accuracy_ci: tuple[float, float] | None = None
    kappa_ci: tuple[float, float] | None = None
    auc_ci: tuple[float, float] | None = None


def agreement(
    y_true: Sequence[int],
    y_score: Sequence[float],
    threshold: float | Sequence[float] = 0.5,
    *,
    intervals: bool = True,
    n: int = 1000,
    seed: int = 0,
) -> Agreement:
    """All figures at once. `threshold` may be one value or one per case (per-principle thresholds)."""
    thresholds = [threshold] * len(y_true) if isinstance(threshold, float | int) else list(threshold)
    y_pred = [int(s >= t) for s, t in zip(y_score, thresholds, strict=True)]
    result = Agreement(
        n=len(y_true),
        accuracy=accuracy(y_true, y_pred),
        balanced_accuracy=balanced_accuracy(y_true, y_pred),
        kappa=cohens_kappa(y_true, y_pred),
        auc=auc(y_true, y_score),
    )
    if not intervals:
        return result

    def labels(metric: Callable[[Sequence[int], Sequence[int]], float | None]) -> tuple[float, float] | None:
        # bootstrap over (prediction) pairs: the label is fixed per case, so resample predictions
        return bootstrap(lambda t, p: metric(t, [int(x) for x in p]), y_true, [float(p) for p in y_pred], n, seed)

    return Agreement(
        n=result.n,
        accuracy=result.accuracy,
        balanced_accuracy=result.balanced_accuracy,
        kappa=result.kappa,
        auc=result.auc,
        accuracy_ci=labels(accuracy),
        balanced_accuracy_ci=labels(balanced_accuracy),
        kappa_ci=labels(cohens_kappa),
        auc_ci=bootstrap(auc, y_true, y_score, n, seed),
    )
