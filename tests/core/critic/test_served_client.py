"""The served judge's client rules that need no engine: which URLs it accepts, how prefixes
map to replicas, and how an engine's answer document becomes log-odds (both response shapes,
the label-mass and token-count refusals). The engine itself is tested for real in
test_served_engine.py."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from constitution_studio.core.critic.served import (
    Ring,
    ServedRunner,
    UnitRefused,
    _carry,
    parse_endpoint,
    replicas_text,
)
from constitution_studio.core.critic.units import Unit
from constitution_studio.core.models import ServerSettings
from constitution_studio.errors import JudgeServerError


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://127.0.0.1:21", r"not an http\(s\) URL"),
        ("http://user:secret@127.0.0.1:8000", "must not carry credentials"),
        ("http://judge.example:8000", "allow_insecure"),
        ("http://10.0.0.5:8000", "allow_insecure"),
        ("http://127.0.0.1:8000/?x=1", "query or fragment"),
        ("http://127.0.0.1:99999", "bad port"),
    ],
)
def test_urls_the_client_refuses(url: str, problem: str) -> None:
    with pytest.raises(JudgeServerError, match=problem) as err:
        parse_endpoint(url)
    assert "secret" not in err.value.one_line()


def test_urls_the_client_accepts() -> None:
    ep = parse_endpoint("http://localhost:8000/v1/")
    assert (ep.host, ep.port, ep.base_path, ep.display) == ("localhost", 8000, "", "http://localhost:8000")
    assert parse_endpoint("https://judge.example/team/v1").base_path == "/team"
    assert parse_endpoint("http://[::1]:8000").host == "::1"
    assert parse_endpoint("http://judge.example:8000", allow_insecure=True).port == 8000


def test_replicas_are_counted_in_words() -> None:
    urls = [parse_endpoint(f"http://127.0.0.1:{8000 + n}") for n in range(3)]
    assert replicas_text(urls[:1]) == "http://127.0.0.1:8000"
    assert replicas_text(urls[:2]) == "http://127.0.0.1:8000 (+1 replica)"
    assert replicas_text(urls) == "http://127.0.0.1:8000 (+2 replicas)"
    # what a run says when a replica goes down mid-run, by how many are left
    assert [_carry(n) for n in (0, 1, 2)] == [
        "no other replica is up",
        "the other replica carries the run",
        "the other 2 replicas carry the run",
    ]


def test_the_ring_keeps_a_prefix_on_one_replica_and_moves_only_a_dead_replicas_prefixes() -> None:
    ring = Ring([parse_endpoint(f"http://127.0.0.1:{8000 + i}") for i in range(3)])
    prefixes = [tuple(range(i, i + 20)) for i in range(300)]
    owners = {p: ring.owner(p) for p in prefixes}
    assert all(ring.owner(p) == owners[p] for p in prefixes)  # stable
    assert set(owners.values()) == {0, 1, 2}  # spread over every replica
    ring.live.discard(1)
    moved = {p: ring.owner(p) for p in prefixes}
    assert all(moved[p] == owners[p] for p in prefixes if owners[p] != 1)
    assert all(moved[p] in (0, 2) for p in prefixes if owners[p] == 1)
    ring.live.clear()
    assert ring.owner(prefixes[0]) is None


@pytest.fixture
def runner(tiny_model_dir: Path) -> ServedRunner:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    return ServedRunner(ServerSettings(url="http://127.0.0.1:1", min_label_mass=0.2), "judge", tokenizer)


def _unit(runner: ServedRunner) -> Unit:
    yes, no = (runner.tokenizer.convert_tokens_to_ids(w) for w in ("Yes", "No"))
    return Unit(prefix=(1, 2, 3), suffix=(4, 5), first=(yes,), second=(no,))


def _doc(top: dict[str, float], prompt_tokens: int = 5) -> dict[str, Any]:
    return {"choices": [{"logprobs": {"top_logprobs": [top]}}], "usage": {"prompt_tokens": prompt_tokens}}


def test_log_odds_from_text_keys_and_from_vllm_token_id_keys(runner: ServedRunner) -> None:
    unit = _unit(runner)
    by_text = runner._read(_doc({"Yes": math.log(0.6), "No": math.log(0.3), "x": math.log(0.1)}), unit, 0, 5)
    assert by_text == pytest.approx(math.log(2.0))
    yes, no = unit.first[0], unit.second[0]
    by_id = runner._read(_doc({f"token_id:{yes}": math.log(0.2), f"token_id:{no}": math.log(0.6)}), unit, 0, 5)
    assert by_id == pytest.approx(math.log(1 / 3))


def test_log_odds_from_llama_server_content_shape(runner: ServedRunner) -> None:
    unit = _unit(runner)
    yes, no = unit.first[0], unit.second[0]
    doc = {
        "choices": [
            {
                "logprobs": {
                    "content": [
                        {
                            "top_logprobs": [
                                {"id": no, "token": "No", "logprob": math.log(0.5)},
                                {"id": yes, "token": "Yes", "logprob": math.log(0.25)},
                            ]
                        }
                    ]
                }
            }
        ]
    }
    assert runner._read(doc, unit, 0, 5) == pytest.approx(math.log(0.5))


def test_low_label_mass_and_a_token_count_mismatch_are_refused(runner: ServedRunner) -> None:
    unit = _unit(runner)
    with pytest.raises(UnitRefused, match="min_label_mass") as low:
        runner._read(_doc({"Yes": math.log(0.05), "No": math.log(0.05), "The": math.log(0.9)}), unit, 7, 5)
    assert low.value.index == 7
    with pytest.raises(UnitRefused, match="as 6 tokens, the client's tokenizer as 5"):
        runner._read(_doc({"Yes": math.log(0.5), "No": math.log(0.5)}, prompt_tokens=6), unit, 0, 5)
    with pytest.raises(UnitRefused, match="no top log-probs"):
        runner._read({"choices": [{"text": "Yes"}]}, unit, 0, 5)


def test_an_option_outside_the_top_k_is_bounded_by_the_smallest_seen(runner: ServedRunner) -> None:
    unit = _unit(runner)
    value = runner._read(_doc({"Yes": math.log(0.7), "x": math.log(0.01)}), unit, 0, 5)
    assert value == pytest.approx(math.log(0.7) - math.log(0.01))
