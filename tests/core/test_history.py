"""`principle_log`: commits that changed one principle, newest first, followed by ID across renames."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_versions_gitrepo import (
    BASE_CASES,
    BASE_PRIORITY,
    GitRepo,
    build_done_when,
    cases_yaml,
    constitution_yaml,
    principle_yaml,
)

from constitution_studio.core.history import principle_log
from constitution_studio.errors import RefError


def summary(entries: list) -> list[tuple[str, list[str]]]:
    return [(e.subject, e.changes) for e in entries]


def test_log_lists_the_commits_that_changed_it(repo: GitRepo) -> None:
    shas = build_done_when(repo)
    before = repo.snapshot()
    harm02 = principle_log(repo.root, "HARM-02")
    assert repo.snapshot() == before
    assert summary(harm02) == [
        ("Reword HARM-02, put HELP-01 first", ["reworded"]),
        ("Start the constitution", ["added"]),
    ]
    first = harm02[0]
    assert first.hash == shas["reword"] and first.short == shas["reword"][:7]
    assert first.author == "Test Author" and first.date.startswith("2024-01-01T00:00:02")
    assert first.path == "principles/HARM-02.yaml"


def test_log_kinds_moved_links_removed(repo: GitRepo) -> None:
    build_done_when(repo)
    help01 = principle_log(repo.root, "HELP-01")
    assert summary(help01) == [
        ("Reword HARM-02, put HELP-01 first", ["moved"]),
        ("Start the constitution", ["added"]),
    ]
    assert (help01[0].rank_before, help01[0].rank_after) == (4, 1)
    assert summary(principle_log(repo.root, "HARM-01")) == [("Start the constitution", ["added"])]
    hon = principle_log(repo.root, "HON-01")
    assert summary(hon) == [("Drop HON-01, add PRIV-01", ["removed"]), ("Start the constitution", ["added"])]
    assert hon[0].path == "principles/HON-01.yaml"
    assert principle_log(repo.root, "NOPE-01") == []
    assert len(principle_log(repo.root, "HON-01", limit=1)) == 1


def test_log_links_and_fields(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("base")
    cases = dict(BASE_CASES)
    cases["c-more"] = ["HARM-01"]
    repo.write("eval_cases/cases.yaml", cases_yaml(cases))
    repo.commit("link a case")
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", title="New title", owner="safety"))
    repo.commit("retitle")
    repo.write(
        "principles/HARM-01.yaml", "# a new comment\n" + principle_yaml("HARM-01", title="New title", owner="safety")
    )
    repo.commit("comment only")
    entries = principle_log(repo.root, "HARM-01")
    assert summary(entries) == [
        ("comment only", []),
        ("retitle", ["fields"]),
        ("link a case", ["links"]),
        ("base", ["added"]),
    ]
    assert entries[1].fields == ["title", "owner"]


def test_log_follows_a_rename_by_id(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.remove("principles/HARM-01.yaml")
    repo.write("principles/harm_one.yaml", principle_yaml("HARM-01", "First wording."))
    repo.commit("old layout")
    repo.write("principles/harm_one.yaml", principle_yaml("HARM-01", "Second wording."))
    repo.commit("reword in the old file")
    repo.git("mv", "principles/harm_one.yaml", "principles/HARM-01.yaml")
    repo.commit("rename only")
    repo.remove("principles/HARM-01.yaml")
    repo.write("principles/H01.yaml", principle_yaml("HARM-01", "Third wording, new name."))
    repo.commit("rename and reword")
    entries = principle_log(repo.root, "HARM-01")
    assert summary(entries) == [
        ("rename and reword", ["reworded"]),
        ("rename only", []),
        ("reword in the old file", ["reworded"]),
        ("old layout", ["added"]),
    ]
    assert [(e.path_before, e.path) for e in entries[:2]] == [
        ("principles/HARM-01.yaml", "principles/H01.yaml"),
        ("principles/harm_one.yaml", "principles/HARM-01.yaml"),
    ]
    assert entries[3].path == "principles/harm_one.yaml"


def test_log_through_a_merge(repo: GitRepo) -> None:
    build_done_when(repo)
    repo.git("checkout", "-q", "-b", "side", "HEAD~2")
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", "Side wording."))
    repo.commit("side reword")
    repo.git("checkout", "-q", "main")
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", title="Main title"))
    repo.commit("main retitle")
    repo.git("merge", "-q", "--no-edit", "-X", "theirs", "side")
    entries = principle_log(repo.root, "HARM-01")
    subjects = [e.subject for e in entries]
    assert "side reword" in subjects and "main retitle" in subjects
    assert subjects[-1] == "Start the constitution"
    assert [e.date for e in entries] == sorted((e.date for e in entries), reverse=True)


def test_log_in_a_subfolder_and_from_another_ref(tmp_path: Path) -> None:
    big = GitRepo(tmp_path / "big", prefix="a/b")
    build_done_when(big)
    assert summary(principle_log(big.root, "HON-01", ref="HEAD~1")) == [("Start the constitution", ["added"])]
    assert [e.path for e in principle_log(big.root, "HARM-02")] == ["principles/HARM-02.yaml"] * 2


def test_log_bad_ref(repo: GitRepo) -> None:
    build_done_when(repo)
    with pytest.raises(RefError):
        principle_log(repo.root, "HARM-01", ref="-p")
    with pytest.raises(RefError):
        principle_log(repo.root, "HARM-01", ref="nope")


def test_priority_only_commit_before_the_principle_existed_is_not_a_move(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("base")
    repo.write("principles/constitution.yaml", constitution_yaml([*BASE_PRIORITY, "NEW-01"]))
    repo.commit("name it in priority first")
    repo.write("principles/NEW-01.yaml", principle_yaml("NEW-01"))
    repo.commit("then add the file")
    assert summary(principle_log(repo.root, "NEW-01")) == [("then add the file", ["added"])]


@pytest.mark.parametrize(
    "text",
    [
        "name: x\npriority:\n  - A-01\n  - B-02  # why\n\n  # tier 2\n  - C-03\ncritic:\n  model: m\n",
        "priority:\n- A-01\n- B-02\n",
        'name: x\npriority: [A-01, B-02]\nversion: "1"\n',
        "priority:\n  - A-01\n  - {odd: 1}\n",
        "priority: []\n",
        "critic:\n  priority: 3\npriority:\n  - Z-09\n",
    ],
)
def test_fast_priority_scan_agrees_with_yaml(text: str) -> None:
    from constitution_studio.core.history import _priority_fast
    from constitution_studio.core.yamldoc import load_fast

    fast = _priority_fast(text.encode())
    expected = load_fast(text)["priority"]
    assert fast is None or fast == expected  # None: falls back to the YAML parse
    if "[" not in text and "{" not in text:
        assert fast == expected
