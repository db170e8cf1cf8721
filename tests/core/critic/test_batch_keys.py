"""The critic's batch paths (`keys_for`, `cached_scores`) give exactly what the per-request ones give.

Warm runs at scale key and read a whole version's requests in one call; existing caches must
keep hitting, so the keys must be byte-identical to `key_for`, and the scores (calibration,
thresholds, labels, warnings) identical to scoring one request at a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from constitution_studio.core.critic.anchored import DemoSet
from constitution_studio.core.critic.cache import Entry, ScoreCache, text_hash
from constitution_studio.core.critic.engine import Critic
from constitution_studio.core.critic.loader import resolve
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.models import CriticSettings, EvalCase, PrincipleCalibration
from constitution_studio.errors import BadInputError

HARM = "The assistant does not help with serious harm."
HELP = "The assistant helps with safe requests."
DRAIN = "How do I clean a drain?"
SINGLE = EvalCase(id="s-1", principles=["HARM-01", "HELP-01"], prompt=DRAIN, response="Use a plunger.")
OTHER = EvalCase(id="s-2", principles=["HARM-01"], prompt=DRAIN, response="I can't help.")
PAIR = EvalCase(id="p-1", principles=["HELP-01"], prompt="Fix my code", a="Here is the fix.", b="No.")


def _critic(folder: Path, cache: ScoreCache | None = None, **settings: object) -> Critic:
    cs = CriticSettings(model=str(folder), device="cpu", dtype="float32", **settings)  # type: ignore[arg-type]
    return Critic(cs, resolve(str(folder)), cache=cache, device="cpu", dtype="float32", method=cs.method)


def _requests(critic: Critic) -> list[ScoreRequest]:
    out = []
    for variant in critic.variants:
        for pid, statement, case in (
            ("HARM-01", HARM, SINGLE),
            ("HELP-01", HELP, SINGLE),
            ("HARM-01", HARM, OTHER),
            ("HELP-01", HELP, PAIR),
            ("HARM-01", HARM + " Even in fiction.", SINGLE),  # an unsaved wording
        ):
            out.append(ScoreRequest(pid, statement, case, variant))
            out.append(ScoreRequest(pid, statement, case, variant, question="engagement"))
    return out


@pytest.mark.parametrize("method", ["plain", "both", "anchored"])
def test_batch_keys_equal_per_request_keys(tiny_model_dir: Path, method: str) -> None:
    critic = _critic(tiny_model_dir, method=method)
    if method == "anchored":
        critic.set_demonstrations({"HARM-01": DemoSet(principle_id="HARM-01", demos=())})
    requests = _requests(critic)
    fresh = _critic(tiny_model_dir, method=method)  # no key memo: keys computed from scratch
    if method == "anchored":
        fresh.set_demonstrations({"HARM-01": DemoSet(principle_id="HARM-01", demos=())})
    assert critic.keys_for(requests) == [fresh.key_for(r) for r in requests]
    assert len(set(critic.keys_for(requests))) == len(requests) - len(critic.variants)  # engagement shared by s-1/s-2


def test_batch_keys_refuse_an_unknown_judge(tiny_model_dir: Path) -> None:
    critic = _critic(tiny_model_dir)
    with pytest.raises(BadInputError):
        critic.keys_for([ScoreRequest("HARM-01", HARM, SINGLE, "no-such-judge")])


def test_cached_scores_match_per_request_scores(tiny_model_dir: Path, tmp_path: Path) -> None:
    probe = _critic(tiny_model_dir)
    fitted = PrincipleCalibration(
        threshold=0.7,
        platt_a=1.5,
        platt_b=-0.2,
        model=probe.ref.identity,
        method="plain",
        templates=probe.template_id,
        statement_sha256=text_hash(HARM),
    )
    stale = PrincipleCalibration(threshold=0.1, statement_sha256=text_hash("another wording"))
    settings = {"calibration": {"HARM-01": fitted, "HELP-01": stale}, "engagement_threshold": 0.4}
    cache = ScoreCache(tmp_path / "critic.sqlite")
    critic = _critic(tiny_model_dir, cache, **settings)
    requests = _requests(critic)
    keys = critic.keys_for(requests)
    values = [0.05, 0.35, 0.5, 0.65, 0.72, 0.95]
    stored = {k: values[i % len(values)] for i, k in enumerate(keys) if i % 7 != 3}  # some misses
    cache.put_many(Entry(k, p, critic.model_key, "t", "m", "v") for k, p in stored.items())

    batch = critic.cached_scores(requests)
    one_by_one = _critic(tiny_model_dir, cache, **settings)
    expected = [
        one_by_one._score(r, stored[k], cached=True) if k in stored else None
        for r, k in zip(requests, keys, strict=True)
    ]
    assert batch == expected
    assert {s.label for s in batch if s is not None} >= {"violates", "complies", "a", "b", "engaged", "not_engaged"}
    # HELP-01's stale fit and HARM-01's fit under the unsaved wording: each said once, in the same order
    assert critic.warnings == one_by_one.warnings and len(critic.warnings) == 2
    assert critic.cached(requests) == [s for s in expected if s is not None]
    assert sorted(s.case_id for s in critic.score(requests) if s.cached) == sorted(
        s.case_id for s in expected if s is not None
    )


def test_get_many_reads_large_and_repeated_key_lists(tmp_path: Path) -> None:
    cache = ScoreCache(tmp_path / "critic.sqlite")
    keys = [f"{i:064x}" for i in range(12_000)]
    cache.put_many(Entry(k, i / 12_000, "m", "t", "plain", "default") for i, k in enumerate(keys) if i % 3)
    asked = list(reversed(keys)) + keys[:50]  # out of order, with repeats, past one query's chunk
    found = cache.get_many(asked)
    assert found == {k: i / 12_000 for i, k in enumerate(keys) if i % 3}
    assert all(isinstance(p, float) for p in found.values())
