"""`cstudio review` (queue, --apply with validation and dry run) and `cstudio trust [--history]`,
on a throwaway repo scored by the tiny model."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from fixtures.shift_support import build_repo, git, reword_move_add

from constitution_studio.cli import main
from constitution_studio.core.workspace import load_root
from tests.fixtures.report_schema import check_report

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schema"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    return build_repo(tmp_path_factory.mktemp("reviewcli") / "repo", str(tiny_model_dir), head_edit=reword_move_add)


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    return root


def test_queue_json_has_schema_and_order(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--root", str(repo), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "cstudio.review/1"
    schema = json.loads((SCHEMAS / "review.report.schema.json").read_text())
    jsonschema.validate(data, schema)
    reasons = [item["reason"] for item in data["items"]]
    order = ["uncertain", "disagrees", "unstable", "conflict"]
    assert reasons == sorted(reasons, key=order.index)  # grouped in review order
    assert data["cases"] == 12 and data["unscored"] == 0
    # the only case without gold (mix-3) is in the queue as "uncertain"
    assert [i["case_id"] for i in data["items"] if i["reason"] == "uncertain"] == ["mix-3"]


def test_queue_text_and_cached_only(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--root", str(repo), "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("review queue: ")
    # a probability is always named (core/wording.py), never a bare number beside the opposite label
    assert "P(violates) " in out or "P(A) " in out
    assert not re.search(r"(violates|complies|A preferred|B preferred) +0\.\d\d", out)
    assert "gold (case): " in out or "no gold" in out
    # scored above, so the cache answers everything now
    assert main(["review", "--root", str(repo), "--cached-only", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["unscored"] == 0


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_apply_dry_run_then_write(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"case": "mix-3", "verdict": "complies", "reviewer": "Ada", "note": "harmless lock question"},
        {"case": "harm-1", "principle": None, "verdict": "violates"},  # unchanged: skipped
    ]
    verdicts = write_jsonl(tmp_path / "v.jsonl", rows)
    assert main(["review", "--root", str(repo), "--apply", str(verdicts), "--dry-run"]) == 0
    assert "would set mix-3: gold (case): none → complies (reviewer Ada)" in capsys.readouterr().out
    assert git(repo, "status", "--porcelain") == ""
    assert main(["review", "--root", str(repo), "--apply", str(verdicts), "--reviewer", "Bob"]) == 0
    diff = git(repo, "diff", "-U0")
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert any(line.startswith("+    gold: complies  # reviewed by Ada, ") for line in added)
    assert any("note: harmless lock question (reviewed by Ada" in line for line in added)
    assert not any(line.startswith("-") and not line.startswith("---") for line in diff.splitlines())
    assert load_root(repo).cases["mix-3"].gold == "complies"


def test_apply_replaces_gold_only_when_asked(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"case": "mix-3", "verdict": "complies"}, {"case": "harm-1", "verdict": "complies"}]
    verdicts = write_jsonl(tmp_path / "v.jsonl", rows)
    assert main(["review", "--root", str(repo), "--apply", str(verdicts), "--reviewer", "Ada"]) == 2
    err = capsys.readouterr().err
    assert f"{verdicts}:2: error: harm-1: gold (case): violates → complies (pass --replace" in err
    assert git(repo, "status", "--porcelain") == ""  # mix-3 was fine, and was not written either
    assert main(["review", "--root", str(repo), "--apply", str(verdicts), "--reviewer", "Ada", "--replace"]) == 0
    out = capsys.readouterr().out
    assert "set mix-3: gold (case): none → complies (reviewer Ada)" in out
    assert "replaced harm-1: gold (case): violates → complies (reviewer Ada)" in out
    ws = load_root(repo)
    assert ws.cases["harm-1"].gold == "complies" and ws.cases["mix-3"].gold == "complies"


def test_apply_refuses_a_bad_file_whole(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows: list[object] = [
        {"case": "mix-3", "verdict": "complies"},
        "not json",
        {"case": "pair-1", "verdict": "violates"},
        {"case": "nope", "verdict": "violates"},
        {"case": "harm-1", "principle": "HON-01", "verdict": "violates"},
        {"case": "hon-1", "verdict": "complies", "extra": 1},
        {"case": "mix-3", "verdict": "violates"},
    ]
    verdicts = write_jsonl(tmp_path / "bad.jsonl", rows)
    assert main(["review", "--root", str(repo), "--apply", str(verdicts)]) == 2
    err = capsys.readouterr().err
    assert f"{verdicts}:2: error: not JSON" in err
    assert f"{verdicts}:3: error: verdict 'violates' does not fit a pair case" in err
    assert f"{verdicts}:4: error: no case nope" in err
    assert f"{verdicts}:5: error: case harm-1 is not linked to HON-01" in err
    assert f"{verdicts}:6: error: unknown key `extra`" in err
    assert f"{verdicts}:7: error: a second verdict for mix-3" in err
    assert "nothing written" in err
    assert git(repo, "status", "--porcelain") == ""


def test_trust_now_and_history(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trust", "--root", str(repo), "--format", "json"]) == 0
    now = json.loads(capsys.readouterr().out)
    assert now["schema"] == "cstudio.trust/1" and now["overall"]["n"] == 11
    check_report(now)
    assert main(["trust", "--root", str(repo), "--history", "5", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "cstudio.trust-history/1"
    jsonschema.validate(data, json.loads((SCHEMAS / "trust-history.report.schema.json").read_text()))
    points = data["points"]
    assert [p["subject"] for p in points] == ["head", "base"]  # newest first
    assert points[0]["changed"] == ["principles", "gold", "priority"] and points[1]["changed"] == ["first"]
    assert points[0]["trust"]["overall"]["n"] == 11 and points[1]["trust"]["overall"]["n"] == 10
    assert {p["principle_id"] for p in points[0]["trust"]["principles"]} == {"HARM-01", "HON-01", "HELP-01"}
    assert main(["trust", "--root", str(repo), "--history", "--cached-only"]) == 0
    out = capsys.readouterr().out
    assert "over the last 2 commits" in out and "HARM-01" in out and "kappa" in out
    assert data["model_calls"] > 0  # the base's HARM-01 wording was not scored by the first call
    assert main(["trust", "--root", str(repo), "--history", "5", "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["model_calls"] == 0 and again["cached"] == again["requests"]  # only what is missing is scored
    assert again["points"] == data["points"]


def test_trust_history_bad_n(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trust", "--root", str(repo), "--history", "0"]) == 2


def test_trust_with_nothing_scored_says_so_and_moves_with_verdicts(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 11 gold cases, a cold cache: "nothing scored yet", never "add gold labels"
    assert main(["trust", "--root", str(repo), "--cached-only"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("trust: nothing scored yet — run without --cached-only (about ")
    assert "to measure the critic on 11 gold cases" in out
    assert "add gold labels" not in out and "label more cases" not in out
    assert main(["review", "--root", str(repo), "--cached-only"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("review queue: nothing scored yet — run without --cached-only (about ")
    # an uncommitted verdict: trust before → after, in text and JSON
    verdicts = write_jsonl(tmp_path / "v.jsonl", [{"case": "mix-3", "verdict": "complies"}])
    assert main(["review", "--root", str(repo), "--apply", str(verdicts), "--reviewer", "Ada"]) == 0
    capsys.readouterr()
    assert main(["trust", "--root", str(repo), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, json.loads((SCHEMAS / "trust.report.schema.json").read_text()))
    change = data["uncommitted"]
    assert change["changed"] == ["mix-3"] and change["ref"] == "HEAD"
    assert (change["before"]["n"], change["after"]["n"]) == (11, 12)
    assert data["gold_cases"] == 12 and data["unscored"] == 0 and data["answers_needed"] == 0
    assert main(["trust", "--root", str(repo), "--cached-only"]) == 0
    out = capsys.readouterr().out
    assert "trust with 1 uncommitted gold change (vs HEAD): " in out and "n 11 → 12" in out
