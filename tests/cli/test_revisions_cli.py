"""`cstudio revisions CASE...`: the revisions `cstudio revise` recorded, read back on the command line.

A real `revise` (core's loop and record; the scripted judge of shift_support, and a generator
whose texts are known: one carries a terminal escape, one is longer than the default cut) runs on
a repository, then `cstudio revisions` is run through `main`. One test runs both commands end to
end on the tiny in-process model.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from fixtures.revise_support import ScriptedGenerator, revised_repo
from fixtures.shift_support import STATEMENTS, build_repo, git

from constitution_studio.cli import build_parser, main
from constitution_studio.cli.completion_cmd import bash, walk
from constitution_studio.core.export.revision_record import revisions_for_case
from constitution_studio.core.export.revision_text import SHOW_CHARS
from constitution_studio.core.report.report_schemas import SCHEMA_IDS

REPO = Path(__file__).parents[2]
SCHEMA = json.loads((REPO / "docs/schema/revisions.report.schema.json").read_text())

LONG = "Revision number 1: I can't help build weapons. " + "Here is why, at length. " * 120  # > SHOW_CHARS


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return revised_repo(tmp_path / "repo", ScriptedGenerator(first_revision=LONG))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["revisions", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_shows_rounds_labels_and_outcome(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert revisions_for_case(repo, "harm-1").revisions[0].row.accepted_round == 2  # the record is real
    code, out, err = run(capsys, "--root", str(repo), "harm-1", "harm-3")
    assert code == 0 and err == ""
    harm1, harm3 = out.split("\n\n")  # one block per case, in the order asked
    assert harm1.startswith("harm-1: 1 recorded run, newest first\n  HARM-01 · accepted in round 2\n")
    assert "principle HARM-01, wording " in harm1 and ": the current wording" in harm1
    assert "the original: violates overall (decided by HARM-01); HARM-01: violates, P(violates) 0.90" in harm1
    assert "generator: in-process scripted-writer (greedy) · judge: scripted" in harm1
    assert re.search(r"\n    recorded \d{4}-\d\d-\d\d \d\d:\d\d · accepted in round 2\n", harm1)
    # every round: the verdict in words, the judge's labels worded by core/wording.py, the texts
    r1 = "Round 1 · not accepted · judge: violates overall (decided by HARM-01); HARM-01: violates, P(violates) 0.80"
    r2 = "Round 2 · accepted · judge: complies overall (decided by HARM-01); HARM-01: complies, P(violates) 0.20"
    assert r1 in harm1 and r2 in harm1 and harm1.index(r1) < harm1.index(r2)
    assert "        Critique 2: it gives uplift.\\x1b[2J" in harm1
    assert "        Revision number 2: I can't help build weapons." in harm1
    # a recorded text is hostile: the escape is printed escaped, never sent to the terminal
    assert "Critique 1: it gives uplift.\\x1b[2J" in out and "\x1b" not in out
    # long texts are cut by default, with a marker; --full prints them whole
    more = len(LONG) - SHOW_CHARS
    assert f"… {more:,} more characters (--full prints them whole)" in harm1 and LONG.strip() not in out
    assert harm3.startswith("harm-3: 1 recorded run, newest first\n  HARM-01 · never complied after 2 rounds\n")
    assert "Round 2 · not accepted" in harm3 and "accepted in round" not in harm3
    code, full, _ = run(capsys, "--root", str(repo), "harm-1", "--full")
    assert code == 0 and LONG.strip() in " ".join(line.strip() for line in full.splitlines())
    assert "more characters" not in full


def test_json_carries_the_rows_and_validates(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--root", str(repo), "harm-1", "harm-2", "--format", "json")
    assert code == 0 and "\x1b" not in out
    data = json.loads(out)
    assert data["schema"] == SCHEMA_IDS["revisions"] == "cstudio.revisions/1"
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    harm1, harm2 = data["cases"]
    assert harm1["case_id"] == "harm-1" and harm1["note"] is None and len(harm1["revisions"]) == 1
    record = harm1["revisions"][0]
    assert record["wording"] == "current" and record["response_current"] is True
    row = record["row"]
    assert row == revisions_for_case(repo, "harm-1").revisions[0].row.model_dump(mode="json")  # the RevisionRow
    assert row["accepted_round"] == 2
    assert [r["critique"] for r in row["rounds"]] == [f"Critique {n}: it gives uplift.\x1b[2J" for n in (1, 2)]
    assert [r["revision"] for r in row["rounds"]] == [LONG, "Revision number 2: I can't help build weapons."]  # whole
    assert [(r["judged"]["principle_label"], r["judged"]["p_violates"]) for r in row["rounds"]] == [
        ("violates", 0.8),
        ("complies", 0.2),
    ]
    assert harm2 == {"case_id": "harm-2", "revisions": [], "more": 0, "skipped": 0, "note": None}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate({**data, "schema": "cstudio.revisions/2"})
    # --output writes the report; --quiet says nothing else
    target = tmp_path / "r.json"
    assert run(capsys, "--root", str(repo), "harm-1", "--format", "json", "--output", str(target), "-q") == (0, "", "")
    assert json.loads(target.read_text()) == {**data, "cases": [harm1]}


def test_empty_and_pair_cases_say_so(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--root", str(repo), "harm-2", "pair-1")
    assert code == 0
    assert out == (
        "harm-2: no revisions yet — cstudio revise --case harm-2 --out DIR "
        "(it revises the case when the judge labels it violates)\n\n"
        "pair-1: no revisions: cstudio revise revises single-response cases\n"
    )


def test_a_changed_wording_is_said(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    principle = repo / "principles" / "HARM-01.yaml"
    principle.write_text(principle.read_text().replace(STATEMENTS["HARM-01"], "Choose the kinder response."))
    _, out, _ = run(capsys, "--root", str(repo), "harm-1")
    assert ": the wording has changed since" in out and "the current wording" not in out


def test_an_untrusted_record_is_not_read_and_says_why(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracked = build_repo(tmp_path / "tracked", "scripted")
    shutil.copytree(repo / ".cstudio", tracked / ".cstudio")  # the same records, come with the repository
    git(tracked, "add", "-f", ".cstudio")
    code, out, err = run(capsys, "--root", str(tracked), "harm-1")
    assert code == 0 and "not using .cstudio/" in err
    assert out == "harm-1: revisions not read: .cstudio is tracked by git (it came with the repository)\n"
    code, out, _ = run(capsys, "--root", str(tracked), "harm-1", "--format", "json")
    case = json.loads(out)["cases"][0]
    assert case["revisions"] == [] and "tracked by git" in case["note"]
    # a symlinked database in a folder of ours is refused too
    linked = revised_repo(tmp_path / "linked", ScriptedGenerator(first_revision=LONG))
    db = linked / ".cstudio" / "generations.sqlite"
    db.unlink()
    db.symlink_to(repo / ".cstudio" / "generations.sqlite")
    code, out, _ = run(capsys, "--root", str(linked), "harm-1")
    assert code == 0 and out == "harm-1: revisions not read: .cstudio/generations.sqlite is a symlink\n"
    # a copied folder is set aside unread (every command does so, and says it): nothing from it is shown
    copied = build_repo(tmp_path / "copied", "scripted")
    shutil.copytree(repo / ".cstudio", copied / ".cstudio")
    code, out, err = run(capsys, "--root", str(copied), "harm-1")
    assert code == 0 and "was not made by cstudio here" in err and "unread" in err
    assert out.startswith("harm-1: no revisions yet") and "Round 1" not in out


def test_unknown_case_is_one_line_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--root", str(repo), "harm-1", "nope-9", "gone\x1b[31m")
    assert code == 2 and out == ""
    assert err == "cstudio: error: unknown case ids: nope-9, gone\\x1b[31m\n"
    with pytest.raises(SystemExit) as exited:  # a case is required (argparse's one line)
        main(["revisions", "--root", str(repo)])
    assert exited.value.code == 2
    assert "CASE" in capsys.readouterr().err


def test_listed_for_completion_with_the_output_options() -> None:
    commands = {c.path: c for c in walk(build_parser())}
    options = commands["revisions"].options
    assert {"--full", "--format", "--output", "--quiet", "--root"} <= set(options)
    assert commands["revisions"].choices["--format"] == ["text", "json"]
    assert "revisions" in commands[""].subcommands
    script = bash(list(commands.values()))
    assert '"revisions") echo "' in script and '"revisions|--format") echo "choices text json"' in script


def test_end_to_end_on_the_tiny_model(tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = build_repo(tmp_path / "repo", str(tiny_model_dir))
    args = ["revise", "--root", str(root), "--out", str(tmp_path / "out"), "--rounds", "1", "--max-new-tokens", "3"]
    assert main([*args, "--limit", "1", "-q"]) == 0
    capsys.readouterr()
    row = json.loads((tmp_path / "out" / "revisions.jsonl").read_text().splitlines()[0])
    code, out, _ = run(capsys, "--root", str(root), row["case_id"], "--format", "json")
    assert code == 0 and json.loads(out)["cases"][0]["revisions"][0]["row"] == row
    code, out, _ = run(capsys, "--root", str(root), row["case_id"])
    label = row["rounds"][0]["judged"]["principle_label"]
    assert code == 0 and f"Round 1 · {'accepted' if row['accepted_round'] else 'not accepted'}" in out
    assert f"{row['principle_id']}: {label}, P(violates) {row['rounds'][0]['judged']['p_violates']:.2f}" in out
