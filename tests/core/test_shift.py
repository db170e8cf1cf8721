"""Label shift with the tiny real critic on temp git repos (base branch `main`, head branch `head`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.shift_support import REWORDED, Version, build_repo, reword_move_add, thresholds

from constitution_studio.core.analysis.shift import analyze_shift
from constitution_studio.core.analysis.shift_models import ShiftReport
from constitution_studio.core.critic import open_critic
from constitution_studio.core.report.shift_markdown import shift_markdown
from constitution_studio.core.report.shift_text import format_shift_text
from constitution_studio.core.versions import diff_refs


def _shift(root: Path, base: str = "main", head: str = "head", **kw: object) -> tuple[ShiftReport, object]:
    diff, b, h = diff_refs(root, base, head)
    critic = open_critic(h.constitution.critic, root)  # type: ignore[union-attr]
    return analyze_shift(b, h, diff, critic, **kw), critic  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    return build_repo(tmp_path_factory.mktemp("shift") / "repo", str(tiny_model_dir), head_edit=reword_move_add)


def test_rewording_changes_probabilities_and_the_report_shows_them(scenario: Path) -> None:
    report, _ = _shift(scenario)
    harm = next(p for p in report.principles if p.principle_id == "HARM-01")
    assert "reworded" in harm.changes
    assert harm.statement_head == REWORDED
    row = next(r for r in harm.rows if r.case_id == "harm-1")
    assert row.base is not None and row.head is not None
    assert row.base.probability != pytest.approx(row.head.probability, abs=1e-6)
    assert row.delta == pytest.approx(row.head.probability - row.base.probability)
    assert harm.stats.max_abs_delta is not None and harm.stats.max_abs_delta > 0
    # only affected principles' cases are in the shift (HON-01 is in through the added case)
    assert {c.case_id for c in report.cases} >= {"harm-1", "harm-2", "harm-3", "harm-4", "hon-4"}
    assert "pair-1" not in {c.case_id for c in report.cases}  # HELP-01 only moved; pair-1 has one link
    # every affected case was scored under every template variant
    assert len(report.variants) >= 2
    assert all(set(c.base.variant_labels) == set(report.variants) for c in report.cases if c.base)
    text = format_shift_text(report)
    assert text.startswith("critic ")  # trust first
    assert "HARM-01" in text and "reworded" in text
    md = shift_markdown(report)
    assert "~~someone~~ **anyone**" in md
    assert f"{row.base.probability:.2f}" in md or not row.flipped


def test_priority_move_changes_overall_label_of_a_conflict_case(tmp_path: Path, tiny_model_dir: Path) -> None:
    def base(v: Version) -> None:
        # HARM-01 says "violates" to everything, HELP-01 to nothing, and both are always engaged:
        # every mix-* case is a conflict that the priority order resolves
        v.critic_extra = thresholds(v.model, HARM_01=0.0, HELP_01=1.0) + "  engagement_threshold: 0.0\n"

    def head(v: Version) -> None:
        v.priority = ["HELP-01", "HARM-01", "HON-01"]

    root = build_repo(tmp_path / "repo", str(tiny_model_dir), base_edit=base, head_edit=head)
    report, _ = _shift(root)
    assert report.priority_changed
    mix = {c.case_id: c for c in report.cases if c.case_id.startswith("mix-")}
    assert set(mix) == {"mix-1", "mix-2", "mix-3"}
    for c in mix.values():
        assert c.base is not None and c.head is not None
        assert (c.base.label, c.base.deciding, c.base.conflict) == ("violates", "HARM-01", True)
        assert (c.head.label, c.head.deciding, c.head.conflict) == ("complies", "HELP-01", True)
        assert c.flipped and c.direction == "violates->complies"
    assert report.overall.conflicts_base == report.overall.conflicts_head == 3
    # single-linked cases cannot move with the order: not scored as shift cases
    assert not any(c.case_id.startswith(("harm-", "hon-")) for c in report.cases)
    # mix-1 (gold complies) is fixed, mix-2 (gold violates) regresses
    assert mix["mix-1"].gold_fix and mix["mix-2"].gold_regression
    assert report.overall.over_refusal_base == 1.0 and report.overall.over_refusal_head == 0.0
    # each flipped line names what its probability measures and whose gold it shows (core/wording.py)
    text = format_shift_text(report)
    line = next(x for x in text.splitlines() if x.strip().startswith("mix-1 "))
    assert "violates -> complies  P(violates) " in line and " → " in line
    assert mix["mix-1"].gold is None or f"gold (case): {mix['mix-1'].gold}" in line


def test_second_run_calls_the_model_zero_times(scenario: Path) -> None:
    first, _ = _shift(scenario)
    again, critic = _shift(scenario)
    assert again.model_calls == 0
    assert critic.model_calls == 0  # type: ignore[attr-defined]
    assert again.cached == again.requests > 0
    # Where scoring ran is a fact of the run: a fully cached run never loads the model ("auto").
    volatile = {"cached": True, "model_calls": True, "critic": {"device", "dtype"}}
    assert again.model_dump(exclude=volatile) == first.model_dump(exclude=volatile)


def test_principle_filter_limits_the_shift(scenario: Path) -> None:
    report, _ = _shift(scenario, principles=["HON-01"])
    assert [p.principle_id for p in report.principles] == ["HON-01"]
    assert {c.case_id for c in report.cases} == {"hon-1", "hon-2", "hon-3", "hon-4"}


def test_no_change_scores_nothing_but_trust(scenario: Path) -> None:
    report, _ = _shift(scenario, base="head", head="head")
    assert report.cases == [] and report.principles == []
    assert report.trust.overall.n > 0
