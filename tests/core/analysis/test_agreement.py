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


def test_label_bootstrap_matches_a_materialised_bootstrap() -> None:
    """Resampling cell counts (chained binomials) gives the same interval as resampling cases."""
    rng = random.Random(3)
    y = [rng.randint(0, 1) for _ in range(60)]
    p = [v if rng.random() < 0.7 else 1 - v for v in y]
    fast = ag.figures_with_intervals(y, p, [0.5] * 60, n_boot=4000, seed=1)
    slow: list[float] = []
    for _ in range(4000):
        idx = [rng.randrange(60) for _ in range(60)]
        value = ag.accuracy([y[i] for i in idx], [p[i] for i in idx])
        assert value is not None
        slow.append(value)
    slow.sort()
    assert fast["accuracy"][1] == pytest.approx(slow[100], abs=0.025)
    assert fast["accuracy"][2] == pytest.approx(slow[3899], abs=0.025)


def _delong_reference(y: list[int], s: list[float]) -> tuple[float, float]:
    """O(m n) DeLong: AUC and its variance from the placement of each case."""
    pos = [v for v, t in zip(s, y, strict=True) if t]
    neg = [v for v, t in zip(s, y, strict=True) if not t]

    def psi(a: float, b: float) -> float:
        return 1.0 if a > b else 0.5 if a == b else 0.0

    v10 = [sum(psi(a, b) for b in neg) / len(neg) for a in pos]
    v01 = [sum(psi(a, b) for a in pos) / len(pos) for b in neg]
    value = sum(v10) / len(v10)

    def var(xs: list[float]) -> float:
        m = sum(xs) / len(xs)
        return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)

    return value, var(v10) / len(v10) + var(v01) / len(v01)


def test_auc_interval_is_delongs() -> None:
    rng = random.Random(5)
    y = [rng.randint(0, 1) for _ in range(40)]
    s = [round(rng.random(), 1) + 0.3 * t for t in y]
    value, low, high = ag.auc_delong(y, s)
    ref, variance = _delong_reference(y, s)
    assert value == pytest.approx(ref)
    assert low == pytest.approx(max(0.0, ref - ag.Z95 * variance**0.5))
    assert high == pytest.approx(min(1.0, ref + ag.Z95 * variance**0.5))
    assert ag.auc_delong([1, 0, 0], [0.9, 0.1, 0.2])[1:] == (None, None)  # one positive: no interval


def test_intervals_are_seeded_and_bracket_the_point() -> None:
    y = [1, 0] * 20
    s = [0.8 if i % 3 else 0.4 for i in range(40)]
    p = [int(v >= 0.5) for v in s]
    a = ag.figures_with_intervals(y, p, s, n_boot=300, seed=0)
    b = ag.figures_with_intervals(y, p, s, n_boot=300, seed=0)
    c = ag.figures_with_intervals(y, p, s, n_boot=300, seed=1)
    assert a == b and a["kappa"] != c["kappa"]
    for value, low, high in a.values():
        assert value is not None and low is not None and high is not None
        assert low <= value <= high
