"""`cstudio diff` and `cstudio log` on real temporary repositories; golden files for the renderers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from test_versions_gitrepo import (
    BASE_CASES,
    BASE_PRIORITY,
    GitRepo,
    build_done_when,
    constitution_yaml,
    principle_yaml,
)

from constitution_studio.cli import main
from constitution_studio.core.diff import structural_diff
from constitution_studio.core.report.diff_json import render_json
from constitution_studio.core.report.diff_markdown import render_markdown
from constitution_studio.core.report.diff_text import render_text
from constitution_studio.core.source import DirSource
from constitution_studio.core.workspace import load_workspace

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_done_when_json(repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    shas = build_done_when(repo)
    monkeypatch.chdir(repo.root)
    before = repo.snapshot()
    code, out, err = run(capsys, "diff", "HEAD~2", "HEAD", "--format", "json")
    assert repo.snapshot() == before
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["base"] == "HEAD~2" and data["head"] == "HEAD"
    assert data["base_commit"] == shas["base"] and data["head_commit"] == shas["head"]
    assert {p["id"]: p["changes"] for p in data["principles"]} == {
        "HELP-01": ["moved"],
        "HARM-02": ["reworded"],
        "PRIV-01": ["added"],
        "HON-01": ["removed"],
    }
    assert {c["id"]: c["changes"] for c in data["cases"]} == {"c-priv": ["added"], "c-honest": ["relinked"]}
    # log lists the commits that changed it
    code, out, _ = run(capsys, "log", "HARM-02")
    assert code == 0
    assert shas["reword"][:7] in out and shas["base"][:7] in out and shas["head"][:7] not in out
    assert repo.snapshot() == before


def test_defaults_head_against_worktree_and_exit_code(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    build_done_when(repo)
    monkeypatch.chdir(repo.root)
    code, out, _ = run(capsys, "diff", "--exit-code")
    assert code == 0 and "no differences" in out
    repo.write("principles/HARM-01.yaml", principle_yaml("HARM-01", "Edited in the work tree."))
    before = repo.snapshot()
    code, out, _ = run(capsys, "diff")
    assert code == 0 and "HARM-01  reworded" in out and "WORKTREE" in out
    assert "[-" in out and "{+" in out and "\x1b[" not in out  # captured stdout is no TTY
    assert run(capsys, "diff", "--exit-code")[0] == 1
    assert run(capsys, "diff", "HEAD", "WORKTREE", "--exit-code")[0] == 1
    assert repo.snapshot() == before


def test_color_always_and_no_color(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    build_done_when(repo)
    monkeypatch.chdir(repo.root)
    _, out, _ = run(capsys, "diff", "HEAD~2", "HEAD", "--color", "always")
    assert "\x1b[31m" in out and "\x1b[32m" in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run(capsys, "diff", "HEAD~2", "HEAD")
    assert "\x1b[" not in out


def test_root_in_a_subfolder_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = GitRepo(tmp_path / "big", prefix="policy")
    build_done_when(big)
    code, out, _ = run(capsys, "diff", "HEAD~2", "HEAD", "--root", str(big.root), "--format", "markdown")
    assert code == 0
    assert out.startswith("## Constitution diff: `HEAD~2")
    assert "~~respond to~~ **meet**" in out and "| HELP-01 | 4 → 1 |" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["diff", "no-such-ref"], "cstudio: bad ref: unknown ref 'no-such-ref'"),
        (["diff", "HEAD", "--", "--output=x"], "starts with '-'"),
        (["diff", "--", "-c"], "starts with '-'"),
        (["diff", "HEAD~99", "HEAD"], "unknown ref 'HEAD~99'"),
        (["log", "HARM-01", "--ref=-p"], "starts with '-'"),
        (["log", "harm:1"], "is not a principle ID"),  # harm_1 may be a team's ID; no file is named harm:1
        (["log", "harm_1"], "no principle harm_1"),
    ],
)
def test_bad_refs_exit_2_with_one_line(
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    expected: str,
) -> None:
    build_done_when(repo)
    monkeypatch.chdir(repo.root)
    before = repo.snapshot()
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err
    assert repo.snapshot() == before
    assert not (repo.root / "x").exists()


def test_usage_errors_exit_2(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build_done_when(repo)
    monkeypatch.chdir(repo.root)
    for argv in (["diff", "-x"], ["log", "HARM-01", "--ref", "--all"], ["diff", "a", "b", "c"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_root_outside_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain"
    repo = GitRepo(tmp_path / "tmpl")
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    subprocess.run(
        ["cp", "-r", str(repo.root / "principles"), str(repo.root / "eval_cases"), str(tmp_path)], check=True
    )
    plain.mkdir()
    subprocess.run(["mv", str(tmp_path / "principles"), str(tmp_path / "eval_cases"), str(plain)], check=True)
    code, _, err = run(capsys, "diff", "--root", str(plain))
    assert code == 2 and "not inside a git repository" in err and err.count("\n") == 1
    code, _, err = run(capsys, "log", "HARM-01", "--root", str(plain))
    assert code == 2 and "not inside a git repository" in err


def test_shallow_clone_says_to_fetch_full_depth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    origin = GitRepo(tmp_path / "origin")
    build_done_when(origin)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin.path}", str(clone)], check=True)
    code, _, err = run(capsys, "diff", "HEAD~2", "HEAD", "--root", str(clone))
    assert code == 2 and "git fetch --unshallow" in err and err.count("\n") == 1


def test_invalid_head_exits_2_invalid_base_warns(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.write("principles/HARM-02.yaml", "id: HARM-02\nstatement: [broken\n")
    repo.commit("broken")
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    repo.commit("fixed")
    monkeypatch.chdir(repo.root)
    code, out, err = run(capsys, "diff", "HEAD~1", "HEAD", "--format", "json")
    assert code == 0 and "warning: base HEAD~1 has 1 validation error;" in err  # the root cause only
    assert json.loads(out)["principles"][0]["changes"] == ["added"]
    code, out, err = run(capsys, "diff", "HEAD", "HEAD~1")
    assert code == 2 and out == "" and "principles/HARM-02.yaml" in err and "Traceback" not in err


def test_log_json_and_text(repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    shas = build_done_when(repo)
    monkeypatch.chdir(repo.root)
    code, out, _ = run(capsys, "log", "HELP-01", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "HELP-01"
    assert [(c["hash"], c["changes"]) for c in data["commits"]] == [
        (shas["reword"], ["moved"]),
        (shas["base"], ["added"]),
    ]
    assert data["commits"][0]["rank_before"] == 4 and data["commits"][0]["rank_after"] == 1
    code, out, _ = run(capsys, "log", "HELP-01")
    assert "moved (rank 4 -> 1)" in out
    code, out, err = run(capsys, "log", "NOPE-01")  # exists nowhere: bad input
    assert code == 2 and out == "" and err.count("\n") == 1 and "no principle NOPE-01" in err
    repo.write("principles/NEW-01.yaml", "id: NEW-01\ntitle: New\nstatement: Not committed yet.\n")
    code, out, err = run(capsys, "log", "NEW-01")  # only in the work tree: nothing to list, not an error
    assert code == 0 and out == "" and "no commit" in err


def test_other_commands_do_not_import_gitpython() -> None:
    code = "import sys; from constitution_studio.cli import build_parser; build_parser(); print('git' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_subprocess_never_prints_a_traceback(repo: GitRepo) -> None:
    build_done_when(repo)
    before = repo.snapshot()
    proc = subprocess.run(
        [sys.executable, "-m", "constitution_studio", "diff", "--", "--upload-pack=touch pwned"],
        cwd=repo.root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert not (repo.root / "pwned").exists()
    assert repo.snapshot() == before


# --- golden files -----------------------------------------------------------------------------


def golden_diff(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A diff with every kind, from two folders (no git), so the output is fully deterministic."""
    base_repo = GitRepo(tmp_path / "base")
    build_done_when(base_repo)
    head = GitRepo(tmp_path / "head")
    build_done_when(head)
    head.write(
        "principles/HARM-01.yaml",
        principle_yaml(
            "HARM-01", "The response must *never* give steps that help someone injure people.", owner="safety"
        ),
    )
    head.write("principles/HON-01.yaml", principle_yaml("HON-01"))
    (head.root / "eval_cases/cases.yaml").write_text(
        (head.root / "eval_cases/cases.yaml")
        .read_text()
        .replace("[HELP-01]\n    prompt: Prompt of c-honest", "[HELP-01, HARM-01]\n    prompt: Prompt of c-honest")
    )
    head.write(
        "principles/constitution.yaml",
        constitution_yaml(["HELP-01", "HARM-01", "HARM-02", "PRIV-01", "HON-01"]),
    )
    base_repo.git("checkout", "-q", "HEAD~2")
    base = load_workspace(DirSource(base_repo.root, "v1.0", parse_cache=False))
    new = load_workspace(DirSource(head.root, "v1.1", parse_cache=False))
    assert not new.errors
    return structural_diff(base, new, base_commit="1111111111111111111111111111111111111111")


@pytest.mark.parametrize(("name", "render"), [("diff_markdown.md", render_markdown), ("diff_json.json", render_json)])
def test_golden(tmp_path: Path, name: str, render) -> None:  # type: ignore[no-untyped-def]
    text = render(golden_diff(tmp_path))
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):  # UPDATE_GOLDEN=1 pytest ... rewrites them; review the diff
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_golden_text(tmp_path: Path) -> None:
    text = render_text(golden_diff(tmp_path), color=False)
    path = GOLDEN / "diff_text.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
