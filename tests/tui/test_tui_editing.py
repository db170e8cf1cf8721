"""Pilot tests of the studio's main job: open, navigate, edit, save, reorder — asserting on files on disk."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Label, TextArea

from constitution_studio.core.workspace import load_root
from constitution_studio.core.yamldoc import load_fast
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.widgets.findings_panel import FindingsPanel
from constitution_studio.tui.widgets.principle_table import PrincipleTable

SIZE = (120, 40)


def main_of(app: StudioApp) -> MainScreen:
    assert isinstance(app.screen, MainScreen)
    return app.screen


async def test_opens_in_priority_order_with_counts(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PrincipleTable)
        ids = table.ids
        assert ids == ["HARM-01", "HON-01", "PRIV-01", "HELP-01"]
        assert table.get_row("HARM-01")[4] == "2"  # linked cases
        assert main_of(app).current == "HARM-01"
        await pilot.press("down")
        assert main_of(app).current == "HON-01"
        assert app.screen.query_one("#f-title", Input).value == "Do not make things up"


async def test_edit_statement_and_save_keeps_comments(mini_root: Path) -> None:
    path = mini_root / "principles" / "HARM-01.yaml"
    before = path.read_text()
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # table -> statement editor
        area = app.screen.query_one("#f-statement", TextArea)
        assert app.focused is area
        area.move_cursor(area.document.end)
        await pilot.press(*" Fiction is fine.")
        assert "● Statement" in str(app.screen.query_one("#l-statement", Label).render())
        assert path.read_text() == before  # nothing written before ctrl+s
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.studio.dirty
    text = path.read_text()
    assert text.startswith("# HARM-01 keeps the assistant")  # comment kept
    assert "statement: >-" in text  # folded style kept, re-wrapped
    data = load_fast(text)
    assert data["statement"].endswith("General safety information is allowed. Fiction is fine.")
    assert data["tags"] == ["harm", "weapons"]
    assert "tags: [harm, weapons]" in text  # untouched fields byte-identical
    assert "critique: Point out any actionable harmful detail." in text
    assert not load_root(mini_root).errors


async def test_other_fields_only_changed_ones_written(mini_root: Path) -> None:
    path = mini_root / "principles" / "HON-01.yaml"
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down")
        app.screen.query_one("#f-owner", Input).focus()
        await pilot.press("ctrl+e", *"-team")
        await pilot.press("ctrl+s")
        await pilot.pause()
    lines = path.read_text().splitlines()
    assert lines[0] == "# Honesty about what the assistant knows."
    assert "owner: honesty-team" in lines
    assert load_fast(path.read_text())["statement"].startswith("The response must not state invented facts")


async def test_reorder_written_to_constitution_on_save(mini_root: Path) -> None:
    path = mini_root / "principles" / "constitution.yaml"
    before = path.read_text()
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "shift+up")  # PRIV-01 above HON-01
        table = app.screen.query_one(PrincipleTable)
        assert table.ids[:3] == ["HARM-01", "PRIV-01", "HON-01"]
        assert table.current_id() == "PRIV-01"
        await pilot.press("shift+down", "shift+down", "shift+down")  # to the bottom; extra press is a no-op
        assert table.ids == ["HARM-01", "HON-01", "HELP-01", "PRIV-01"]
        assert path.read_text() == before
        await pilot.press("ctrl+s")
        await pilot.pause()
    text = path.read_text()
    assert load_fast(text)["priority"] == ["HARM-01", "HON-01", "HELP-01", "PRIV-01"]
    assert "  - HARM-01  # the backstop" in text
    assert "# Highest priority first." in text
    assert text.split("critic:")[1] == before.split("critic:")[1]


async def test_bad_id_and_empty_statement_shown_and_nothing_saved(mini_root: Path) -> None:
    snapshot = {p: p.read_bytes() for p in (mini_root / "principles").iterdir()}
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-id", Input).focus()
        await pilot.press("ctrl+e", "backspace", "backspace", "x")
        error = str(app.screen.query_one("#e-id", Label).render())
        assert "bad ID" in error
        app.screen.query_one("#f-statement", TextArea).focus()
        await pilot.press("f7", "backspace")  # select all, delete
        assert "statement is empty" in str(app.screen.query_one("#e-statement", Label).render())
        findings = app.screen.query_one(FindingsPanel)
        assert "2 in unsaved edits" in str(findings.border_title)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.studio.dirty
    assert {p: p.read_bytes() for p in (mini_root / "principles").iterdir()} == snapshot


async def test_revert_goes_back_to_saved(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-title", Input).focus()
        await pilot.press(*"XYZ")
        assert app.studio.is_dirty("HARM-01")
        await pilot.press("ctrl+r")  # asks first: a revert cannot be undone
        await pilot.pause()
        assert app.screen.id == "confirm-revert"
        await pilot.press("escape")
        await pilot.pause()
        assert app.studio.is_dirty("HARM-01")
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.click("#revert")
        await pilot.pause()
        assert not app.studio.dirty
        assert app.screen.query_one("#f-title", Input).value == "No uplift toward serious harm"


async def test_type_to_filter_by_id_title_or_tag(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(PrincipleTable)
        await pilot.press(*"priv")  # typed on the table: goes to the filter box
        assert app.screen.query_one("#filter", Input).value == "priv"
        assert table.ids == ["PRIV-01"]
        await pilot.press("escape")
        assert table.row_count == 4
        await pilot.press(*"over-refusal")  # a tag
        assert table.ids == ["HELP-01"]
        await pilot.press("enter")  # back to the list
        assert app.focused is table


async def test_edit_and_save_when_files_come_from_the_parse_cache(mini_root: Path) -> None:
    """A second opening reads parsed data from .cstudio/parsed; texts are read lazily, never assumed empty."""
    load_root(mini_root)  # warms the parse cache for these exact files (same size and mtime)
    path = mini_root / "principles" / "HARM-01.yaml"
    before = path.read_text()
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert main_of(app).studio.changed_on_disk() == []
        await pilot.press("enter")
        area = app.screen.query_one("#f-statement", TextArea)
        area.move_cursor(area.document.end)
        await pilot.press(*" Fiction is fine.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.studio.dirty
    text = path.read_text()
    assert text.startswith(before.split("\n", 1)[0])  # the file was edited, not replaced
    assert load_fast(text)["statement"].endswith("Fiction is fine.")
    assert load_fast(text)["tags"] == ["harm", "weapons"]


async def test_renaming_an_id_moves_file_order_and_case_links(mini_root: Path) -> None:
    (mini_root / "principles" / "HARM-01.yaml").chmod(0o640)
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-id", Input).focus()
        await pilot.press("ctrl+e", "backspace", "9")  # HARM-01 -> HARM-09
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.studio.dirty
        assert main_of(app).current == "HARM-09"
    ws = load_root(mini_root)
    assert ws.errors == [], [f.format() for f in ws.errors]
    assert not (mini_root / "principles" / "HARM-01.yaml").exists()
    assert (mini_root / "principles" / "HARM-09.yaml").stat().st_mode & 0o777 == 0o640  # mode kept
    assert ws.priority[0] == "HARM-09"
    assert len(ws.links["HARM-09"]) == 2  # both linked cases followed the rename
    assert "principles: [HARM-09, HELP-01]" in next((mini_root / "eval_cases").glob("*.yaml")).read_text()
