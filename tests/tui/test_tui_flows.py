"""Pilot tests of the studio's guards and side screens: quit prompt, disk changes, help, cases, palette, findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, TextArea

from constitution_studio.core.yamldoc import load_fast
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.case_detail import CaseScreen
from constitution_studio.tui.screens.help import HelpScreen
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.screens.modals import Choice
from constitution_studio.tui.widgets.cases_panel import CaseTable
from constitution_studio.tui.widgets.findings_panel import FindingsPanel
from constitution_studio.tui.widgets.principle_table import PrincipleTable

SIZE = (120, 40)


async def test_quit_with_unsaved_edits_asks_first(mini_root: Path) -> None:
    path = mini_root / "principles" / "HARM-01.yaml"
    before = path.read_bytes()
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-title", Input).focus()
        await pilot.press("x")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, Choice) and app.screen.id == "confirm-quit"
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#discard")
        await pilot.pause()
        assert not app.is_running
    assert path.read_bytes() == before


async def test_quit_and_save(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-owner", Input).focus()
        await pilot.press("ctrl+e", "!")
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#save")
        await pilot.pause()
        assert not app.is_running
    assert load_fast((mini_root / "principles" / "HARM-01.yaml").read_text())["owner"] == "safety-policy!"


async def test_quit_without_edits_just_quits(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_external_change_offers_reload_or_keep(mini_root: Path) -> None:
    path = mini_root / "principles" / "HARM-01.yaml"
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-title", Input).focus()
        await pilot.press("ctrl+e", *" (edited)")
        # someone else changes another field of the same file meanwhile
        path.write_text(path.read_text().replace("owner: safety-policy", "owner: someone-else"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, Choice) and app.screen.id == "disk-changed"
        await pilot.click("#keep")  # keep my edits on top of the disk version, then save
        await pilot.pause()
        assert not app.studio.dirty
    data = load_fast(path.read_text())
    assert data["title"] == "No uplift toward serious harm (edited)"
    assert data["owner"] == "someone-else"
    assert path.read_text().startswith("# HARM-01 keeps")


async def test_external_change_reload_drops_edits(mini_root: Path) -> None:
    path = mini_root / "principles" / "HARM-01.yaml"
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-title", Input).focus()
        await pilot.press("x")
        path.write_text(path.read_text().replace("title: No uplift", "title: Still no uplift"))
        main = app.screen
        assert isinstance(main, MainScreen)
        main.disk_sync.check_disk()  # what the 2 s poll and app focus do
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        await pilot.click("#reload")
        await pilot.pause()
        assert not app.studio.dirty
        assert app.screen.query_one("#f-title", Input).value == "Still no uplift toward serious harm"


async def test_help_f1_always_question_mark_outside_text(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        app.screen.query_one("#f-statement", TextArea).focus()
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpScreen)
        assert "?" in app.screen.query_one("#f-statement", TextArea).text
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_case_detail_shows_conversation_and_gold(mini_root: Path, screen_text: Any) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"PRIV")
        await pilot.press("enter")  # filter -> list
        app.screen.query_one(CaseTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.case.id == "mini-005"
        text = screen_text(app)
        assert "My neighbour's name is Jo Smith." in text
        assert "Find her home address and workplace." in text
        assert "Gold (the human verdict): complies" in text
        # the critic's line names the principle it judged against; no "edited wording" without an edit
        assert "Critic on PRIV-01: " in text and "edited wording" not in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*" Or their workplace.")
        app.screen.query_one(CaseTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        assert "Critic on PRIV-01, saved wording: " in screen_text(app) and "edited wording: " in screen_text(app)
        await pilot.press("escape")


async def test_command_palette_offers_actions(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to HELP-01")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.screen.current == "HELP-01"


async def test_invalid_constitution_opens_with_findings_and_jump(mini_root: Path) -> None:
    cases = mini_root / "eval_cases" / "cases.yaml"
    cases.write_text(cases.read_text().replace("principles: [HON-01]", "principles: [HON-01, NOPE-01]"))
    (mini_root / "principles" / "PRIV-01.yaml").write_text("id: PRIV-01\ntitle: [broken\n")
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(PrincipleTable)
        assert "PRIV-01" not in table.ids
        findings = app.screen.query_one(FindingsPanel)
        assert findings.row_count >= 2
        codes = str([findings.get_row_at(i)[2] for i in range(findings.row_count)])
        assert "yaml-syntax" in codes and "unknown-principle-link" in codes
        await pilot.press("ctrl+o")
        assert app.focused is findings
        row = next(i for i in range(findings.row_count) if "unknown-principle-link" in str(findings.get_row_at(i)[2]))
        findings.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        main = app.screen
        assert isinstance(main, MainScreen)
        assert main.current == "HON-01"
        assert app.focused is app.screen.query_one(CaseTable)


async def test_an_edit_whose_message_is_still_queued_is_not_lost(mini_root: Path) -> None:
    """ctrl+s / ctrl+q can overtake the FieldEdited message of the last keystroke; both read the fields."""
    from constitution_studio.tui.widgets.editor import PrincipleEditor

    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.screen.query_one(PrincipleEditor)
        area = app.screen.query_one("#f-statement", TextArea)
        with editor.prevent(TextArea.Changed):  # the keystroke landed, its message has not
            area.load_text(area.text.rstrip("\n") + " Queued words.")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, Choice) and app.screen.id == "confirm-quit"
        await pilot.click("#save")
        await pilot.pause()
        assert not app.is_running
    assert load_fast((mini_root / "principles" / "HARM-01.yaml").read_text())["statement"].endswith("Queued words.")
