"""Structural diff by ID: kinds, the priority-move rule, renames, cases, word diff."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_versions_gitrepo import (
    BASE_CASES,
    BASE_PRIORITY,
    GitRepo,
    build_done_when,
    cases_yaml,
    constitution_yaml,
    principle_yaml,
)

from constitution_studio.core.diff import moved_ids, structural_diff
from constitution_studio.core.source import WORKTREE
from constitution_studio.core.versions import diff_refs, load_version
from constitution_studio.core.worddiff import new_text, old_text, word_diff


def kinds(diff: object) -> dict[str, list[str]]:
    return {p.id: p.changes for p in diff.principles}  # type: ignore[attr-defined]


def test_done_when_scenario_names_exactly_those_kinds(repo: GitRepo) -> None:
    shas = build_done_when(repo)
    before = repo.snapshot()
    diff, base, head = diff_refs(repo.root, "HEAD~2", "HEAD")
    assert repo.snapshot() == before
    assert kinds(diff) == {
        "HELP-01": ["moved"],
        "HARM-02": ["reworded"],
        "PRIV-01": ["added"],
        "HON-01": ["removed"],
    }
    assert (diff.base_commit, diff.head_commit) == (shas["base"], shas["head"])
    assert diff.priority_changed
    help01 = diff.principle("HELP-01")
    assert help01 is not None and (help01.rank_base, help01.rank_head) == (4, 1)
    harm01 = structural_diff(base, head)  # HARM-01 shifted 1 -> 2 by the move but kept its order: not listed
    assert harm01.principle("HARM-01") is None
    reworded = diff.principle("HARM-02")
    assert reworded is not None
    assert old_text(reworded.words) == reworded.statement_base
    assert new_text(reworded.words) == reworded.statement_head
    assert {w.text for w in reworded.words if w.op == "insert"} == {"meet", "warmth"}
    cases = {c.id: c.changes for c in diff.cases}
    assert cases == {"c-priv": ["added"], "c-honest": ["relinked"]}
    assert diff.case("c-honest").principles_removed == ["HON-01"]  # type: ignore[union-attr]
    assert diff.summary.principles == {
        "added": 1,
        "removed": 1,
        "reworded": 1,
        "reworded_locale": 0,
        "fields": 0,
        "moved": 1,
        "links": 0,
    }


def test_same_version_is_empty(repo: GitRepo) -> None:
    build_done_when(repo)
    diff, _, _ = diff_refs(repo.root, "HEAD", WORKTREE)
    assert diff.empty and diff.principles == [] and diff.cases == []


@pytest.mark.parametrize(
    ("base", "head", "moved"),
    [
        (["A", "B", "C", "D"], ["D", "A", "B", "C"], {"D"}),  # to the top
        (["A", "B", "C", "D"], ["B", "C", "D", "A"], {"A"}),  # to the bottom
        (["A", "B"], ["B", "A"], {"B"}),  # a swap reports the one that went up
        (["A", "B", "C"], ["X", "A", "B", "C"], set()),  # insertion above shifts ranks only
        (["X", "A", "B", "C"], ["A", "B", "C"], set()),  # removal above too
        (["A", "B", "C", "D", "E"], ["A", "D", "B", "C", "E"], {"D"}),
        (["A", "B", "C", "D"], ["D", "C", "B", "A"], {"B", "C", "D"}),  # reversal: those that went up
        ([], [], set()),
    ],
)
def test_moved_is_a_change_of_relative_order(base: list[str], head: list[str], moved: set[str]) -> None:
    assert moved_ids(base, head) == moved


@given(st.permutations(list(range(30))))
def test_moved_ids_leave_an_increasing_core(perm: list[int]) -> None:
    base = [str(i) for i in range(30)]
    head = [str(i) for i in perm]
    moved = moved_ids(base, head)
    kept = [int(p) for p in head if p not in moved]
    assert kept == sorted(kept)
    # minimal: the kept set is a longest increasing subsequence
    best = [1] * len(perm)
    for i in range(len(perm)):
        for j in range(i):
            if perm[j] < perm[i]:
                best[i] = max(best[i], best[j] + 1)
    assert len(kept) == max(best)


def test_insertion_above_gives_ranks_but_no_move(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("base")
    repo.write("principles/SAFE-01.yaml", principle_yaml("SAFE-01"))
    repo.write("principles/constitution.yaml", constitution_yaml(["SAFE-01", *BASE_PRIORITY]))
    repo.write("eval_cases/more.yaml", cases_yaml({"c-safe": ["SAFE-01"]}))
    repo.commit("insert at the top")
    diff, _, _ = diff_refs(repo.root, "HEAD~1", "HEAD")
    assert kinds(diff) == {"SAFE-01": ["added"]}
    assert diff.priority_changed


def test_fields_links_and_several_kinds_at_once(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("base")
    repo.write(
        "principles/HON-01.yaml",
        principle_yaml("HON-01", "Never state falsehoods.", title="Honesty", owner="policy", tags="[honesty]"),
    )
    repo.write("principles/constitution.yaml", constitution_yaml(["HON-01", "HARM-01", "HARM-02", "HELP-01"]))
    cases = dict(BASE_CASES)
    cases["c-honest"] = ["HELP-01"]
    cases["c-new"] = ["HON-01", "HARM-01"]
    repo.write("eval_cases/cases.yaml", cases_yaml(cases, gold={"c-help": "complies"}))
    repo.commit("many changes")
    diff, _, _ = diff_refs(repo.root, "HEAD~1", "HEAD")
    hon = diff.principle("HON-01")
    assert hon is not None
    assert hon.changes == ["reworded", "fields", "moved", "links"]
    assert hon.fields == ["title", "owner", "tags"]
    assert hon.links_added == ["c-new"] and hon.links_removed == ["c-honest"]
    harm = diff.principle("HARM-01")
    assert harm is not None and harm.changes == ["links"] and harm.links_added == ["c-new"]
    cases_by_id = {c.id: c for c in diff.cases}
    assert cases_by_id["c-help"].changes == ["changed"] and cases_by_id["c-help"].fields == ["gold"]
    assert cases_by_id["c-honest"].changes == ["relinked"]
    assert cases_by_id["c-honest"].principles_removed == ["HON-01"]
    assert cases_by_id["c-new"].changes == ["added"]


def test_case_removed_and_case_changed_and_relinked(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("base")
    text = cases_yaml({"c-harm": ["HARM-01", "HARM-02"], "c-self": ["HARM-02"], "c-honest": ["HON-01", "HELP-01"]})
    repo.write("eval_cases/cases.yaml", text.replace("Response of c-harm", "A new response"))
    repo.write("eval_cases/extra.yaml", cases_yaml({"c-help": ["HELP-01"]}))  # moved to another file: no change
    repo.commit("cases")
    diff, _, _ = diff_refs(repo.root, "HEAD~1", "HEAD")
    by_id = {c.id: c for c in diff.cases}
    assert set(by_id) == {"c-harm"}
    assert by_id["c-harm"].changes == ["changed", "relinked"]
    assert by_id["c-harm"].fields == ["response"] and by_id["c-harm"].principles_added == ["HARM-02"]


def test_a_renamed_file_with_the_same_id_is_the_same_principle(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.remove("principles/HARM-01.yaml")
    repo.write("principles/harm_one.yaml", principle_yaml("HARM-01"))
    repo.commit("old file name")
    repo.remove("principles/harm_one.yaml")
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", "Reworded while renamed."))
    repo.commit("rename to the ID")
    diff, base, _ = diff_refs(repo.root, "HEAD~1", "HEAD")
    assert any(f.code == "id-filename-mismatch" for f in base.errors)  # the old version was invalid
    assert kinds(diff) == {"HARM-01": ["reworded"]}
    change = diff.principle("HARM-01")
    assert change is not None
    assert (change.path_base, change.path_head) == ("principles/harm_one.yaml", "principles/HARM-01.yaml")


def test_deprecation_leaving_the_priority_order_is_a_move(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("base")
    repo.write("principles/HON-01.yaml", principle_yaml("HON-01", status="deprecated"))
    repo.write("principles/constitution.yaml", constitution_yaml(["HARM-01", "HARM-02", "HELP-01"]))
    repo.commit("deprecate")
    diff, _, _ = diff_refs(repo.root, "HEAD~1", "HEAD")
    hon = diff.principle("HON-01")
    assert hon is not None and hon.changes == ["fields", "moved"] and hon.fields == ["status"]
    assert (hon.rank_base, hon.rank_head) == (3, None)
    assert diff.principle("HELP-01") is None  # shifted 4 -> 3, order kept


def test_worktree_head_and_subfolder(tmp_path: Path) -> None:
    big = GitRepo(tmp_path / "big", prefix="docs/policy")
    build_done_when(big)
    big.write("principles/HARM-01.yaml", principle_yaml("HARM-01", title="Renamed title"))
    before = big.snapshot()
    diff, _, _ = diff_refs(big.root, "HEAD", WORKTREE)
    assert big.snapshot() == before
    assert kinds(diff) == {"HARM-01": ["fields"]}
    assert diff.head == WORKTREE and diff.head_commit is None


def test_merge_commit_diff(repo: GitRepo) -> None:
    build_done_when(repo)
    repo.git("checkout", "-q", "-b", "side", "HEAD~1")
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", "Side wording."))
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-edit", "side")
    diff, _, _ = diff_refs(repo.root, "HEAD^1", "HEAD")
    assert kinds(diff) == {"HARM-01": ["reworded"]}
    diff2, _, _ = diff_refs(repo.root, "HEAD^2", "HEAD")
    assert kinds(diff2) == {"PRIV-01": ["added"], "HON-01": ["removed"]}


def test_invalid_base_still_diffs(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.write("principles/HARM-02.yaml", "id: HARM-02\nstatement: [broken\n")
    repo.commit("broken base")
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("fixed")
    diff, base, head = diff_refs(repo.root, "HEAD~1", "HEAD")
    assert base.errors and not head.errors
    assert kinds(diff) == {"HARM-02": ["added"]}  # it did not load at base


def test_load_version_matches_worktree_load(repo: GitRepo) -> None:
    build_done_when(repo)
    diff = structural_diff(load_version(repo.root, "HEAD"), load_version(repo.root, WORKTREE))
    assert diff.empty


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("the quick brown fox", "the slow brown fox"),
        ("Do not help.", "Do not ever help!"),
        ("", "new text"),
        ("same", "same"),
        ("line one\nline two", "line one\nline 2"),
        ("don't stop", "do not stop"),
    ],
)
def test_word_diff_round_trips(old: str, new: str) -> None:
    ops = word_diff(old, new)
    assert old_text(ops) == old and new_text(ops) == new
    assert all(a.op != b.op for a, b in pairwise(ops))


def test_word_diff_marks_whole_words() -> None:
    ops = word_diff("must not give methods", "must never give methods")
    assert [(o.op, o.text) for o in ops] == [
        ("equal", "must "),
        ("delete", "not"),
        ("insert", "never"),
        ("equal", " give methods"),
    ]


@given(st.text(max_size=80), st.text(max_size=80))
def test_word_diff_property(old: str, new: str) -> None:
    ops = word_diff(old, new)
    assert old_text(ops) == old and new_text(ops) == new
