"""analysis/agreement.py against hand-computed values and a plain-Python reference bootstrap."""

from __future__ import annotations

import random

import pytest

from constitution_studio.core.analysis import agreement as ag


def test_hand_computed_figures() -> None:
    y = [1, 1, 1, 0, 0, 0, 0, 0]
    pred = [1, 1, 0, 1, 0, 0, 0, 0]
    assert ag.accuracy(y, pred) == pytest.approx(6 / 8)
    assert ag.balanced_accuracy(y, pred) == pytest.approx((2 / 3 + 4 / 5) / 2)
    # p_o = .75, p_e = (3/8)(3/8) + (5/8)(5/8) = 34/64
    assert ag.cohens_kappa(y, pred) == pytest.approx((0.75 - 34 / 64) / (1 - 34 / 64))


def test_auc_counts_ties_as_half() -> None:
    assert ag.auc([1, 0], [0.7, 0.3]) == 1.0
    assert ag.auc([1, 0], [0.3, 0.7]) == 0.0
    assert ag.auc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]) == pytest.approx((1 + 1 + 0.5 + 1) / 4)


def test_degenerate_inputs_give_none() -> None:
    assert ag.accuracy([], []) is None
    assert ag.balanced_accuracy([1, 1], [1, 0]) is None
    assert ag.cohens_kappa([1, 1], [1, 1]) is None
    assert ag.auc([0, 0], [0.1, 0.2]) is None
    figures = ag.figures_with_intervals([1, 1, 1], [1, 1, 1], [0.1, 0.2, 0.3])
    assert figures["auc"] == figures["kappa"] == (None, None, None)
    with pytest.raises(ValueError):
        ag.accuracy([1], [1, 0])


def _reference(y: list[int], p: list[int]) -> tuple[float | None, float | None, float | None]:
    """Plain-Python kappa and AUC for one resample (the old pure-Python definitions)."""
    n = len(y)
    p_o = sum(a == b for a, b in zip(y, p, strict=True)) / n
    t1, p1 = sum(y) / n, sum(p) / n
    p_e = t1 * p1 + (1 - t1) * (1 - p1)
    kappa = None if abs(p_e - 1) < 1e-12 else (p_o - p_e) / (1 - p_e)
    return p_o, kappa, None


def test_weighted_resample_equals_the_materialised_resample() -> None:
    """A weight vector (counts per case) gives the same figures as the resampled list itself."""
    rng = random.Random(3)
    for _ in range(50):
        n = rng.randint(2, 25)
        y = [rng.randint(0, 1) for _ in range(n)]
        s = [round(rng.random(), 1) for _ in range(n)]
        p = [int(v >= 0.5) for v in s]
        idx = [rng.randrange(n) for _ in range(n)]
        counts = [idx.count(i) for i in range(n)]
        import numpy as np

        w = np.asarray([counts], dtype=float)
        ry, rp, rs = [y[i] for i in idx], [p[i] for i in idx], [s[i] for i in idx]
        for fn, metric, x, rx in (
            (ag._w_accuracy, ag.accuracy, p, rp),
            (ag._w_kappa, ag.cohens_kappa, p, rp),
            (ag._w_balanced, ag.balanced_accuracy, p, rp),
            (ag._w_auc, ag.auc, s, rs),
        ):
            got = fn(w, np.asarray(y, float), np.asarray(x, float))[0]
            want = metric(ry, rx)
            assert (want is None and np.isnan(got)) or got == pytest.approx(want), fn.__name__


def test_intervals_are_seeded_and_bracket_the_point() -> None:
    y = [1, 0] * 20
    s = [0.8 if i % 3 else 0.4 for i in range(40)]
    p = [int(v >= 0.5) for v in s]
    a = ag.figures_with_intervals(y, p, s, n_boot=300, seed=0)
    b = ag.figures_with_intervals(y, p, s, n_boot=300, seed=0)
    c = ag.figures_with_intervals(y, p, s, n_boot=300, seed=1)
    assert a == b and a != c
    for value, low, high in a.values():
        assert value is not None and low is not None and high is not None
        assert low <= value <= high
