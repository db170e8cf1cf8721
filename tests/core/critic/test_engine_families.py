"""The engine with judge families and anchored demonstrations, on tiny random-weight models."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from constitution_studio.core.critic.anchored import select_demonstrations
from constitution_studio.core.critic.engine import Critic, logit
from constitution_studio.core.critic.loader import resolve
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.models import CriticSettings, EvalCase
from constitution_studio.errors import BadInputError

RULE = "The assistant replies in the language the user wrote in."
SINGLE = EvalCase(id="s-01", principles=["LANG-01"], prompt="¿Qué hora es?", response="It is noon.")
PAIR = EvalCase(id="p-01", principles=["LANG-01"], prompt="¿Qué hora es?", a="Es mediodía.", b="It is noon.")


def _critic(folder: Path, method: str = "plain", templates: str = "default") -> Critic:
    settings = CriticSettings(model=str(folder), device="cpu", dtype="float32", templates=templates)
    return Critic(settings, resolve(str(folder)), cache=None, device="cpu", dtype="float32", method=method)


def test_guard_family_is_detected_reported_and_keyed(guard_model_dir: Path, tiny_model_dir: Path) -> None:
    critic = _critic(guard_model_dir)
    assert critic.family.name == "llama-guard"
    assert critic.info.family == "llama-guard" and "name" in critic.info.family_reason
    assert critic.template_id.startswith("llama-guard-3-1#")
    generic = _critic(tiny_model_dir)
    assert generic.info.family == "generic" and generic.template_id.startswith("cs-judge-1#")
    forced = _critic(guard_model_dir, templates="generic")
    assert forced.key_for(ScoreRequest("LANG-01", RULE, SINGLE)) != critic.key_for(
        ScoreRequest("LANG-01", RULE, SINGLE)
    )


def test_guard_family_scores_single_pair_and_engagement(guard_model_dir: Path) -> None:
    critic = _critic(guard_model_dir)
    requests = [
        ScoreRequest("LANG-01", RULE, SINGLE),
        ScoreRequest("LANG-01", RULE, PAIR),
        ScoreRequest("LANG-01", RULE, SINGLE, question="engagement"),
    ]
    scores = {(s.case_id, s.kind): s for s in critic.score(requests)}
    assert set(scores) == {("s-01", "single"), ("p-01", "pair"), ("s-01", "engagement")}
    assert all(0.0 < s.probability < 1.0 for s in scores.values())
    # a pair is judged as "which response is less likely to be unsafe": P(a) from two single judgments
    a = EvalCase(id="a", principles=["LANG-01"], prompt=PAIR.prompt, response=PAIR.a)
    b = EvalCase(id="b", principles=["LANG-01"], prompt=PAIR.prompt, response=PAIR.b)
    single = {s.case_id: s.probability for s in critic.score([ScoreRequest("LANG-01", RULE, c) for c in (a, b)])}
    expected = (logit(single["b"]) - logit(single["a"])) / 2
    assert math.isclose(logit(scores[("p-01", "pair")].probability), expected, abs_tol=1e-4)


def test_guard_family_refuses_fewshot(guard_model_dir: Path) -> None:
    with pytest.raises(BadInputError, match="fewshot"):
        _critic(guard_model_dir, method="fewshot")


def test_anchored_demonstrations_reach_prefix_and_key(tiny_model_dir: Path) -> None:
    gold = [
        EvalCase(
            id=f"g-{i}",
            principles=["LANG-01"],
            prompt=f"Pregunta {i}",
            response=f"Answer {i}",
            gold="violates" if i % 2 else "complies",
        )
        for i in range(6)
    ]
    demo_set = select_demonstrations("LANG-01", gold, k=4)
    critic = _critic(tiny_model_dir, method="anchored")
    request = ScoreRequest("LANG-01", RULE, SINGLE)
    bare_key = critic.key_for(request)
    critic.set_demonstrations({"LANG-01": demo_set})
    assert critic.key_for(request) != bare_key  # the demonstrations' content is keyed
    list(critic.score([request]))
    prompts = critic._prompts
    prefix, _suffix, _bos = prompts.render(
        critic.family, critic.family.parts("single", "default", False)[0], RULE, SINGLE, demos=demo_set.demos
    )
    for demo in demo_set.demos:
        assert str(demo.case.prompt) in prefix  # worked examples sit in the shared prefix
    assert "¿Qué hora es?" not in prefix
    other = ScoreRequest("LANG-01", RULE, gold[0])
    list(critic.score([other]))
    assert len(critic._runner._prefix_kv) == 1  # one prefix (system + demonstrations) for the principle
