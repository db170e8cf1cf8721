"""Loading versions from git objects: refs, subfolders, bad refs, shallow clones, invalid old versions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_versions_gitrepo import (
    BASE_CASES,
    BASE_PRIORITY,
    GitRepo,
    build_done_when,
    constitution_yaml,
    principle_yaml,
)

from constitution_studio.core.source import WORKTREE
from constitution_studio.core.versions import (
    UNSHALLOW_HINT,
    GitSource,
    list_refs,
    load_version,
    load_versions,
    open_repo,
    read_principle_at,
    resolve_ref,
)
from constitution_studio.errors import RefError


def test_load_any_ref_without_touching_the_work_tree(repo: GitRepo) -> None:
    shas = build_done_when(repo)
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", "An uncommitted edit."))
    before = repo.snapshot()
    head = load_version(repo.root, "HEAD")
    older = load_version(repo.root, "HEAD~2")
    work = load_version(repo.root, WORKTREE)
    assert repo.snapshot() == before
    assert set(older.principles) == set(BASE_PRIORITY)
    assert "PRIV-01" in head.principles and "HON-01" not in head.principles
    assert head.principles["HARM-01"].statement != "An uncommitted edit."
    assert work.principles["HARM-01"].statement == "An uncommitted edit."
    assert head.label == "HEAD" and work.label == WORKTREE
    assert not head.errors and not older.errors
    assert resolve_ref(repo.root, "HEAD~2") == shas["base"]
    assert resolve_ref(repo.root, "main") == shas["head"]
    assert resolve_ref(repo.root, shas["reword"][:10]) == shas["reword"]


def test_tags_branches_and_list_refs(repo: GitRepo) -> None:
    shas = build_done_when(repo)
    repo.git("tag", "-a", "v1", "-m", "release", shas["base"])
    repo.git("branch", "feature", shas["reword"])
    assert resolve_ref(repo.root, "v1") == shas["base"]  # annotated tag peeled to its commit
    assert resolve_ref(repo.root, "feature") == shas["reword"]
    refs = list_refs(repo.root, limit=2)
    kinds = [(r.kind, r.name) for r in refs]
    assert kinds[0] == ("worktree", WORKTREE)
    assert ("branch", "main") in kinds and ("branch", "feature") in kinds and ("tag", "v1") in kinds
    tag = next(r for r in refs if r.name == "v1")
    assert tag.sha == shas["base"]
    commits = [r for r in refs if r.kind == "commit"]
    assert [c.sha for c in commits] == [shas["head"], shas["reword"]]
    assert commits[0].subject == "Drop HON-01, add PRIV-01"


def test_subfolder_layout(tmp_path: Path) -> None:
    big = GitRepo(tmp_path / "big", prefix="policy/constitution")
    big.write("../../README.md", "a bigger project\n")
    shas = build_done_when(big)
    ws = load_version(big.root, "HEAD~2")
    assert set(ws.principles) == set(BASE_PRIORITY)
    assert ws.principle_paths["HARM-01"] == "principles/HARM-01.yaml"
    assert resolve_ref(big.root, "HEAD") == shas["head"]
    with open_repo(big.root) as loc:
        assert loc.prefix == "policy/constitution"


def test_subfolder_missing_at_an_old_commit(tmp_path: Path) -> None:
    big = GitRepo(tmp_path / "big", prefix="sub")
    big.write("../other.txt", "x\n")
    big.commit("before the constitution existed")
    build_done_when(big)
    ws = load_version(big.root, "HEAD~3")
    assert ws.principles == {} and any(f.code == "missing-constitution" for f in ws.errors)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("no-such-branch", "unknown ref 'no-such-branch'"),
        ("HEAD~40", "unknown ref 'HEAD~40'"),
        ("-c", "starts with '-'"),
        ("--output=/tmp/x", "starts with '-'"),
        ("", "empty ref"),
        ("HEAD\nmain", "control characters"),
        (WORKTREE, "not a commit"),
        ("HEAD:principles", "unknown ref"),
    ],
)
def test_bad_refs_are_one_clear_line(repo: GitRepo, ref: str, expected: str) -> None:
    build_done_when(repo)
    with pytest.raises(RefError) as info:
        resolve_ref(repo.root, ref)
    line = info.value.one_line()
    assert expected in line and "\n" not in line
    if ref != WORKTREE:
        with pytest.raises(RefError):
            load_version(repo.root, ref)


def test_root_outside_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    (plain / "principles").mkdir(parents=True)
    (plain / "principles" / "constitution.yaml").write_text(constitution_yaml([]))
    with pytest.raises(RefError, match="not inside a git repository"):
        load_version(plain, "HEAD")
    assert load_version(plain, WORKTREE).constitution is not None  # the work tree needs no git


def test_shallow_clone_missing_the_base(tmp_path: Path) -> None:
    origin = GitRepo(tmp_path / "origin")
    shas = build_done_when(origin)
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{origin.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    assert resolve_ref(clone, "HEAD") == shas["head"]
    for ref in ("HEAD~2", shas["base"]):
        with pytest.raises(RefError) as info:
            resolve_ref(clone, ref)
        assert UNSHALLOW_HINT in info.value.one_line()


def test_invalid_old_version_is_findings_not_a_crash(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.write("principles/HARM-02.yaml", "id: HARM-02\ntitle: [unclosed\n")
    repo.write("principles/HON-01.yaml", principle_yaml("HON-01", '" "'))
    (repo.root / "eval_cases/bad.yaml").write_bytes(b"cases: \xff\xfe\n")
    repo.commit("broken")
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.remove("eval_cases/bad.yaml")
    repo.commit("fixed")
    old = load_version(repo.root, "HEAD~1")
    codes = {f.code for f in old.errors}
    assert {"yaml-syntax", "empty-statement", "not-utf8"} <= codes
    syntax = next(f for f in old.errors if f.code == "yaml-syntax")
    assert syntax.path == "principles/HARM-02.yaml" and syntax.line in (2, 3)
    assert not load_version(repo.root, "HEAD").errors


def test_read_principle_at(repo: GitRepo) -> None:
    build_done_when(repo)
    assert read_principle_at(repo.root, "HEAD~2", "HON-01") is not None
    assert read_principle_at(repo.root, "HEAD", "HON-01") is None
    reworded = read_principle_at(repo.root, "HEAD", "HARM-02")
    assert reworded is not None and "warmth" in reworded.statement
    repo.write("principles/HARM-02.yaml", principle_yaml("HARM-02", "Work tree wording."))
    got = read_principle_at(repo.root, WORKTREE, "HARM-02")
    assert got is not None and got.statement == "Work tree wording."


def test_read_principle_at_finds_a_file_with_another_name(repo: GitRepo) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.remove("principles/HARM-01.yaml")
    repo.write("principles/harm_one.yaml", principle_yaml("HARM-01", "Old layout."))
    repo.commit("old layout")
    got = read_principle_at(repo.root, "HEAD", "HARM-01")
    assert got is not None and got.statement == "Old layout."


def test_two_versions_share_one_repository_and_give_commits(repo: GitRepo) -> None:
    shas = build_done_when(repo)
    base, head, base_sha, head_sha = load_versions(repo.root, "HEAD~2", WORKTREE)
    assert base_sha == shas["base"] and head_sha is None
    assert base.label == "HEAD~2" and head.label == WORKTREE


def test_git_source_lists_and_fingerprints_blobs(repo: GitRepo) -> None:
    build_done_when(repo)
    repo.write("principles/notes.txt", "not yaml\n")
    repo.write("principles/sub/nested.yaml", "id: X\n")
    repo.commit("extra files")
    with open_repo(repo.root) as loc:
        sha = resolve_ref(repo.root, "HEAD")
        src = GitSource(loc, sha, "HEAD")
        files = src.list_yaml("principles")
        assert "principles/sub/nested.yaml" not in files and "principles/notes.txt" not in files
        assert "principles/constitution.yaml" in files
        blob = repo.git("rev-parse", f"{sha}:principles/HARM-01.yaml").strip()
        assert src.fingerprint("principles/HARM-01.yaml") == blob
        assert src.read("principles/missing.yaml") is None and src.fingerprint("principles/missing.yaml") is None
        assert src.read("principles/HARM-01.yaml") == (repo.root / "principles/HARM-01.yaml").read_bytes()
        assert src.list_yaml("nowhere") == []


def test_merge_commit_is_a_version(repo: GitRepo) -> None:
    build_done_when(repo)
    repo.git("checkout", "-q", "-b", "side", "HEAD~1")
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", "Side branch wording."))
    repo.commit("side edit")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-edit", "side")
    ws = load_version(repo.root, "HEAD")
    assert ws.principles["HARM-01"].statement == "Side branch wording."
    assert "PRIV-01" in ws.principles
    assert load_version(repo.root, "HEAD^2").principles.keys() >= {"HON-01"}


def test_parse_cache_lives_in_the_git_dir_and_survives_corruption(repo: GitRepo) -> None:
    from constitution_studio.core import gitobjects

    build_done_when(repo)
    before = repo.snapshot()
    first = load_version(repo.root, "HEAD~2")
    packs = sorted((repo.path / ".git" / "cstudio" / "trees").glob("*.marshal"))
    assert len(packs) == 2  # principles/ and eval_cases/ trees of that commit
    gitobjects._CACHES.clear()  # as a new process would start
    again = load_version(repo.root, "HEAD~2")
    assert again.principles == first.principles and again.cases == first.cases
    for pack in packs:
        pack.write_bytes(b"not marshal")
    gitobjects._CACHES.clear()
    third = load_version(repo.root, "HEAD~2")
    assert third.principles == first.principles
    assert repo.snapshot() == before
