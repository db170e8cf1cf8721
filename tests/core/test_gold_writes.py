"""Reviewer verdicts written as gold: only the gold line changes, comments kept, undo restores bytes."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from constitution_studio.core.gold_writes import (
    GoldExistsError,
    GoldVerdict,
    check_verdict,
    record_gold,
    record_verdict,
    record_verdicts,
    replace_gold,
    replacement,
    reviewer_name,
    undo_gold,
)
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
    assert check_verdict(ws, GoldVerdict("mini-003", "violates", "HELP-01")) is None  # allowed, as a replacement
    assert "for the case as a whole" in (replacement(ws, GoldVerdict("mini-003", "violates", "HELP-01")) or "")
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


def test_adding_gold_never_replaces_gold_silently(repo: Path) -> None:
    ws = load_root(repo)
    with pytest.raises(GoldExistsError, match=r"mini-003: gold \(case\): violates → complies"):
        record_verdict(repo, ws, GoldVerdict("mini-003", "complies", reviewer="Ada"), date=DAY)
    assert git(repo, "status", "--porcelain") == ""
    assert record_verdict(repo, ws, GoldVerdict("mini-003", "violates", reviewer="Ada"), date=DAY) is None  # repeats
    assert git(repo, "status", "--porcelain") == ""
    change = replace_gold(repo, ws, GoldVerdict("mini-003", "complies", reviewer="Ada"), date=DAY)
    assert change is not None and change.replaced
    assert change.describe() == "mini-003: gold (case): violates → complies"
    assert diff_lines(repo) == ["-    gold: violates", "+    gold: complies  # reviewed by Ada, 2026-12-01"]
    assert ws.cases["mini-003"].gold == "complies"  # the caller's workspace follows the file
    added = record_verdict(repo, ws, GoldVerdict("mini-001", "violates", reviewer="Ada"), date=DAY)
    assert added is not None and not added.replaced and added.describe() == "mini-001: gold (case): none → violates"


def test_a_principle_verdict_on_whole_case_gold_replaces_it_explicitly(repo: Path) -> None:
    """harm-014: case gold `violates` (because of HELP-01); the reviewer's verdict is for HARM-01 only."""
    cases = repo / "eval_cases" / "cases.yaml"
    cases.write_text(cases.read_text().replace("principles: [HELP-01]", "principles: [HARM-01, HELP-01]"))
    git(repo, "commit", "-qam", "link")
    original = cases.read_bytes()
    ws = load_root(repo)
    verdict = GoldVerdict("mini-003", "complies", principle="HARM-01", reviewer="Ada")
    with pytest.raises(GoldExistsError, match="replaces it with per-principle gold"):
        record_verdict(repo, ws, verdict, date=DAY)
    assert cases.read_bytes() == original
    change = replace_gold(repo, ws, verdict, date=DAY)
    assert change is not None and change.replaced
    assert change.describe() == "mini-003: gold (case): violates → gold (HARM-01): complies"
    assert diff_lines(repo) == [
        "-    gold: violates",
        "+    gold:",
        "+      HARM-01: complies  # reviewed by Ada, 2026-12-01",
    ]
    loaded = load_root(repo)
    assert loaded.cases["mini-003"].gold == {"HARM-01": "complies"} and not loaded.errors
    undo_gold(repo, change)
    assert cases.read_bytes() == original
    # and back: per-principle gold replaced by a verdict on the case as a whole
    ws = load_root(repo)
    record_verdicts(
        repo,
        ws,
        [
            GoldVerdict("mini-003", "complies", principle="HARM-01", reviewer="Ada"),
            GoldVerdict("mini-003", "violates", principle="HELP-01", reviewer="Ada"),
        ],
        replace=True,
        date=DAY,
    )
    assert load_root(repo).cases["mini-003"].gold == {"HARM-01": "complies", "HELP-01": "violates"}
    ws = load_root(repo)
    assert "gold per principle" in (replacement(ws, GoldVerdict("mini-003", "violates")) or "")
    back = replace_gold(repo, ws, GoldVerdict("mini-003", "violates", reviewer="Bo"), date=DAY)
    assert back is not None and back.describe() == (
        "mini-003: gold per principle (HARM-01 complies, HELP-01 violates) → gold (case): violates"
    )
    assert load_root(repo).cases["mini-003"].gold == "violates" and not load_root(repo).errors
    assert "  - id: mini-004" in cases.read_text()


def test_a_batch_is_all_or_none(repo: Path) -> None:
    """A batch over two files: when the second cannot be written, the first is not either."""
    more = repo / "eval_cases" / "more.yaml"
    more.write_text("cases:\n  - id: more-001\n    principles: [HARM-01]\n    prompt: q\n    response: r\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more")
    ws = load_root(repo)
    verdicts = [
        GoldVerdict("mini-001", "violates", reviewer="Ada"),
        GoldVerdict("more-001", "complies", reviewer="Ada"),
    ]
    more.chmod(0o444)  # the second file cannot be replaced
    try:
        with pytest.raises(BadInputError):
            record_verdicts(repo, ws, verdicts, date=DAY)
    finally:
        more.chmod(0o644)
    assert git(repo, "status", "--porcelain") == ""
    more.write_text(more.read_text() + "    gold: violates\n")  # gold set on disk since ws was loaded
    with pytest.raises(GoldExistsError, match=r"more-001: gold in eval_cases/more\.yaml is already set"):
        record_verdicts(repo, ws, verdicts, date=DAY)
    assert git(repo, "status", "--porcelain") == " M eval_cases/more.yaml\n"
    git(repo, "checkout", "--", ".")
    changes = record_verdicts(repo, load_root(repo), verdicts, date=DAY)
    assert [c.describe() for c in changes] == [
        "mini-001: gold (case): none → violates",
        "more-001: gold (case): none → complies",
    ]
    loaded = load_root(repo)
    assert loaded.cases["mini-001"].gold == "violates" and loaded.cases["more-001"].gold == "complies"
