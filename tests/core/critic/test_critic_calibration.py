"""Calibration on synthetic scores: planted thresholds and scales are recovered."""

from __future__ import annotations

import random

import pytest

from constitution_studio.core.analysis import calibration as cal


def _planted(threshold: float, n: int = 200, seed: int = 1) -> tuple[list[int], list[float]]:
    rng = random.Random(seed)
    p = [rng.random() for _ in range(n)]
    return [int(v >= threshold) for v in p], p


@pytest.mark.parametrize("planted", [0.2, 0.5, 0.73])
def test_threshold_recovers_a_planted_threshold(planted: float):
    y, p = _planted(planted)
    t = cal.fit_threshold(y, p)
    assert t == pytest.approx(planted, abs=0.02)
    assert all(int(v >= t) == g for v, g in zip(p, y, strict=True))


def test_one_class_keeps_the_default():
    assert cal.fit_threshold([1, 1, 1], [0.2, 0.4, 0.9], default=0.5) == 0.5
    result = cal.calibrate_principle("HARM-01", [1, 1, 1], [0.2, 0.4, 0.9])
    assert result.fit is None and result.after == {}


def test_platt_recovers_a_planted_scale():
    rng = random.Random(3)
    a_true, b_true = 2.0, -1.0
    ys, ps = [], []
    for _ in range(3000):
        z = rng.uniform(-3, 3)
        ps.append(1 / (1 + pow(2.718281828459045, -z)))
        q = 1 / (1 + pow(2.718281828459045, -(a_true * z + b_true)))
        ys.append(int(rng.random() < q))
    a, b = cal.fit_platt(ys, ps)
    assert a == pytest.approx(a_true, abs=0.25) and b == pytest.approx(b_true, abs=0.2)


def test_cross_validation_improves_a_shifted_critic():
    # A critic whose scores are all below 0.5: the default threshold labels everything "complies".
    y, p = _planted(0.3, n=120, seed=5)
    shifted = [v * 0.45 for v in p]
    result = cal.calibrate_principle("HARM-01", y, shifted)
    assert result.before["balanced_accuracy"] == pytest.approx(0.5)
    assert result.after["balanced_accuracy"] > 0.9
    assert result.fit is not None and result.fit.threshold == pytest.approx(0.3 * 0.45, abs=0.02)


def test_cross_validation_is_seeded():
    y, p = _planted(0.4, n=60, seed=7)
    noisy = [min(1.0, max(0.0, v + random.Random(i).gauss(0, 0.2))) for i, v in enumerate(p)]
    a = cal.cross_validated_predictions(y, noisy, seed=0)
    b = cal.cross_validated_predictions(y, noisy, seed=0)
    assert a == b
