"""Cases with system, developer and tool turns score on the tiny in-process models (the generic
family on the tiny instruct model, Llama Guard's format on the tiny guard model), and the
critic's keys see every turn."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from constitution_studio.core.critic import ScoreRequest, open_critic
from constitution_studio.core.models import CaseFile, CriticSettings, EvalCase
from constitution_studio.core.yamldoc import load_fast

ROLES = Path(__file__).parents[2] / "fixtures" / "roles" / "agentic.yaml"
CASES = CaseFile.model_validate(load_fast(ROLES.read_text(encoding="utf-8"))).cases
RULE = "The assistant states only what its tools returned."


def _without_system(case: EvalCase) -> EvalCase:
    assert isinstance(case.prompt, list)
    return case.model_copy(update={"prompt": [t for t in case.prompt if t.role != "system"]})


def _requests(cases: list[EvalCase]) -> list[ScoreRequest]:
    out = [ScoreRequest("HON-01", RULE, c, "default") for c in cases]
    return out + [ScoreRequest("HON-01", RULE, c, "default", question="engagement") for c in cases]


@pytest.mark.parametrize("model", ["tiny", "guard"])
def test_role_cases_score_and_their_turns_reach_the_model(
    model: str, tiny_model_dir: Path, guard_model_dir: Path, tmp_path: Path
) -> None:
    folder = tiny_model_dir if model == "tiny" else guard_model_dir
    settings = CriticSettings(model=str(folder), device="cpu", dtype="float32")
    critic = open_critic(settings, tmp_path, use_cache=False)
    assert critic.info.family == ("generic" if model == "tiny" else "llama-guard")
    bare = [_without_system(c) for c in CASES if c.id == "tool-001"]
    scores = {(s.case_id, s.kind): s.probability for s in critic.score(_requests(CASES))}
    assert set(scores) == {(c.id, kind) for c in CASES for kind in (c.kind, "engagement")}
    assert all(math.isfinite(p) and 0.0 < p < 1.0 for p in scores.values())
    # the system turn is read: dropping it moves both the verdict and the engagement answer
    plain = {(s.case_id, s.kind): s.probability for s in critic.score(_requests(bare))}
    assert plain[("tool-001", "single")] != pytest.approx(scores[("tool-001", "single")], abs=1e-7)
    assert plain[("tool-001", "engagement")] != pytest.approx(scores[("tool-001", "engagement")], abs=1e-7)
    # one request at a time gives the same numbers as the batch
    one = open_critic(settings, tmp_path, use_cache=False, batch_tokens=64)
    for request in _requests(CASES[:2]):
        (score,) = one.score([request])
        assert score.probability == pytest.approx(scores[(score.case_id, score.kind)], abs=1e-4)


def test_the_cache_key_sees_system_and_tool_turns(tiny_critic_settings: CriticSettings, tmp_path: Path) -> None:
    critic = open_critic(tiny_critic_settings, tmp_path)
    case = next(c for c in CASES if c.id == "tool-001")
    for question in ("verdict", "engagement"):
        with_system = ScoreRequest("HON-01", RULE, case, "default", question=question)  # type: ignore[arg-type]
        without = ScoreRequest("HON-01", RULE, _without_system(case), "default", question=question)  # type: ignore[arg-type]
        assert critic.key_for(with_system) != critic.key_for(without)
    (first,) = critic.score([ScoreRequest("HON-01", RULE, case, "default")])
    (again,) = open_critic(tiny_critic_settings, tmp_path).score([ScoreRequest("HON-01", RULE, case, "default")])
    assert again.cached and again.probability == first.probability
