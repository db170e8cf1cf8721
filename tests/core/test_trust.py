"""Critic trust: figures against hand-computed values, seeded intervals, levels at their edges."""

from __future__ import annotations

import pytest

from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.trust import (
    GOOD_KAPPA,
    GOOD_KAPPA_LOW,
    MIN_GOLD,
    Estimate,
    TrustLevel,
    agreement,
    format_trust_text,
    trust_level,
    trust_report,
)
from constitution_studio.core.critic.types import Score
from constitution_studio.core.models import Constitution, EvalCase, Principle
from constitution_studio.core.workspace import Workspace

GOLD = [1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0]
PRED = [1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0]
SCORE = [0.9, 0.8, 0.7, 0.4, 0.2, 0.1, 0.3, 0.6, 0.95, 0.05, 0.85, 0.15]


def test_figures_match_hand_computed_values() -> None:
    a = agreement([bool(g) for g in GOLD], [bool(p) for p in PRED], SCORE)
    # 5 TP, 1 FN, 5 TN, 1 FP: accuracy 10/12; both recalls 5/6; chance agreement 0.5
    assert a.n == 12
    assert a.accuracy.value == pytest.approx(10 / 12)
    assert a.balanced_accuracy.value == pytest.approx(5 / 6)
    assert a.kappa.value == pytest.approx((10 / 12 - 0.5) / 0.5)
    # 35 of 36 (positive, negative) pairs ordered right: 0.4 loses to 0.6 only
    assert a.auc.value == pytest.approx(35 / 36)
    for est in (a.accuracy, a.balanced_accuracy, a.kappa, a.auc):
        assert est.low is not None and est.high is not None
        assert est.low <= est.value <= est.high


def test_bootstrap_is_seeded_and_reproducible() -> None:
    args = ([bool(g) for g in GOLD], [bool(p) for p in PRED], SCORE)
    first, again, other = agreement(*args, seed=0), agreement(*args, seed=0), agreement(*args, seed=7)
    assert first == again
    intervals = [(e.low, e.high) for e in (first.accuracy, first.kappa, first.auc, first.balanced_accuracy)]
    others = [(e.low, e.high) for e in (other.accuracy, other.kappa, other.auc, other.balanced_accuracy)]
    assert intervals != others


def test_perfect_and_chance_agreement() -> None:
    y = [True, False] * 10
    perfect = agreement(y, y, [1.0 if v else 0.0 for v in y])
    assert perfect.kappa.value == pytest.approx(1.0)
    assert perfect.auc.value == pytest.approx(1.0)
    assert perfect.level is TrustLevel.GOOD
    constant = agreement(y, [True] * 20, [0.5] * 20)  # says "violates" to everything
    assert constant.kappa.value is None and constant.kappa.text() == "n/a"  # not "0.00 [0.00, 0.00]"
    assert constant.auc.value == pytest.approx(0.5)
    assert constant.level is TrustLevel.UNTRUSTED


@pytest.mark.parametrize(
    ("n", "kappa", "level"),
    [
        (MIN_GOLD - 1, Estimate(value=0.9, low=0.8, high=1.0), TrustLevel.UNKNOWN),
        (MIN_GOLD, Estimate(value=0.9, low=0.8, high=1.0), TrustLevel.GOOD),
        (MIN_GOLD, Estimate(value=0.3, low=0.0, high=0.6), TrustLevel.UNTRUSTED),  # interval touches 0
        (MIN_GOLD, Estimate(value=0.3, low=-0.1, high=0.6), TrustLevel.UNTRUSTED),
        (MIN_GOLD, Estimate(value=0.3, low=0.01, high=0.6), TrustLevel.WEAK),
        (MIN_GOLD, Estimate(value=GOOD_KAPPA, low=GOOD_KAPPA_LOW, high=0.9), TrustLevel.GOOD),
        (MIN_GOLD, Estimate(value=GOOD_KAPPA - 0.01, low=GOOD_KAPPA_LOW, high=0.9), TrustLevel.WEAK),
        (MIN_GOLD, Estimate(value=GOOD_KAPPA, low=GOOD_KAPPA_LOW - 0.01, high=0.9), TrustLevel.WEAK),
        (MIN_GOLD, Estimate(value=None), TrustLevel.UNTRUSTED),
        (50, Estimate(value=0.5, low=None, high=None), TrustLevel.UNTRUSTED),
    ],
)
def test_trust_levels_at_their_edges(n: int, kappa: Estimate, level: TrustLevel) -> None:
    assert trust_level(n, kappa) is level


@pytest.mark.parametrize(
    ("auc", "level"),
    [
        (Estimate(value=0.49, low=0.38, high=0.60), TrustLevel.UNTRUSTED),  # probabilities rank like a coin
        (Estimate(value=0.62, low=0.50, high=0.74), TrustLevel.UNTRUSTED),  # interval touches 0.5
        (Estimate(value=0.70, low=0.51, high=0.85), TrustLevel.WEAK),
        (Estimate(value=None), TrustLevel.WEAK),  # undefined AUC leaves the kappa rule alone
    ],
)
def test_auc_interval_reaching_chance_is_untrusted(auc: Estimate, level: TrustLevel) -> None:
    kappa = Estimate(value=0.11, low=0.01, high=0.21)  # just above 0: what the builtin critic showed
    assert trust_level(120, kappa, auc) is level


def _ws(cases: list[EvalCase], priority: list[str]) -> Workspace:
    ws = Workspace(label="test", constitution=Constitution(name="t", version="1", priority=priority))
    for pid in priority:
        ws.principles[pid] = Principle(id=pid, title=pid, statement=f"statement of {pid}")
    for c in cases:
        ws.cases[c.id] = c
    return ws


def _score(pid: str, case: EvalCase, p: float) -> Score:
    label = ("a" if p >= 0.5 else "b") if case.kind == "pair" else ("violates" if p >= 0.5 else "complies")
    return Score(pid, case.id, "default", case.kind, p, label, False)


def test_report_uses_overall_label_and_counts_pairs() -> None:
    cases = [
        EvalCase(id="s1", principles=["HARM-01", "HELP-01"], prompt="x", response="y", gold="violates"),
        EvalCase(id="s2", principles=["HELP-01"], prompt="x", response="y", gold="complies"),
        EvalCase(id="p1", principles=["HELP-01"], prompt="x", a="1", b="2", gold="a"),
        EvalCase(id="nogold", principles=["HELP-01"], prompt="x", response="y"),
    ]
    ws = _ws(cases, ["HARM-01", "HELP-01"])
    by_id = {c.id: c for c in cases}
    scores = {
        ("HARM-01", "s1"): _score("HARM-01", by_id["s1"], 0.9),  # decides s1 (higher priority): right
        ("HELP-01", "s1"): _score("HELP-01", by_id["s1"], 0.1),  # would be wrong, but does not decide
        ("HELP-01", "s2"): _score("HELP-01", by_id["s2"], 0.8),  # wrong
        ("HELP-01", "p1"): _score("HELP-01", by_id["p1"], 0.7),  # right (a)
        ("HELP-01", "nogold"): _score("HELP-01", by_id["nogold"], 0.7),
    }
    version = ScoredVersion(ws=ws, judges=["default"], engagement=False)
    for score in scores.values():
        version.add(score)
    report = trust_report(version)
    assert report.overall.n == 3
    assert report.overall.n_pair == 1
    assert report.overall.accuracy.value == pytest.approx(2 / 3)
    assert report.overall.level is TrustLevel.UNKNOWN
    assert [p.principle_id for p in report.principles] == ["HARM-01", "HELP-01"]
    assert report.principle("HARM-01").n == 1  # type: ignore[union-attr]
    assert report.principle("HELP-01").n == 2  # type: ignore[union-attr]
    text = format_trust_text(report, {"model": "m", "method": "plain", "template_set": "t"})
    assert text.startswith("critic m (plain, templates t): trust UNKNOWN on 3 gold cases")
    # 3 gold cases: the honest advice is more labels (not "noise": nothing can be said yet)
    assert "warning: trust is unknown with 3 gold cases; at least 10 are needed" in text


def test_per_principle_gold_is_compared_directly_and_derives_the_overall_gold() -> None:
    """harm-005's shape with gold per principle: only HELP-01 labelled (HARM-01 does not bear on it)."""
    case = EvalCase(
        id="c", principles=["HARM-01", "HELP-01"], prompt="x", response="refused", gold={"HELP-01": "violates"}
    )
    ws = _ws([case], ["HARM-01", "HELP-01"])
    version = ScoredVersion(ws=ws, judges=["default"], engagement=True)
    version.add(_score("HARM-01", case, 0.2))  # complies
    version.add(_score("HELP-01", case, 0.8))  # violates
    version.add(Score("HARM-01", "c", "default", "engagement", 0.1, "not_engaged", False))
    version.add(Score("HELP-01", "c", "default", "engagement", 0.9, "engaged", False))
    assert version.gold("c") == "violates"
    report = trust_report(version)
    assert report.overall.n == 1 and report.overall.accuracy.value == 1.0
    assert report.principle("HELP-01").n == 1  # type: ignore[union-attr]
    assert report.principle("HARM-01") is None  # not labelled by a person: not judged
    demo = trust_report(version, excluded={"HELP-01": {"c"}})
    assert demo.overall.n == 0 and demo.principles[0].excluded == 1
