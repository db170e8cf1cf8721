"""A panel of two tiny critics of different seeds: panel label, per-member labels, agreement,
qualified variants for analysis, disputed flips."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from constitution_studio.core.critic.engine import Critic, logit
from constitution_studio.core.critic.loader import resolve
from constitution_studio.core.critic.panel import Panel
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.models import CriticSettings, EvalCase

RULE = "The assistant replies in the language the user wrote in."
CASES = [
    EvalCase(id=f"c-{i:02d}", principles=["LANG-01"], prompt=p, response=r)
    for i, (p, r) in enumerate(
        [
            ("¿Qué hora es?", "It is noon."),
            ("Wie spät ist es?", "Es ist Mittag."),
            ("What time is it?", "It is noon."),
            ("Quelle heure est-il ?", "Il est midi."),
            ("Can you help me?", "I can't help with that."),
            ("Thank you!", "Sure, here is how to do it: first, second, third."),
        ]
    )
]


def _critic(folder: Path) -> Critic:
    settings = CriticSettings(model=str(folder), device="cpu", dtype="float32")
    return Critic(settings, resolve(str(folder)), cache=None, device="cpu", dtype="float32", batch_tokens=1024)


@pytest.fixture
def panel(tiny_model_dir: Path, tiny_model_dir_seed1: Path) -> Panel:
    return Panel([("m1", _critic(tiny_model_dir)), ("m2", _critic(tiny_model_dir_seed1))])


def test_panel_variants_are_qualified_by_member_primary_first(panel: Panel) -> None:
    assert panel.variants[:2] == ["default", "alt"]
    assert panel.variants[2:] == ["m1:default", "m1:alt", "m2:default", "m2:alt"]
    assert panel.names == ["m1", "m2"]


def test_panel_label_is_mean_log_odds_of_members(panel: Panel) -> None:
    requests = [ScoreRequest("LANG-01", RULE, c) for c in CASES]
    results = panel.score_panel(requests)
    assert all(r is not None for r in results)
    disputed = 0
    for req, result in zip(requests, results, strict=True):
        assert result is not None
        m1, m2 = result.members["m1"], result.members["m2"]
        assert m1.case_id == m2.case_id == req.case.id
        expected = (logit(m1.probability) + logit(m2.probability)) / 2
        assert math.isclose(logit(result.panel.probability), expected, abs_tol=1e-6)
        assert result.panel.label == ("violates" if result.panel.probability >= 0.5 else "complies")
        if result.disputed:
            disputed += 1
            assert result.agreement == 0.5
        else:
            assert result.agreement == 1.0 and result.panel.label == m1.label
    # two random-weight models of different seeds differ in their probabilities
    assert any(abs(r.members["m1"].probability - r.members["m2"].probability) > 1e-3 for r in results if r is not None)


def test_members_load_one_at_a_time(panel: Panel) -> None:
    requests = [ScoreRequest("LANG-01", RULE, c) for c in CASES[:2]]
    panel.score_panel(requests)
    assert not any(c.loaded for c in panel.members.values())  # each released after its turn


def test_qualified_variants_route_to_members_and_plain_to_the_panel(panel: Panel) -> None:
    case = CASES[0]
    requests = [
        ScoreRequest("LANG-01", RULE, case, variant="default"),
        ScoreRequest("LANG-01", RULE, case, variant="m1:alt"),
        ScoreRequest("LANG-01", RULE, case, variant="m2:default"),
    ]
    scores = {s.variant: s for s in panel.score(requests)}
    assert set(scores) == {"default", "m1:alt", "m2:default"}
    alone = next(iter(panel.members["m2"].score([ScoreRequest("LANG-01", RULE, case)])))
    assert math.isclose(scores["m2:default"].probability, alone.probability, rel_tol=1e-6)


def test_majority_combination_and_tie_goes_to_primary(tiny_model_dir: Path, tiny_model_dir_seed1: Path) -> None:
    panel = Panel([("m1", _critic(tiny_model_dir)), ("m2", _critic(tiny_model_dir_seed1))], combine="majority")
    for result in panel.score_panel([ScoreRequest("LANG-01", RULE, c) for c in CASES]):
        assert result is not None
        if result.disputed:
            assert result.panel.label == result.members["m1"].label
        else:
            assert result.panel.label == result.members["m1"].label == result.members["m2"].label


def test_disputed_flip_is_not_stable_for_analysis(panel: Panel) -> None:
    """Base and head wordings: a flip counts as stable only when every judge agrees on both sides."""
    head_rule = RULE + " Always."
    base = panel.score_panel([ScoreRequest("LANG-01", RULE, c) for c in CASES])
    head = panel.score_panel([ScoreRequest("LANG-01", head_rule, c) for c in CASES])
    for b, h in zip(base, head, strict=True):
        assert b is not None and h is not None
        flipped = b.panel.label != h.panel.label
        stable = flipped and not b.disputed and not h.disputed
        if flipped and (b.disputed or h.disputed):
            assert not stable


def test_open_judge_builds_a_panel_whose_cache_answers_without_models(
    tmp_path: Path, tiny_model_dir: Path, tiny_model_dir_seed1: Path
) -> None:
    from constitution_studio.core.critic.opening import open_judge

    settings = CriticSettings(
        model=str(tiny_model_dir), device="cpu", dtype="float32", panel=[str(tiny_model_dir), str(tiny_model_dir_seed1)]
    )
    judge = open_judge(settings, tmp_path)
    assert isinstance(judge, Panel) and judge.names == ["m1", "m2"]
    requests = [ScoreRequest("LANG-01", RULE, c) for c in CASES[:3]]
    assert judge.cached(requests) == []
    scored = {s.case_id: s.probability for s in judge.score(requests)}
    again = open_judge(settings, tmp_path)
    found = again.cached([*requests, ScoreRequest("LANG-01", RULE, CASES[0], variant="m2:default")])
    assert again.model_calls == 0
    assert {s.case_id: s.probability for s in found if s.variant == "default"} == pytest.approx(scored)
    assert [s.variant for s in found if ":" in s.variant] == ["m2:default"]
    asked = [ScoreRequest("LANG-01", RULE, CASES[4]), *reversed(requests)]  # CASES[4] was never scored
    in_order = again.cached_scores(asked)
    assert in_order[0] is None and [s.case_id for s in in_order[1:] if s] == [r.case.id for r in reversed(requests)]
    single = open_judge(settings.model_copy(update={"panel": []}), tmp_path)
    assert isinstance(single, Critic)


def test_model_calls_survive_each_members_release(panel: Panel) -> None:
    """shift/check JSON `model_calls` is the panel's: releasing a member must not zero its count."""
    requests = [ScoreRequest("LANG-01", RULE, c) for c in CASES[:2]]
    panel.score_panel(requests)
    assert not any(c.loaded for c in panel.members.values())
    first = panel.model_calls
    assert first >= len(panel.members)  # every member ran its model at least once
    assert set(panel.member_calls) == {"m1", "m2"} and all(n > 0 for n in panel.member_calls.values())
    list(panel.score([ScoreRequest("LANG-01", RULE, CASES[0], variant="m2:alt")]))
    assert panel.member_calls["m2"] > 0 and panel.model_calls > first  # no cache: the model ran again
