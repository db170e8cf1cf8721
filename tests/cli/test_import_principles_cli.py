"""`cstudio import principles`: one principle per heading, IDs, priority, skipped report, re-import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from constitution_studio.cli import main
from constitution_studio.core.imports.principles import file_name_problem
from constitution_studio.core.workspace import load_root
from tests.fixtures.files import MINI, snapshot

SPEC = Path(__file__).parents[1] / "fixtures" / "imports" / "spec.md"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    out = tmp_path / "c"
    shutil.copytree(MINI, out, ignore=shutil.ignore_patterns(".cstudio"))
    return out


def run(root: Path, *args: str) -> int:
    return main(["import", "principles", *args, "--root", str(root)])


def test_headings_become_principles_in_document_order(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(root, str(SPEC)) == 0
    out = capsys.readouterr().out
    ws = load_root(root)
    assert not ws.errors
    assert ws.priority == ["HARM-01", "HELP-01", "HON-01", "HARM-10", "HON-10", "P-01"]
    harm = ws.principles["HARM-10"]  # a leading ID in the heading
    assert harm.title == "Avoid serious harm"
    assert harm.statement == (
        "The assistant does not provide meaningful uplift towards weapons capable of mass casualties.\n\n"
        "It may discuss history and policy at a general level."
    )
    honest = ws.principles["HON-10"]  # an explicit {#anchor}; the ### subsection is prose, the code block is not
    assert honest.title == "Be honest" and "Examples" in honest.statement and "not a heading" not in honest.statement
    assert ws.principles["P-01"].title == "Respect privacy"  # no anchor fits: generated
    assert "spec.md:1: level-1 heading 'Model Spec (excerpt)'" in out
    assert "spec.md:27: no prose under 'Placeholder'" in out
    assert "a code block left out of the statement" in out
    text = (root / "principles/constitution.yaml").read_text()
    assert text.index("  - P-01") < text.index("# Critic and gate settings.")  # the comment stays below the list


def test_reimport_is_a_no_op(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(root, str(SPEC)) == 0
    before = snapshot(root)
    capsys.readouterr()
    assert run(root, str(SPEC), "--ids", "auto") == 0
    assert snapshot(root) == before
    assert "0 new, 0 updated, 3 unchanged" in capsys.readouterr().out


def test_generated_ids_and_given_order(root: Path) -> None:
    assert run(root, str(SPEC), "--ids", "generate", "--id-prefix", "SPEC", "--order", "SPEC-03,SPEC-01") == 0
    ws = load_root(root)
    assert ws.priority[3:] == ["SPEC-03", "SPEC-01", "SPEC-02"]
    assert [ws.principles[p].title for p in ("SPEC-01", "SPEC-02", "SPEC-03")] == [
        "Avoid serious harm",
        "Be honest",
        "Respect privacy",
    ]


def test_after_places_them_in_the_priority(root: Path) -> None:
    assert run(root, str(SPEC), "--after", "HARM-01") == 0
    assert load_root(root).priority == ["HARM-01", "HARM-10", "HON-10", "P-01", "HELP-01", "HON-01"]


def test_anchor_mode_refuses_headings_without_a_fitting_anchor(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(root)
    assert run(root, str(SPEC), "--ids", "anchor") == 2
    err = capsys.readouterr().err
    assert "spec.md:23: error: no anchor fits the ID pattern" in err and "respect-privacy" in err
    assert snapshot(root) == before


def test_edited_statement_differs_until_update(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.md"
    spec.write_text(SPEC.read_text())
    assert run(root, str(spec)) == 0
    spec.write_text(spec.read_text().replace("personal data", "private data"))
    capsys.readouterr()
    assert run(root, str(spec)) == 0
    assert "1 differ" in capsys.readouterr().out
    assert "personal data" in load_root(root).principles["P-01"].statement
    assert run(root, str(spec), "--update") == 0
    assert "private data" in load_root(root).principles["P-01"].statement


def test_hostile_anchors_never_become_file_names(root: Path, tmp_path: Path) -> None:
    spec = tmp_path / "evil.md"
    spec.write_text(
        "## Escape {#../../../tmp/EVIL-01}\n\nText one.\n\n"
        "## CON-01 Reserved? no, this one is fine\n\nText two.\n\n"
        "## Bidi \u202eevil\n\nText three.\n"
    )
    assert run(root, str(spec)) == 0
    names = sorted(p.name for p in (root / "principles").iterdir())
    assert "CON-01.yaml" in names and not any(".." in n for n in names)
    assert not (tmp_path / "tmp").exists()
    ws = load_root(root)
    assert not ws.errors and ws.principles["P-01"].title == "Escape"


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("HARM-01", False),
        ("harm.weapons.01", False),
        ("../x", True),
        ("CON", True),
        ("aux.txt", True),
        ("a:b", True),
        ("x.", True),
    ],
)
def test_file_name_problem(name: str, bad: bool) -> None:
    assert (file_name_problem(name) is not None) is bad


def test_bidi_title_is_skipped_not_written(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bidi.md"
    spec.write_text("## Fine\n\nText.\n\n## Bad \u202etitle\n\nText.\n")
    assert run(root, str(spec)) == 0
    out = capsys.readouterr().out
    assert "\u202e" not in out and "title: --title must be one line of plain text (it contains U+202E)" in out
    assert [p.title for p in load_root(root).principles.values() if "imported" in p.tags] == ["Fine"]


def test_new_keeps_the_comment_after_the_priority_list(root: Path) -> None:
    assert main(["new", "NEW-01", "--title", "New", "--root", str(root)]) == 0
    text = (root / "principles/constitution.yaml").read_text()
    assert text.index("  - NEW-01") < text.index("# Critic and gate settings.")


def test_the_constitutions_own_id_pattern_gives_slug_ids(root: Path) -> None:
    constitution = root / "principles/constitution.yaml"
    constitution.write_text(
        constitution.read_text().replace(
            'version: "0.1"\n', "version: \"0.1\"\nid_pattern: '^[A-Za-z][A-Za-z0-9_-]*$'\n"
        )
    )
    assert run(root, str(SPEC)) == 0
    ws = load_root(root)
    assert not ws.errors
    assert ws.priority[3:] == ["HARM-10", "HON-10", "respect-privacy"]  # the slug fits this scheme: no generated ID
    assert (root / "principles/respect-privacy.yaml").is_file()
    before = snapshot(root)
    assert run(root, str(SPEC)) == 0
    assert snapshot(root) == before
