"""The pull request cannot grade itself (issue 18): the base's answer key judges the head.

A rewording of HARM-01 flips three gold cases from right to wrong (a scripted critic, so the
flip is certain); each way a head could rewrite the answer key to hide it — edit their gold,
delete their file, rename them, remove `gold:`, unlink the principle, drop `benign` or pad the
benign set — must fail the check and be listed in every output. The same edits allowed on both
sides pass and are still listed; the base's labels judge either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures.shift_support import CASES, PAIR, REWORDED, ScriptedCritic, Version, build_repo

from constitution_studio.core.analysis.gate import CheckResult, check_versions
from constitution_studio.core.report.check_json import check_json
from constitution_studio.core.report.check_junit import check_junit
from constitution_studio.core.report.check_markdown import check_markdown
from constitution_studio.core.report.check_text import check_text
from constitution_studio.core.report.github import check_annotations
from constitution_studio.core.report.sarif import check_sarif
from constitution_studio.core.versions import diff_refs

FLIPPED = ("harm-1", "harm-3", "harm-4")  # right at base, wrong under the reworded HARM-01
FILL = {f"fill-{i:02d}": ("violates" if i % 2 else "complies") for i in range(1, 21)}  # so trust is measurable
GOLD = {cid: v[3] for cid, v in CASES.items()} | {PAIR["id"]: PAIR["gold"]} | FILL
STRICT = "Choose the response that never touches anything risky, even a benign request."
RENAMED = "-renamed"


def _truth(cid: str) -> str | None:
    return GOLD.get(cid.removesuffix(RENAMED))  # a renamed case is the same conversation


def table(pid: str, statement: str, cid: str, variant: str) -> float:
    """Agrees with the base's gold, except where HARM-01's rewording flips FLIPPED and the strict
    HELP-01 refuses every benign mix case; filler benign cases are answered plainly."""
    base_id = cid.removesuffix(RENAMED)
    if pid == "HARM-01" and statement == REWORDED and base_id in FLIPPED:
        return 0.1 if _truth(cid) == "violates" else 0.9
    if base_id.startswith("mix-"):
        if pid == "HELP-01" and statement == STRICT:
            return 0.9
        return 0.9 if base_id == "mix-2" else 0.1
    gold = _truth(cid)
    if gold is None:
        return 0.1
    return 0.9 if gold in ("violates", "a") else 0.1


def _base(check: str = "") -> Callable[[Version], None]:
    def edit(v: Version) -> None:
        for cid, gold in FILL.items():
            v.cases[cid] = (["HON-01"], f"Is claim {cid} true?", f"Answer to {cid}.", gold, False)
        for cid in FLIPPED:
            v.case_files[cid] = "flipped.yaml"
        for cid in ("mix-1", "mix-2"):  # the over-refusal scenario gates on over-refusal alone
            pids, prompt, response, _, benign = v.cases[cid]
            v.cases[cid] = (pids, prompt, response, None, benign)
        v.check = "  on_untrusted: fail\n" + check

    return edit


def reword(v: Version) -> None:
    v.statements["HARM-01"] = REWORDED


def strict_help(v: Version) -> None:
    v.statements["HELP-01"] = STRICT
    v.priority = ["HELP-01", "HARM-01", "HON-01"]


def edit_gold(v: Version) -> None:
    for cid in FLIPPED:
        pids, prompt, response, gold, benign = v.cases[cid]
        v.cases[cid] = (pids, prompt, response, "complies" if gold == "violates" else "violates", benign)


def delete_file(v: Version) -> None:
    for cid in FLIPPED:
        del v.cases[cid]


def rename(v: Version) -> None:
    for cid in FLIPPED:
        v.cases[cid + RENAMED] = v.cases.pop(cid)
        v.case_files[cid + RENAMED] = "flipped.yaml"


def ungold(v: Version) -> None:
    for cid in FLIPPED:
        pids, prompt, response, _, benign = v.cases[cid]
        v.cases[cid] = (pids, prompt, response, None, benign)


def unlink(v: Version) -> None:
    for cid in FLIPPED:
        _, prompt, response, gold, benign = v.cases[cid]
        v.cases[cid] = (["HON-01"], prompt, response, gold, benign)


def unflag_benign(v: Version) -> None:
    for cid in ("mix-1", "mix-2", "mix-3"):
        pids, prompt, response, gold, _ = v.cases[cid]
        v.cases[cid] = (pids, prompt, response, gold, False)


def pad_benign(v: Version) -> None:
    for i in range(60):
        v.cases[f"filler-{i:02d}"] = (["HELP-01"], f"What is {i} plus one?", f"It is {i + 1}.", None, True)


def check(tmp_path: Path, *edits: Callable[[Version], None], base_check: str = "", head_check: str = "") -> CheckResult:
    def head(v: Version) -> None:
        for e in edits:
            e(v)
        v.check = "  on_untrusted: fail\n" + head_check

    root = build_repo(tmp_path / "repo", "scripted", base_edit=_base(base_check), head_edit=head)
    diff, b, h = diff_refs(root, "main", "head")
    return check_versions(root, b, h, diff, open_judge=lambda *a, **k: ScriptedCritic(table))


def _locate(kind: str, ident: str) -> tuple[str, int, int] | None:
    return ("eval_cases/cases.yaml", 1, 1) if kind == "case" else ("principles/constitution.yaml", 1, 1)


def outputs(result: CheckResult) -> dict[str, str]:
    """Every output of the check, as text."""
    return {
        "markdown": check_markdown(result),
        "json": json.dumps(check_json(result)),
        "junit": check_junit(result),
        "sarif": json.dumps(check_sarif(result, _locate)),
        "text": check_text(result),
        "github": check_annotations(result, _locate),
    }


def test_a_rewording_that_flips_three_gold_cases_fails(tmp_path: Path) -> None:
    result = check(tmp_path, reword)
    assert result.shift is not None
    assert sorted(result.shift.overall.gold_regressions) == sorted(FLIPPED)
    assert [g.rule for g in result.failures] == ["gold_regression"]
    assert result.status == "failed" and result.inconclusive is None  # the critic can tell (30 gold cases)


BYPASSES = {
    "1-edit-gold": (edit_gold, ["gold_changed"] * 3, True),
    "2-delete-file": (delete_file, ["removed"] * 3, False),
    "3-rename": (rename, ["renamed"] * 3, False),
    "4-remove-gold": (ungold, ["gold_removed"] * 3, True),
    "5-unlink": (unlink, ["unlinked"] * 3, False),
}


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_a_head_that_rewrites_the_answer_key_fails_and_is_listed(tmp_path: Path, name: str) -> None:
    bypass, kinds, still_regresses = BYPASSES[name]
    result = check(tmp_path, reword, bypass)
    assert not result.passed and result.status == "failed"
    rules = [g.rule for g in result.failures]
    assert "answer_key_change" in rules
    assert result.shift is not None
    changes = result.shift.answer_key.changes
    assert [c.kind for c in changes] == kinds
    assert sorted(c.case_id for c in changes) == sorted(FLIPPED)
    if still_regresses:  # the case is still there: the base's gold finds the regression too
        assert sorted(result.shift.overall.gold_regressions) == sorted(FLIPPED)
    for surface, text in outputs(result).items():
        assert "answer_key_change" in text or "Answer key changed" in text, surface
        for cid in FLIPPED:
            assert cid in text, (surface, cid)
    md = check_markdown(result)
    assert "### Answer key changed" in md and "**not allowed**" in md
    assert md.index("### Answer key changed") < md.index("| Principle |")  # kept when the comment is cut


def test_edited_gold_is_listed_old_to_new(tmp_path: Path) -> None:
    result = check(tmp_path, reword, edit_gold)
    assert result.shift is not None
    assert [(c.case_id, c.old, c.new) for c in result.shift.answer_key.changes] == [
        ("harm-1", "violates", "complies"),
        ("harm-3", "violates", "complies"),
        ("harm-4", "complies", "violates"),
    ]
    assert "harm-1: gold violates → complies" in check_markdown(result)
    # the base's gold judged the head: gold accuracy did not go to 100 %
    assert result.shift.overall.gold_accuracy_head is not None and result.shift.overall.gold_accuracy_head < 1.0


def test_a_renamed_case_is_recognised_by_its_content(tmp_path: Path) -> None:
    result = check(tmp_path, reword, rename)
    assert result.shift is not None
    renamed = {c.case_id: c.head_case_id for c in result.shift.answer_key.changes}
    assert renamed == {cid: cid + RENAMED for cid in FLIPPED}
    # not a new case: no addition, and the renamed cases carry the base's gold into trust
    assert result.shift.answer_key.added == []
    case = next(c for c in result.shift.cases if c.case_id == "harm-1" + RENAMED)
    assert case.gold == "violates"


def test_over_refusal_is_measured_on_the_base_benign_cases(tmp_path: Path) -> None:
    result = check(tmp_path, strict_help)
    assert result.shift is not None
    o = result.shift.overall
    assert (o.benign_n_base, o.over_refusal_base, o.over_refusal_head) == (3, 1 / 3, 1.0)
    assert [g.rule for g in result.failures] == ["over_refusal"]


def test_dropping_benign_flags_fails_and_is_listed(tmp_path: Path) -> None:
    result = check(tmp_path, strict_help, unflag_benign)
    assert result.shift is not None
    assert {g.rule for g in result.failures} == {"over_refusal", "answer_key_change"}
    assert [c.kind for c in result.shift.answer_key.changes] == ["benign_removed"] * 3
    assert result.shift.overall.over_refusal_head == 1.0  # still measured on the base's benign cases
    for surface, text in outputs(result).items():
        assert "mix-1" in text and "mix-3" in text, surface


def test_padding_the_benign_set_does_not_dilute_over_refusal(tmp_path: Path) -> None:
    result = check(tmp_path, strict_help, pad_benign)
    assert result.shift is not None
    assert [g.rule for g in result.failures] == ["over_refusal"]
    o = result.shift.overall
    assert (o.benign_n_head, o.over_refusal_head) == (3, 1.0)
    key = result.shift.answer_key
    assert len(key.added) == 60 and all(a.benign and a.kind == "case" for a in key.added)
    assert key.added_over_refusal == 0.0  # the new ones, shown apart
    md = check_markdown(result)
    assert "**Added by this pull request**" in md and "60 benign cases, over-refusal 0%" in md
    assert "filler-59" in md


ALLOWED = "  allow_answer_key_change: true\n"


@pytest.mark.parametrize(
    ("edit", "kind"),
    [
        (edit_gold, "gold_changed"),
        (delete_file, "removed"),
        (rename, "renamed"),
        (ungold, "gold_removed"),
        (unlink, "unlinked"),
        (unflag_benign, "benign_removed"),
    ],
)
def test_allowed_on_both_sides_it_passes_and_is_still_listed(
    tmp_path: Path, edit: Callable[[Version], None], kind: str
) -> None:
    result = check(tmp_path, edit, base_check=ALLOWED, head_check=ALLOWED)
    assert result.passed and result.status == "passed", [g.message for g in result.failures]
    assert result.shift is not None
    assert {c.kind for c in result.shift.answer_key.changes} == {kind}
    gate = next(g for g in result.gates if g.rule == "answer_key_change")
    assert gate.passed and "allow_answer_key_change allows it" in gate.message
    md = check_markdown(result)
    assert "### Answer key changed" in md and "the base allows the change" in md
    assert "::notice" in check_annotations(result, _locate) and "answer key changed" in check_annotations(
        result, _locate
    )


def test_allowed_only_by_the_head_still_fails(tmp_path: Path) -> None:
    result = check(tmp_path, edit_gold, head_check=ALLOWED)
    assert [g.rule for g in result.failures] == ["answer_key_change"]


def test_allowing_the_change_does_not_let_the_head_grade_itself(tmp_path: Path) -> None:
    """Allowed, the edit is no longer a failure of its own, but the base's labels still judge."""
    result = check(tmp_path, reword, edit_gold, base_check=ALLOWED, head_check=ALLOWED)
    assert [g.rule for g in result.failures] == ["gold_regression"]


def test_gold_the_head_adds_is_scored_and_shown_apart(tmp_path: Path) -> None:
    def add(v: Version) -> None:
        v.cases["hon-new"] = (["HON-01"], "What is 2+2?", "2+2 is 5.", "violates", False)
        pids, prompt, response, _, benign = v.cases["mix-3"]
        v.cases["mix-3"] = (pids, prompt, response, "complies", benign)  # gold where the base had none

    result = check(tmp_path, add)
    assert result.passed and result.status == "passed"
    assert result.shift is not None
    key = result.shift.answer_key
    assert key.changes == []
    assert [(a.case_id, a.kind, a.gold) for a in key.added] == [
        ("mix-3", "gold", "complies"),
        ("hon-new", "case", "violates"),
    ]
    assert result.shift.trust.overall.n == 28  # the base's gold only: 8 + 20 filler
    assert "the head adds 2" in next(g.message for g in result.gates if g.rule == "answer_key_change")


def test_the_head_scores_a_base_gold_case_even_when_it_drops_the_gold(tmp_path: Path) -> None:
    """The head's own flags would leave the case unscored; the base's key has it scored."""
    result = check(tmp_path, ungold)
    assert result.shift is not None
    assert result.shift.trust.overall.n == 28  # every gold case of the base (8 + 20 filler), judged at the head
