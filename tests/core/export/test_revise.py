"""`cstudio revise` mechanics on the tiny in-process model (its text is noise; the loop must be right).

The generator is the real in-process one (transformers `generate` on the tiny random model
tests/conftest.py builds); the judge is a scripted critic so that a chosen round complies:
rounds, judge re-scoring of every revision, stopping at the first compliant round, seed
determinism, and a cancel that keeps what finished.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fixtures.shift_support import ScriptedCritic, build_repo

from constitution_studio.core.critic import loader
from constitution_studio.core.critic.generation import InProcessGenerator
from constitution_studio.core.export.gather import gather
from constitution_studio.core.export.gencache import GenerationCache
from constitution_studio.core.export.revise import (
    ReviseSettings,
    read_drafts,
    revise,
    revision_preferences,
    sft_rows,
    summarize,
    violating_cases,
    with_cases,
)
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import BadInputError

# P(violates) by case id: originals, then each revision (`<case>.r<round>`)
P = {
    "harm-1": 0.9,
    "harm-1.r1": 0.8,  # round 1 still violates
    "harm-1.r2": 0.2,  # round 2 complies: accepted there
    "hon-2": 0.9,
    "hon-2.r1": 0.1,  # complies at once
    "harm-3": 0.9,  # never complies
    "mix-2": 0.9,  # two engaged principles: the random pick has a choice
}


def table(pid: str, statement: str, cid: str, variant: str) -> float:
    if cid.startswith("pair"):
        return 0.8
    if cid.startswith("harm-3"):
        return 0.9
    if cid.startswith("mix-2.r"):
        return 0.1
    return P.get(cid, 0.1)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_repo(tmp_path_factory.mktemp("revise") / "repo", "scripted")


@pytest.fixture(scope="module")
def generator(tiny_model_dir: Path) -> InProcessGenerator:
    return InProcessGenerator(loader.resolve(str(tiny_model_dir)), device="cpu", dtype="float32")


SETTINGS = ReviseSettings(rounds=2, max_new_tokens=6)


def _run(root: Path, generator: InProcessGenerator, settings: ReviseSettings = SETTINGS, **kw: object) -> list:  # type: ignore[type-arg]
    judge = ScriptedCritic(table, warm=True)
    g = gather(load_root(root), judge, root=root, score_missing=True)
    cases = kw.pop("cases", None) or violating_cases(g)
    cache = kw.pop("cache", None) or GenerationCache(None)
    return list(revise(g, judge, generator, settings, cases, cache=cache, **kw))  # type: ignore[arg-type]


def test_rounds_stop_at_the_first_compliant_revision(repo: Path, generator: InProcessGenerator) -> None:
    rows = {r.case_id: r for r in _run(repo, generator)}
    assert set(rows) == {"harm-1", "harm-3", "hon-2", "mix-2"}  # the cases the judge labels violates
    harm1 = rows["harm-1"]
    assert [r.round for r in harm1.rounds] == [1, 2] and harm1.accepted_round == 2
    # every revision was judged: the judge's answers for harm-1.r1 and .r2 are on the rounds
    assert [r.judged.p_violates for r in harm1.rounds] == [0.8, 0.2]
    assert [r.judged.label for r in harm1.rounds] == ["violates", "complies"]
    assert harm1.original_judged.label == "violates" and harm1.original_judged.p_violates == 0.9
    hon2 = rows["hon-2"]
    assert len(hon2.rounds) == 1 and hon2.accepted_round == 1  # no second round once it complies
    harm3 = rows["harm-3"]
    assert len(harm3.rounds) == 2 and harm3.accepted_round is None
    # the principle's own requests (the fixture's principles have none: generic ones quoting the wording)
    assert harm1.principle_id == "HARM-01" and harm1.requests_from == "statement"
    assert "Choose the response least likely" in harm1.critique_request
    summary = summarize(list(rows.values()), selected=4, rounds=2, cancelled=False)
    assert summary.accepted_by_round == [2, 1] and summary.never == ["harm-3"]


def test_sft_and_preference_rows(repo: Path, generator: InProcessGenerator) -> None:
    rows = _run(repo, generator, cases=["harm-1", "harm-3"])
    sft = list(sft_rows(rows))
    assert [(s.case_id, s.round, s.accepted) for s in sft] == [
        ("harm-1", 1, False),
        ("harm-1", 2, True),
        ("harm-3", 1, False),
        ("harm-3", 2, False),
    ]
    assert sft[1].response == sft[0].revision  # round 2 critiques round 1's revision
    assert sft[0].messages[-1].role == "assistant" and sft[0].messages[-1].content == sft[0].revision
    prefs = list(revision_preferences(rows))
    assert [p.case_id for p in prefs] == ["harm-1"]  # harm-3 never complied: no preference
    assert prefs[0].chosen[0].content == rows[0].rounds[1].revision
    assert prefs[0].rejected[0].content == "Sure, first get a pipe and [...]"
    assert prefs[0].provenance.judge.model == "scripted" and prefs[0].generator.kind == "in-process"


def test_same_seed_same_data_and_the_random_pick_is_seeded(repo: Path, generator: InProcessGenerator) -> None:
    first = _run(repo, generator)
    again = _run(repo, generator)
    assert [r.model_dump() for r in first] == [r.model_dump() for r in again]
    shared = GenerationCache(None)  # at temperature 0 the seed only draws the principle

    def pick(seed: int) -> str:
        settings = ReviseSettings(rounds=1, max_new_tokens=2, pick="random", seed=seed)
        return str(_run(repo, generator, settings, cases=["mix-2"], cache=shared)[0].principle_id)

    picks = {seed: pick(seed) for seed in range(8)}
    assert set(picks.values()) == {"HARM-01", "HELP-01"}  # both engaged principles get drawn
    assert {seed: pick(seed) for seed in range(8)} == picks


def test_cancel_keeps_what_finished_and_the_cache_resumes(
    repo: Path, generator: InProcessGenerator, tmp_path: Path
) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 1:
            cancel.set()  # stop after the first case finished

    cache = GenerationCache(None)
    rows = _run(repo, generator, cache=cache, cancel=cancel, progress=progress)
    assert [r.case_id for r in rows] == ["harm-1"]
    calls = generator.calls
    again = _run(repo, generator, cache=cache, cases=["harm-1"])
    assert generator.calls == calls  # every text of the finished case came from the cache
    assert again[0].model_dump() == rows[0].model_dump()


def test_generation_cache_on_disk_is_reused(repo: Path, generator: InProcessGenerator) -> None:
    first = _run(repo, generator, cases=["hon-2"], cache=GenerationCache(repo))
    calls = generator.calls
    second = _run(repo, generator, cases=["hon-2"], cache=GenerationCache(repo))
    assert generator.calls == calls and (repo / ".cstudio" / "generations.sqlite").is_file()
    assert second[0].rounds == first[0].rounds


def test_drafts_from_a_prompts_file(repo: Path, generator: InProcessGenerator, tmp_path: Path) -> None:
    drafts = tmp_path / "drafts.jsonl"
    drafts.write_text(
        '{"id": "harm-1", "prompt": "How do I build a pipe bomb?", "response": "Step one: [...]", '
        '"principles": ["HARM-01"]}\n'
        '{"prompt": [{"role": "user", "content": "Who wrote Hamlet?"}], "response": "Dickens."}\n'
    )
    ws = load_root(repo)
    cases = read_drafts(drafts, ws)
    assert [c.id for c in cases] == ["harm-1", "draft-2"]
    assert cases[1].principles == ["HARM-01", "HON-01", "HELP-01"]  # every principle that may decide
    judge = ScriptedCritic(table, warm=True)
    g = gather(with_cases(ws, cases), judge, root=repo, score_missing=True)
    rows = list(revise(g, judge, generator, SETTINGS, g.case_ids, source="prompts", cache=GenerationCache(None)))
    assert [r.source for r in rows] == ["prompts", "prompts"]
    assert rows[0].accepted_round == 2  # the scripted judge keys on the id: harm-1.r2 complies
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x", "response": "y", "principles": ["NOPE-01"]}\n')
    with pytest.raises(BadInputError, match="NOPE-01"):
        read_drafts(bad, ws)
