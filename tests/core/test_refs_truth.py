"""Refs and history that tell the truth (issue 18, item 6): `WORKTREE` never silently means one
of two things, a symlinked file reads the same at a ref as on disk, a merge's own wording is in
the log, and a case linked twice to one principle is a finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_versions_gitrepo import BASE_CASES, BASE_PRIORITY, GitRepo, cases_yaml, principle_yaml

from constitution_studio.core.diff import structural_diff
from constitution_studio.core.history import principle_log
from constitution_studio.core.source import WORKTREE, DirSource
from constitution_studio.core.versions import diff_refs, load_version, load_versions, read_principle_at
from constitution_studio.core.workspace import load_workspace
from constitution_studio.errors import RefError

# --- WORKTREE: a branch or tag of that name is an ambiguity, named -------------------------


@pytest.mark.parametrize("kind", ["branch", "tag"])
def test_a_ref_named_worktree_is_an_error_naming_both(repo: GitRepo, kind: str) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("base")
    repo.git(kind, "WORKTREE")
    name = f"refs/{'heads' if kind == 'branch' else 'tags'}/WORKTREE"
    for call in (
        lambda: diff_refs(repo.root, "main", WORKTREE),
        lambda: load_version(repo.root, WORKTREE),
        lambda: load_versions(repo.root, WORKTREE, WORKTREE),
        lambda: read_principle_at(repo.root, WORKTREE, "HARM-01"),
    ):
        with pytest.raises(RefError) as err:
            call()
        assert "ambiguous" in err.value.message and "work tree" in err.value.message
        assert f"the {kind} {name}" in err.value.message
    # the branch itself stays readable under its full name
    assert load_version(repo.root, name).principles.keys() == set(BASE_PRIORITY)


def test_worktree_alone_is_fine_in_and_out_of_a_repository(repo: GitRepo, tmp_path: Path) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("base")
    repo.git("branch", "WORKTREES")  # a longer name is no clash
    assert set(load_version(repo.root, WORKTREE).principles) == set(BASE_PRIORITY)
    plain = tmp_path / "plain"
    (plain / "principles").mkdir(parents=True)
    assert load_version(plain, WORKTREE).label == WORKTREE


# --- a symlinked file inside the root reads the same at a ref as on disk -------------------


def test_symlinked_files_inside_the_root_read_the_same_at_a_ref(repo: GitRepo) -> None:
    """`main` has plain files; the next commit keeps the same files in `shared/`, linked in."""
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("plain layout")
    repo.write("shared/cases.yaml", cases_yaml(BASE_CASES))
    repo.remove("eval_cases/cases.yaml")
    (repo.root / "eval_cases" / "cases.yaml").symlink_to("../shared/cases.yaml")
    repo.write("shared/HON-01.yaml", principle_yaml("HON-01"))
    repo.remove("principles/HON-01.yaml")
    (repo.root / "principles" / "HON-01.yaml").symlink_to("../shared/HON-01.yaml")
    repo.commit("linked layout")
    on_disk = load_workspace(DirSource(repo.root))
    at_head = load_version(repo.root, "HEAD")
    assert len(on_disk.cases) == len(at_head.cases) == 4
    assert at_head.principles["HON-01"] == on_disk.principles["HON-01"]
    assert [f.code for f in at_head.findings] == [f.code for f in on_disk.findings]
    diff, _, _ = diff_refs(repo.root, "HEAD~1", "HEAD")
    assert not diff.cases and not diff.principles  # nothing "removed"
    assert not structural_diff(on_disk, at_head).cases


def test_a_symlinked_principles_folder_inside_the_root_is_followed_at_a_ref(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    (repo.root / "principles").rename(repo.root / "v2")
    (repo.root / "principles").symlink_to("v2")
    repo.commit("principles live in v2/")
    at_head = load_version(repo.root, "HEAD")
    assert set(at_head.principles) == set(BASE_PRIORITY) and not at_head.errors


def test_a_symlink_out_of_the_root_is_refused_at_a_ref_as_on_disk(repo: GitRepo, tmp_path: Path) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    (repo.root / "principles" / "LEAK-01.yaml").symlink_to("/etc/hostname")
    (repo.root / "principles" / "GONE-01.yaml").symlink_to("GONE-02.yaml")
    repo.commit("links out and dangling")
    on_disk = load_workspace(DirSource(repo.root))
    at_head = load_version(repo.root, "HEAD")
    by = lambda ws: sorted((f.path, f.code) for f in ws.findings if f.path.startswith("principles/"))  # noqa: E731
    assert by(at_head) == by(on_disk)
    assert ("principles/LEAK-01.yaml", "outside-root") in by(at_head)
    assert ("principles/GONE-01.yaml", "unreadable-file") in by(at_head)


def test_a_symlinked_folder_out_of_the_root_is_one_finding_at_a_ref(tmp_path: Path) -> None:
    big = GitRepo(tmp_path / "big", prefix="team")
    big.write_constitution(BASE_PRIORITY, BASE_CASES)
    big.write("../elsewhere/cases.yaml", cases_yaml(BASE_CASES))
    (big.root / "eval_cases" / "cases.yaml").unlink()
    (big.root / "eval_cases").rmdir()
    (big.root / "eval_cases").symlink_to("../elsewhere")
    big.commit("cases outside the constitution root")
    on_disk = load_workspace(DirSource(big.root))
    at_head = load_version(big.root, "HEAD")
    assert [(f.path, f.code) for f in at_head.findings if f.path.startswith("eval_cases")] == [
        ("eval_cases", "outside-root")
    ]
    assert [(f.path, f.code) for f in on_disk.findings] == [(f.path, f.code) for f in at_head.findings]


# --- log ID: a merge's own wording --------------------------------------------------------


def test_log_lists_a_merge_that_rewords_the_principle(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", "Side wording."))
    repo.commit("side reword")
    repo.git("checkout", "-q", "main")
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", "Main wording."))
    repo.commit("main reword")
    repo.git("merge", "-q", "--no-edit", "-s", "ours", "side")  # a merge commit, then its own wording
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", "Merged wording, neither side's."))
    repo.git("add", "-A")
    repo.git("commit", "-q", "--amend", "--no-edit", "-m", "merge side, new wording")
    entries = principle_log(repo.root, "HARM-01")
    merge = entries[0]
    assert merge.subject == "merge side, new wording" and merge.changes == ["reworded"]
    assert merge.hash == repo.git("rev-parse", "HEAD").strip()
    assert {e.subject for e in entries} >= {"side reword", "main reword", "base"}
    # a merge that takes one side's wording is listed through that side's commit only
    assert [e.subject for e in principle_log(repo.root, "HARM-02")] == ["base"]
