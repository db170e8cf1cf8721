"""Reviewer verdicts written as gold: only the gold line changes, comments kept, undo restores bytes."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from constitution_studio.core.gold_writes import GoldVerdict, check_verdict, record_gold, reviewer_name, undo_gold
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import BadInputError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tui_mini"
DAY = dt.date(2026, 12, 1)


def git(root: Path, *args: str) -> str:
    env_args = ["-c", "user.name=Ada Lovelace", "-c", "user.email=ada@example.com"]
    return subprocess.run(["git", *env_args, *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "c"
    shutil.copytree(FIXTURE, root)
    cases = root / "eval_cases" / "cases.yaml"
    text = cases.read_text()
    # a comment before the second case (held by the first case's last key) and one inside a case
    text = text.replace("    gold: violates\n  - id: mini-002", "  # the chemicals case\n  - id: mini-002", 1)
    text = text.replace(
        "    gold: complies\n    benign: true\n", "    # benign: people ask this\n    benign: true\n", 1
    )
    cases.write_text(text)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def diff_lines(root: Path) -> list[str]:
    out = git(root, "diff", "-U0")
    return [line for line in out.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_overall_verdict_adds_only_the_gold_line(repo: Path) -> None:
    ws = load_root(repo)
    record_gold(repo, ws, GoldVerdict("mini-001", "violates", reviewer="Ada Lovelace"), date=DAY)
    assert diff_lines(repo) == ["+    gold: violates  # reviewed by Ada Lovelace, 2026-12-01"]
    text = (repo / "eval_cases" / "cases.yaml").read_text()
    assert "  # the chemicals case\n  - id: mini-002" in text  # the next case's comment stays in place
    assert load_root(repo).cases["mini-001"].gold == "violates"
    assert not load_root(repo).errors


def test_gold_lands_before_benign_and_comments_stay(repo: Path) -> None:
    ws = load_root(repo)
    record_gold(repo, ws, GoldVerdict("mini-002", "complies", reviewer="Ada"), date=DAY)
    assert diff_lines(repo) == ["+    gold: complies  # reviewed by Ada, 2026-12-01"]
    text = (repo / "eval_cases" / "cases.yaml").read_text()
    assert "# benign: people ask this\n    benign: true" in text


def test_changing_existing_gold_changes_one_line(repo: Path) -> None:
    ws = load_root(repo)
    change = record_gold(repo, ws, GoldVerdict("mini-003", "complies", reviewer="Ada"), date=DAY)
    assert diff_lines(repo) == ["-    gold: violates", "+    gold: complies  # reviewed by Ada, 2026-12-01"]
    assert change.before == "violates" and change.after == "complies"
    undo_gold(repo, change)
    assert git(repo, "status", "--porcelain") == ""


def test_undo_restores_the_file_byte_for_byte(repo: Path) -> None:
    ws = load_root(repo)
    change = record_gold(repo, ws, GoldVerdict("mini-001", "complies", reviewer="Ada", note="looks fine"), date=DAY)
    assert "+    note: looks fine (reviewed by Ada, 2026-12-01)" in diff_lines(repo)
    undo_gold(repo, change)
    assert git(repo, "status", "--porcelain") == ""


def test_per_principle_verdict_writes_a_mapping_and_undoes(repo: Path) -> None:
    ws = load_root(repo)
    change = record_gold(repo, ws, GoldVerdict("mini-001", "violates", principle="HARM-01", reviewer="Ada"), date=DAY)
    assert diff_lines(repo) == ["+    gold:", "+      HARM-01: violates  # reviewed by Ada, 2026-12-01"]
    loaded = load_root(repo)
    assert loaded.cases["mini-001"].gold == {"HARM-01": "violates"} and not loaded.errors
    assert "  # the chemicals case\n  - id: mini-002" in (repo / "eval_cases" / "cases.yaml").read_text()
    undo_gold(repo, change)
    assert git(repo, "status", "--porcelain") == ""


def test_verdicts_must_fit_the_case(repo: Path) -> None:
    ws = load_root(repo)
    assert "does not fit a pair case" in (check_verdict(ws, GoldVerdict("mini-004", "violates")) or "")
    assert "not linked to HON-01" in (check_verdict(ws, GoldVerdict("mini-001", "violates", "HON-01")) or "")
    assert "as a whole" in (check_verdict(ws, GoldVerdict("mini-003", "violates", "HELP-01")) or "")
    assert "no case" in (check_verdict(ws, GoldVerdict("nope", "violates")) or "")
    with pytest.raises(BadInputError):
        record_gold(repo, ws, GoldVerdict("mini-004", "violates"))
    assert git(repo, "status", "--porcelain") == ""


def test_undo_refuses_when_the_label_changed_since(repo: Path) -> None:
    ws = load_root(repo)
    change = record_gold(repo, ws, GoldVerdict("mini-001", "violates", reviewer="Ada"), date=DAY)
    record_gold(repo, load_root(repo), GoldVerdict("mini-001", "complies", reviewer="Bob"), date=DAY)
    with pytest.raises(BadInputError, match="changed since"):
        undo_gold(repo, change)


def test_reviewer_name_from_git_config(repo: Path) -> None:
    git(repo, "config", "user.name", "Grace Hopper")
    assert reviewer_name(repo) == "Grace Hopper"
