"""The foundation commands end to end: validate, schema, new, move — exit codes and files on disk."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from constitution_studio.cli import main
from constitution_studio.core.schema import schema_documents
from constitution_studio.core.workspace import load_root

REPO = Path(__file__).parents[2]
MINI = Path(__file__).parents[1] / "fixtures" / "mini"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns(".cstudio"))  # a copied .cstudio is set aside
    return root


def test_validate_ok(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--root", str(mini)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "ok: 3 principles, 4 cases" in err


def test_validate_reports_lines_and_exits_1(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = mini / "eval_cases/cases.yaml"
    path.write_text(path.read_text().replace("principles: [HARM-01]", "principles: [HARM-07]"))
    assert main(["validate", "--root", str(mini)]) == 1
    out, _ = capsys.readouterr()
    assert out.splitlines() == [
        "eval_cases/cases.yaml:4:18: error: unknown-principle-link case harm-001 is linked to unknown principle HARM-07"
    ]


def test_validate_json(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (mini / "principles/HON-01.yaml").write_text("id: HON-01\ntitle: [\n")
    assert main(["validate", "--root", str(mini), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    syntax = [f for f in data["findings"] if f["code"] == "yaml-syntax"]
    assert [(f["path"], f["line"]) for f in syntax] == [("principles/HON-01.yaml", 3)]


def test_unreadable_root_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--root", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["move", "HARM-01"])
    assert exc.value.code == 2
    assert "--to" in capsys.readouterr().err


def test_move_keeps_comments_and_changes_only_the_order(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    const = mini / "principles/constitution.yaml"
    before = const.read_text()
    assert main(["move", "HON-01", "--to", "1", "--root", str(mini)]) == 0
    assert "HON-01: rank 3 -> 1" in capsys.readouterr().out
    after = const.read_text()
    assert load_root(mini).priority == ["HON-01", "HARM-01", "HELP-01"]
    assert "  - HARM-01   # serious harm first\n" in after
    assert "\n# Critic and gate settings.\ncritic:" in after
    assert sorted(before.splitlines()) == sorted(after.splitlines())


def test_move_out_of_range(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["move", "HON-01", "--to", "9", "--root", str(mini)]) == 2
    assert "out of range" in capsys.readouterr().err


def test_new_scaffolds_and_places_after(mini: Path) -> None:
    assert main(["new", "PRIV-01", "--title", "Protect personal data", "--after", "HARM-01", "--root", str(mini)]) == 0
    ws = load_root(mini)
    assert ws.priority == ["HARM-01", "PRIV-01", "HELP-01", "HON-01"]
    assert ws.principles["PRIV-01"].title == "Protect personal data"
    assert ws.errors == []
    assert "# serious harm first" in (mini / "principles/constitution.yaml").read_text()


def test_new_refuses_an_existing_id(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (mini / "principles/constitution.yaml").read_bytes()
    assert main(["new", "HARM-01", "--title", "again", "--root", str(mini)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (mini / "principles/constitution.yaml").read_bytes() == before


def test_new_refuses_a_bad_id(mini: Path) -> None:
    assert main(["new", "harm-1", "--title", "x", "--root", str(mini)]) == 2
    assert not (mini / "principles/harm-1.yaml").exists()


def test_checked_in_schemas_are_current() -> None:
    for name, text in schema_documents().items():
        assert (REPO / "docs/schema" / name).read_text() == text, f"run `cstudio schema --out docs/schema` ({name})"


def test_example_constitution_validates() -> None:
    ws = load_root(REPO)
    assert ws.errors == [], [f.format() for f in ws.errors]
    assert len(ws.principles) >= 16 and len(ws.cases) > 100
    live = [pid for pid, p in ws.principles.items() if p.status.value != "deprecated"]
    assert all(len(ws.links[pid]) >= 6 for pid in live)
    assert sum(c.benign for c in ws.cases.values()) >= 10
    assert sum(c.kind == "pair" for c in ws.cases.values()) >= 10
    assert sum(len(c.principles) > 1 for c in ws.cases.values()) >= 5


def test_validate_starts_without_torch_textual_or_rich() -> None:
    code = (
        "import sys; from constitution_studio.cli import main; "
        f"rc = main(['validate', '--root', {str(MINI)!r}]); "
        "bad = [m for m in ('torch', 'transformers', 'textual', 'constitution_studio.tui') if m in sys.modules]; "
        "print(rc, bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0 []"


def test_authoring_refuses_an_invalid_constitution(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = mini / "eval_cases/cases.yaml"
    path.write_text(path.read_text().replace("principles: [HARM-01]", "principles: [HARM-07]"))
    before = (mini / "principles/constitution.yaml").read_bytes()
    assert main(["move", "HON-01", "--to", "1", "--root", str(mini)]) == 2
    assert capsys.readouterr().err.startswith("eval_cases/cases.yaml:4:18: error: unknown-principle-link")
    assert (mini / "principles/constitution.yaml").read_bytes() == before


def test_rename_moves_file_priority_and_links_keeping_comments(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rename", "HELP-01", "HELP-02", "--root", str(mini)]) == 0
    out = capsys.readouterr().out
    assert "principles/HELP-02.yaml" in out and "eval_cases/cases.yaml" in out
    ws = load_root(mini)
    assert ws.errors == [] and not (mini / "principles/HELP-01.yaml").exists()
    assert ws.priority == ["HARM-01", "HELP-02", "HON-01"]
    assert ws.cases["help-001"].principles == ["HELP-02"]
    assert ws.cases["conflict-001"].principles == ["HARM-01", "HELP-02"]
    cases_text = (mini / "eval_cases/cases.yaml").read_text()
    assert "principles: [HARM-01, HELP-02]" in cases_text and "# Mini eval cases." in cases_text
    assert "  - HARM-01   # serious harm first" in (mini / "principles/constitution.yaml").read_text()
    assert (mini / "principles/HELP-02.yaml").read_text().startswith("id: HELP-02\n")


def test_rename_refuses_a_taken_id(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.read_bytes() for p in mini.rglob("*.yaml")}
    assert main(["rename", "HELP-01", "HON-01", "--root", str(mini)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in mini.rglob("*.yaml")} == before
