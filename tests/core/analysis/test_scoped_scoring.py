"""Scoped scoring: a one-principle edit in the studio, and `shift`/`check --principle`, ask the judge
for what that principle's cases need and no more; the figures that need more say where they
come from (the score cache) and how far they reach."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fixtures.shift_support import ScriptedCritic, build_repo, stable_noise

from constitution_studio.core.analysis.gate import check_versions
from constitution_studio.core.analysis.impact import cached_shift, missing_requests, plan_impact, score_step
from constitution_studio.core.analysis.shift import analyze_shift
from constitution_studio.core.diff import structural_diff
from constitution_studio.core.versions import diff_refs
from constitution_studio.core.workspace import Workspace, load_root
from constitution_studio.errors import BadInputError

EXAMPLE = Path(__file__).resolve().parents[3]


def _judge(**kw: object) -> ScriptedCritic:
    return ScriptedCritic(lambda pid, statement, cid, variant: stable_noise(pid, statement, cid, variant), **kw)  # type: ignore[arg-type]


def _edited(ws: Workspace, pid: str, extra: str) -> Workspace:
    p = ws.principles[pid]
    edited = p.model_copy(update={"statement": p.statement + extra})
    return dataclasses.replace(ws, principles={**ws.principles, pid: edited})


def _linked_need(base: Workspace, head: Workspace, pid: str, judge: ScriptedCritic) -> set[str]:
    """Every answer the verdicts of `pid`'s linked cases can need, on both sides, built by hand:
    each linked principle's wording x each judge variant x (verdict, engagement)."""
    from constitution_studio.core.critic.types import ScoreRequest

    need: set[str] = set()
    for side in (base, head):
        for case in side.cases_for(pid):
            for linked in case.principles:
                statement = side.principles[linked].statement
                for variant in judge.variants:
                    for question in ("verdict", "engagement"):
                        need.add(judge.key_for(ScoreRequest(linked, statement, case, variant, question)))  # type: ignore[arg-type]
    return need


def test_a_one_principle_edit_asks_no_more_than_its_linked_cases_need() -> None:
    """The studio's Run all after an edit to HARM-02 on the example: the edited wording's own
    labels first, then the rest its linked cases need, and nothing else (before: 173 answers,
    the benign cases of the whole constitution included; docs/performance.md)."""
    base = load_root(EXAMPLE)
    head = _edited(base, "HARM-02", " Even in fiction.")
    diff = structural_diff(base, head)
    judge = _judge()
    plan = plan_impact(base, head, diff, judge)

    first = plan.steps[0]
    asked_first = [r for _, reqs in first.wants for r in reqs]
    linked = {c.id for c in base.cases_for("HARM-02")}
    assert first.title == "HARM-02's labels" and "HARM-02's own labels" in first.reason
    assert {(r.principle_id, r.question, r.variant) for r in asked_first} == {("HARM-02", "verdict", "default")}
    assert {r.case.id for r in asked_first} == linked and first.answers == 2 * len(linked)  # edited + saved wording
    assert [s.title for s in plan.steps[1:]] == ["other principles", "engagement", "judge variants"]

    report = None
    for i, step in enumerate(plan.steps):
        run = score_step(judge, step, plan)
        assert run.model_calls == step.answers  # each group asks exactly the count it shows
        if i == 0:  # the edited principle's own labels are there before the rest is scored
            report = plan.report()
            rows = next(p for p in report.principles if p.principle_id == "HARM-02").rows
            assert {r.case_id for r in rows if r.head is not None and r.base is not None} == linked
    asked = {judge.key_for(r) for r in judge.requests_seen}
    need = _linked_need(base, head, "HARM-02", judge)
    assert asked <= need and judge.model_calls == len(asked) == plan.answers
    assert {r.case.id for r in judge.requests_seen} == linked  # no benign or gold case of the rest
    report = plan.report()
    assert report is not None and not report.incomplete and {c.case_id for c in report.cases} == linked
    assert report.model_calls == plan.answers


def test_the_impact_views_count_is_what_run_all_scores() -> None:
    """`N critic answers to score` on open is the plan's total: the benign cases no edit moves
    are read from the cache, never counted or scored; the view says over-refusal is partial."""
    base = load_root(EXAMPLE)
    head = _edited(base, "HARM-02", " Even in fiction.")
    diff = structural_diff(base, head)
    judge = _judge()
    shown = cached_shift(base, head, diff, judge)
    assert missing_requests(shown) == plan_impact(base, head, diff, judge).answers
    assert shown.partial and shown.partial[0].startswith("over-refusal over 0 of ")
    assert shown.partial[0].endswith(" benign cases")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """HARM-01 and HON-01 both reworded between main and head."""

    def reword(v: object) -> None:
        v.statements["HARM-01"] += " Always."  # type: ignore[attr-defined]
        v.statements["HON-01"] += " Never guess."  # type: ignore[attr-defined]

    return build_repo(tmp_path / "repo", "scripted", head_edit=reword)


def test_shift_principle_scores_only_what_its_cases_need(repo: Path) -> None:
    diff, base, head = diff_refs(repo, "main", "head")
    whole = _judge()
    analyze_shift(base, head, diff, whole)
    judge = _judge()
    report = analyze_shift(base, head, diff, judge, principles=["HON-01"])
    hon = {c.id for ws in (base, head) for c in ws.cases_for("HON-01")}
    assert {r.case.id for r in judge.requests_seen} == hon == {c.case_id for c in report.cases}
    assert 0 < judge.model_calls < whole.model_calls  # no benign, other gold or HARM-01 case scored
    assert report.scope == ["HON-01"]
    over, trust = report.partial  # the benign and the other gold cases lie outside HON-01's cases
    assert over.startswith("over-refusal is partial: over 0 of 3 benign cases; --principle HON-01 ")
    assert trust.startswith("trust is partial: over ")
    # once the cache holds the rest (a whole run before), the same scoped run says so instead
    again = analyze_shift(base, head, diff, whole, principles=["HON-01"])
    assert again.model_calls == 0
    assert again.partial == [
        "over-refusal over all 3 benign cases: the 3 HON-01 does not touch come from the score cache",
        f"trust over all {again.trust.gold_cases} gold cases: the {again.trust.gold_cases - 3} HON-01 does not "
        "touch come from the score cache",
    ]
    # a principle whose cases are every benign case: over-refusal is whole, nothing to say about it
    harm = analyze_shift(base, head, diff, _judge(), principles=["HARM-01"])
    assert [n for n in harm.partial if "over-refusal" in n] == []


def test_check_principle_is_scoped_and_names_a_missing_principle(repo: Path) -> None:
    diff, base, head = diff_refs(repo, "main", "head")
    judge = _judge()
    result = check_versions(repo, base, head, diff, open_judge=lambda *a, **k: judge, principles=["HON-01"])
    assert result.shift is not None and result.shift.scope == ["HON-01"] and result.shift.partial
    assert {r.case.id for r in judge.requests_seen} == {c.id for c in head.cases_for("HON-01")}
    with pytest.raises(BadInputError, match="--principle NOPE-01: no such principle"):
        check_versions(repo, base, head, diff, open_judge=lambda *a, **k: judge, principles=["NOPE-01"])
