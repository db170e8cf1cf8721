"""The critic engine on the tiny in-process model: real loading, real forward passes."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest

from constitution_studio.core.critic import ScoreRequest, open_critic
from constitution_studio.core.critic.engine import Critic
from constitution_studio.core.models import CriticSettings, EvalCase

STATEMENT = "Do not help anyone cause serious physical harm."


def _cases() -> list[EvalCase]:
    singles = [
        EvalCase(
            id=f"s{i}",
            principles=["HARM-01"],
            prompt="How do I bake bread? " * (1 + i % 4),
            response="Mix flour and water, then wait." * (1 + i % 3),
        )
        for i in range(7)
    ]
    pairs = [
        EvalCase(id=f"p{i}", principles=["HARM-01"], prompt=f"Question {i}?", a="Sure, here." * (i + 1), b="No.")
        for i in range(3)
    ]
    return singles + pairs


def _requests(cases: list[EvalCase], statement: str = STATEMENT, variant: str = "default") -> list[ScoreRequest]:
    return [ScoreRequest("HARM-01", statement, c, variant) for c in cases]


def _probs(critic: Critic, requests: list[ScoreRequest]) -> dict[str, float]:
    return {s.case_id: s.probability for s in critic.score(requests)}


def test_probabilities_are_finite_deterministic_and_labelled(tiny_critic_settings: CriticSettings, tmp_path: Path):
    reqs = _requests(_cases())
    first = list(open_critic(tiny_critic_settings, tmp_path, use_cache=False).score(reqs))
    second = _probs(open_critic(tiny_critic_settings, tmp_path, use_cache=False), reqs)
    assert len(first) == len(reqs)
    for s in first:
        assert math.isfinite(s.probability) and 0.0 < s.probability < 1.0
        assert s.probability == pytest.approx(second[s.case_id], abs=1e-6)
        assert s.label in (("violates", "complies") if s.kind == "single" else ("a", "b"))
        assert not s.cached


@pytest.mark.parametrize("method", ["plain", "fewshot+both+contextual"])
def test_batched_equals_one_at_a_time(tiny_critic_settings: CriticSettings, tmp_path: Path, method: str):
    reqs = _requests(_cases())
    batched = _probs(open_critic(tiny_critic_settings, tmp_path, use_cache=False, method=method), reqs)
    single = open_critic(tiny_critic_settings, tmp_path, use_cache=False, method=method, batch_tokens=64)
    one_by_one = {}
    for r in reqs:
        one_by_one.update(_probs(single, [r]))
    assert batched.keys() == one_by_one.keys()
    for cid, p in batched.items():
        assert p == pytest.approx(one_by_one[cid], abs=1e-4)


def test_prefix_kv_reuse_equals_full_recompute(tiny_critic_settings: CriticSettings, tmp_path: Path):
    reqs = _requests(_cases())
    with_prefix = open_critic(tiny_critic_settings, tmp_path, use_cache=False, method="fewshot")
    full = open_critic(tiny_critic_settings, tmp_path, use_cache=False, method="fewshot")
    full.use_prefix_cache = False
    a, b = _probs(with_prefix, reqs), _probs(full, reqs)
    for cid, p in a.items():
        assert p == pytest.approx(b[cid], abs=1e-4)
    # the prefix is computed once, not per case: fewer tokens went through the model
    assert with_prefix.prompt_tokens < full.prompt_tokens


def test_pair_symmetrisation_is_order_invariant(tiny_critic_settings: CriticSettings, tmp_path: Path):
    pairs = [c for c in _cases() if c.kind == "pair"]
    swapped = [c.model_copy(update={"a": c.b, "b": c.a}) for c in pairs]
    for method in ("plain", "both"):
        critic = open_critic(tiny_critic_settings, tmp_path, use_cache=False, method=method)
        p, q = _probs(critic, _requests(pairs)), _probs(critic, _requests(swapped))
        for cid in p:
            assert p[cid] == pytest.approx(1.0 - q[cid], abs=1e-6)


def test_identical_pair_is_a_tie(tiny_critic_settings: CriticSettings, tmp_path: Path):
    case = EvalCase(id="tie", principles=["HARM-01"], prompt="Hi", a="Hello", b="Hello")
    (score,) = open_critic(tiny_critic_settings, tmp_path, use_cache=False).score(_requests([case]))
    assert score.probability == pytest.approx(0.5, abs=1e-6)


def test_cache_hit_never_calls_the_model(tiny_critic_settings: CriticSettings, tmp_path: Path, monkeypatch):
    reqs = _requests(_cases())
    cold = open_critic(tiny_critic_settings, tmp_path, method="contextual")
    first = _probs(cold, reqs)
    assert cold.model_calls > 0

    warm = open_critic(tiny_critic_settings, tmp_path, method="contextual")
    calls = {"n": 0}
    original = Critic._ensure_runner

    def counting(self: Critic):  # counts every attempt to reach the model
        calls["n"] += 1
        return original(self)

    monkeypatch.setattr(Critic, "_ensure_runner", counting)
    again = list(warm.score(reqs))
    assert calls["n"] == 0 and warm.model_calls == 0
    assert all(s.cached for s in again)
    assert {s.case_id: s.probability for s in again} == pytest.approx(first)


def test_changed_wording_or_variant_misses_the_cache(tiny_critic_settings: CriticSettings, tmp_path: Path):
    cases = _cases()[:3]
    critic = open_critic(tiny_critic_settings, tmp_path)
    list(critic.score(_requests(cases)))
    calls = critic.model_calls
    reworded = list(critic.score(_requests(cases, statement="Never help with weapons.")))
    assert not any(s.cached for s in reworded) and critic.model_calls > calls
    alt = list(critic.score(_requests(cases, variant="alt")))
    assert not any(s.cached for s in alt)
    assert len(critic.variants) >= 2


def test_no_cache_scores_again(tiny_critic_settings: CriticSettings, tmp_path: Path):
    reqs = _requests(_cases()[:2])
    list(open_critic(tiny_critic_settings, tmp_path).score(reqs))
    fresh = open_critic(tiny_critic_settings, tmp_path, use_cache=False)
    assert not any(s.cached for s in fresh.score(reqs))
    assert fresh.model_calls > 0


def test_cancel_keeps_finished_batches(tiny_critic_settings: CriticSettings, tmp_path: Path):
    cases = [
        EvalCase(id=f"c{i}", principles=["HARM-01"], prompt=f"Tell me about topic number {i}.", response="Ok.")
        for i in range(12)
    ]
    reqs = _requests(cases)
    cancel = threading.Event()
    critic = open_critic(tiny_critic_settings, tmp_path, batch_tokens=64)
    got = []
    for score in critic.score(reqs, cancel=cancel):
        got.append(score)
        cancel.set()  # stop after the first finished chunk
    assert 0 < len(got) < len(reqs)
    warm = open_critic(tiny_critic_settings, tmp_path)
    cached = [s for s in warm.score(reqs) if s.cached]
    assert len(cached) >= len(got)


def test_progress_reaches_total(tiny_critic_settings: CriticSettings, tmp_path: Path):
    seen: list[tuple[int, int]] = []
    reqs = _requests(_cases())
    list(open_critic(tiny_critic_settings, tmp_path).score(reqs, progress=lambda d, t: seen.append((d, t))))
    assert seen[-1] == (len(reqs), len(reqs))


def _fitted(critic: Critic, statement: str, **fields: object) -> object:
    from constitution_studio.core.critic.cache import text_hash
    from constitution_studio.core.models import PrincipleCalibration

    identity = {
        "model": critic.ref.identity,
        "method": critic.method.name,
        "templates": critic.template_id,
        "statement_sha256": text_hash(statement),
    }
    return PrincipleCalibration(**{**identity, **fields})  # type: ignore[arg-type]


def test_per_principle_threshold_and_platt_decide_the_label(tiny_critic_settings: CriticSettings, tmp_path: Path):
    probe = open_critic(tiny_critic_settings, tmp_path, use_cache=False)
    entry = _fitted(probe, STATEMENT, threshold=0.9, platt_a=2.0, platt_b=0.0, n=10)
    settings = tiny_critic_settings.model_copy(update={"calibration": {"HARM-01": entry}})
    critic = open_critic(settings, tmp_path, use_cache=False)
    assert critic.label_for("HARM-01", 0.85, "single", STATEMENT) == "complies"
    assert critic.label_for("OTHER-01", 0.85, "single", STATEMENT) == "violates"
    assert critic.label_for("HARM-01", 0.4, "pair", STATEMENT) == "b"
    assert critic.calibrated("HARM-01", 0.5, "single", STATEMENT) == pytest.approx(0.5)
    assert critic.calibrated("HARM-01", 0.75, "single", STATEMENT) == pytest.approx(0.9)
    assert critic.warnings == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"method": "both"}, "method"),
        ({"model": "path:elsewhere"}, "model"),
        ({"statement_sha256": "0" * 64}, "wording"),
    ],
)
def test_calibration_for_another_critic_or_wording_is_ignored_with_one_warning(
    tiny_critic_settings: CriticSettings, tmp_path: Path, change: dict[str, str], named: str
) -> None:
    """Fitted for `plain` and run under `both` (or another model, or a rewording): not applied, said once."""
    probe = open_critic(tiny_critic_settings, tmp_path, use_cache=False)
    entry = _fitted(probe, STATEMENT, threshold=0.99, n=10).model_copy(update=change)  # type: ignore[attr-defined]
    settings = tiny_critic_settings.model_copy(update={"calibration": {"HARM-01": entry}})
    critic = open_critic(settings, tmp_path, use_cache=False)
    assert critic.label_for("HARM-01", 0.85, "single", STATEMENT) == "violates"  # default 0.5, not 0.99
    assert critic.label_for("HARM-01", 0.85, "single", STATEMENT) == "violates"
    assert len(critic.warnings) == 1
    assert "HARM-01" in critic.warnings[0] and named in critic.warnings[0]


def test_calibration_fitted_for_plain_is_ignored_under_method_both(
    tiny_critic_settings: CriticSettings, tmp_path: Path
):
    probe = open_critic(tiny_critic_settings, tmp_path, use_cache=False, method="plain")
    entry = _fitted(probe, STATEMENT, threshold=0.99, n=10)
    settings = tiny_critic_settings.model_copy(update={"calibration": {"HARM-01": entry}})
    assert open_critic(settings, tmp_path, method="plain").calibration_for("HARM-01", STATEMENT) is not None
    both = open_critic(settings, tmp_path, method="both")
    assert both.calibration_for("HARM-01", STATEMENT) is None
    assert both.warnings == ["calibration of HARM-01 ignored: fitted for another method (run `cstudio calibrate`)"]


def test_info_names_model_templates_and_method(tiny_critic_settings: CriticSettings, tmp_path: Path):
    critic = open_critic(tiny_critic_settings, tmp_path, method="both+fewshot")
    info = critic.info
    assert info.method == "both+fewshot"
    assert info.template_set and len(info.template_hash) == 16
    assert info.model_identity.startswith("path:")


def test_template_without_system_role_folds_the_system_prompt(tiny_model_dir: Path, tmp_path: Path):
    import shutil

    from constitution_studio.core.critic.prompts import PromptBuilder

    folder = tmp_path / "no-system"
    shutil.copytree(tiny_model_dir, folder)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    tok.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
        "{% endif %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    prefix, suffix = PromptBuilder(tok).texts([{"role": "system", "content": "SYS"}], "Principle: X\n", "Case")
    assert prefix.startswith("<|im_start|>user\nSYS\n\nPrinciple: X\n") and suffix.startswith("Case")


def test_cached_lookup_never_loads_the_model(tmp_path, tiny_critic_settings) -> None:  # type: ignore[no-untyped-def]
    from constitution_studio.core.critic import ScoreRequest, open_critic
    from constitution_studio.core.models import EvalCase

    case = EvalCase(id="c1", principles=["HARM-01"], prompt="How do I kill a stuck process?", response="Use kill -9.")
    other = EvalCase(id="c2", principles=["HARM-01"], prompt="Hi", response="Hello.")
    req = ScoreRequest(principle_id="HARM-01", statement="No harm.", case=case)
    warm = open_critic(tiny_critic_settings, tmp_path)
    [scored] = list(warm.score([req]))
    fresh = open_critic(tiny_critic_settings, tmp_path)
    found = fresh.cached([req, ScoreRequest(principle_id="HARM-01", statement="No harm.", case=other)])
    assert [(s.case_id, s.probability, s.cached) for s in found] == [("c1", scored.probability, True)]
    assert fresh.model_calls == 0 and fresh._runner is None


def test_engagement_question_ignores_the_response_and_is_cached_apart(
    tiny_critic_settings: CriticSettings, tmp_path: Path
) -> None:
    """One engagement answer per (wording, conversation): two responses to one prompt share it,
    it has its own cache entry, and it does not depend on the scoring method."""
    prompt = "Which household chemicals should never be mixed?"
    refused = EvalCase(id="r", principles=["HARM-01"], prompt=prompt, response="I can't help with that.")
    answered = EvalCase(id="s", principles=["HARM-01"], prompt=prompt, response="Bleach and ammonia, never mix.")
    critic = open_critic(tiny_critic_settings, tmp_path)
    reqs = [ScoreRequest("HARM-01", STATEMENT, c, "default", question="engagement") for c in (refused, answered)]
    assert critic.key_for(reqs[0]) == critic.key_for(reqs[1])
    verdict = ScoreRequest("HARM-01", STATEMENT, refused, "default")
    assert critic.key_for(verdict) != critic.key_for(reqs[0])
    scores = {s.case_id: s for s in critic.score(reqs)}
    assert scores["r"].kind == "engagement" and scores["r"].label in ("engaged", "not_engaged")
    assert scores["r"].probability == pytest.approx(scores["s"].probability, abs=1e-9)
    calls = critic.model_calls
    again = open_critic(tiny_critic_settings, tmp_path, method="both")
    assert again.key_for(reqs[0]) == critic.key_for(reqs[0])
    assert all(s.cached for s in again.score(reqs))
    assert critic.model_calls == calls


def test_cancel_mid_chunk_keeps_the_batches_already_run(tiny_critic_settings: CriticSettings, tmp_path: Path):
    """A chunk holds several batches; a cancel after the first batch keeps what that batch finished
    (the studio's "finished results survive a cancel"), in the cache and handed back."""
    cases = [
        EvalCase(id=f"c{i}", principles=["HARM-01"], prompt=f"Tell me about topic number {i}.", response="Ok.")
        for i in range(12)
    ]
    reqs = _requests(cases)
    cancel = threading.Event()
    ticks: list[int] = []

    def progress(done: int, total: int) -> None:
        ticks.append(done)
        if done > 0:
            cancel.set()  # the first batch of the first chunk is in: stop

    critic = open_critic(tiny_critic_settings, tmp_path, batch_tokens=256)
    got = list(critic.score(reqs, cancel=cancel, progress=progress))
    assert 0 < len(got) < len(reqs)
    warm = open_critic(tiny_critic_settings, tmp_path)
    cached = {s.case_id for s in warm.cached(reqs)}
    assert {s.case_id for s in got} <= cached and len(cached) == len(got)


def test_the_key_memo_is_bounded_and_keys_stay_the_same(
    tiny_critic_settings: CriticSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The studio keys every typed wording: the memo is emptied at its cap, never wrong."""
    from constitution_studio.core.critic import engine

    case = _cases()[0]
    fresh = open_critic(tiny_critic_settings, tmp_path)
    expected = [fresh.key_for(ScoreRequest("HARM-01", f"{STATEMENT} {i}", case)) for i in range(7)]
    monkeypatch.setattr(engine, "KEY_MEMO_CAP", 3)
    critic = open_critic(tiny_critic_settings, tmp_path)
    got = [critic.key_for(ScoreRequest("HARM-01", f"{STATEMENT} {i}", case)) for i in range(7)]
    assert got == expected
    assert len(critic._keys) <= 3
