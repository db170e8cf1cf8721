"""Deprecating a principle cannot take its gold cases out of the gate: a gold case decided at
base that no principle may decide at head fails `fail_on_gold_regression`."""

from __future__ import annotations

from pathlib import Path

from fixtures.shift_support import ScriptedCritic, build_repo, git

from constitution_studio.core.analysis.gate import check_versions, no_longer_decided
from constitution_studio.core.versions import diff_refs


def _scores(pid: str, statement: str, cid: str, variant: str) -> float:
    return 0.9 if cid in ("harm-1", "harm-3") else 0.1


def test_deprecating_the_only_linked_principle_fails_the_gold_rule(tmp_path: Path) -> None:
    root = build_repo(tmp_path / "repo", "scripted")
    principle = root / "principles" / "HARM-01.yaml"
    principle.write_text(principle.read_text() + "status: deprecated\n")
    constitution = root / "principles" / "constitution.yaml"
    constitution.write_text(constitution.read_text().replace("  - HARM-01\n", ""))
    git(root, "commit", "-qam", "deprecate HARM-01")
    diff, base, head = diff_refs(root, "main", "head")
    result = check_versions(root, base, head, diff, open_judge=lambda *a, **k: ScriptedCritic(_scores))
    assert result.shift is not None
    lost = no_longer_decided(result.shift.cases)
    gold_only_harm = sorted(c for c, case in head.cases.items() if case.gold and case.principles == ["HARM-01"])
    assert lost == gold_only_harm and lost
    gate = next(g for g in result.gates if g.rule == "gold_regression")
    assert not gate.passed and "no principle decides at head" in gate.message and lost[0] in gate.message
    assert not result.passed
    # said as what it is, not as "not every principle scored"
    assert result.shift.undecided == gold_only_harm or set(gold_only_harm) <= set(result.shift.undecided)
    assert not set(result.shift.incomplete) & set(result.shift.undecided)
    from constitution_studio.core.report.check_markdown import check_markdown

    text = check_markdown(result)
    assert "no principle may decide on one side" in text and "not every principle scored" not in text


def test_an_ordinary_reword_has_nothing_no_longer_decided(tmp_path: Path) -> None:
    root = build_repo(tmp_path / "repo", "scripted")
    diff, base, head = diff_refs(root, "main", "WORKTREE")
    result = check_versions(root, base, head, diff, open_judge=lambda *a, **k: ScriptedCritic(_scores))
    assert result.shift is not None and no_longer_decided(result.shift.cases) == []
