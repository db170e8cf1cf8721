"""core.metrics against hand-computed values, and core.labels' priority rule."""

from __future__ import annotations

import pytest

from constitution_studio.core import metrics
from constitution_studio.core.labels import overall_label
from constitution_studio.core.models import EvalCase


def test_hand_computed_figures():
    y = [1, 1, 1, 0, 0, 0, 0, 0]
    pred = [1, 1, 0, 1, 0, 0, 0, 0]
    assert metrics.accuracy(y, pred) == pytest.approx(6 / 8)
    assert metrics.balanced_accuracy(y, pred) == pytest.approx((2 / 3 + 4 / 5) / 2)
    # p_o = .75, p_e = (3/8)(3/8) + (5/8)(5/8) = 34/64
    assert metrics.cohens_kappa(y, pred) == pytest.approx((0.75 - 34 / 64) / (1 - 34 / 64))


def test_auc_counts_ties_as_half():
    assert metrics.auc([1, 0], [0.7, 0.3]) == 1.0
    assert metrics.auc([1, 0], [0.3, 0.7]) == 0.0
    assert metrics.auc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]) == pytest.approx((1 + 1 + 0.5 + 1) / 4)


def test_degenerate_inputs_give_none():
    assert metrics.accuracy([], []) is None
    assert metrics.balanced_accuracy([1, 1], [1, 0]) is None
    assert metrics.cohens_kappa([1, 1], [1, 1]) is None
    assert metrics.auc([0, 0], [0.1, 0.2]) is None
    assert metrics.bootstrap(metrics.auc, [1, 1, 1], [0.1, 0.2, 0.3]) is None


def test_bootstrap_is_seeded_and_brackets_the_point():
    y = [1, 0] * 20
    s = [0.8 if i % 3 else 0.4 for i in range(40)]
    a = metrics.bootstrap(metrics.auc, y, s, n=200, seed=0)
    b = metrics.bootstrap(metrics.auc, y, s, n=200, seed=0)
    assert a == b and a is not None
    assert a[0] <= metrics.auc(y, s) <= a[1]
    full = metrics.agreement(y, s, 0.5, n=200)
    assert full.kappa_ci is not None and full.auc_ci == a


def test_overall_label_follows_priority_and_reports_conflicts():
    case = EvalCase(id="c", principles=["HELP-01", "HARM-01"], prompt="p", response="r")
    priority = ["HARM-01", "HELP-01"]
    label, decider, conflict = overall_label(case, {"HARM-01": "complies", "HELP-01": "violates"}, priority)
    assert (label, decider, conflict) == ("complies", "HARM-01", True)
    assert overall_label(case, {"HELP-01": "violates"}, priority) == ("violates", "HELP-01", False)
    assert overall_label(case, {}, priority) == (None, None, False)
