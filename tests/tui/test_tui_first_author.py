"""What a first-time author hit in the studio, each reproduced (issue 12, item 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, ProgressBar, Static, TextArea

from constitution_studio.core.models import CriticSettings
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.screens.modals import ErrorModal
from constitution_studio.tui.widgets.cases_panel import CasesPanel, CaseTable
from constitution_studio.tui.widgets.editor import PrincipleEditor
from constitution_studio.tui.widgets.principle_table import PrincipleTable

SIZE = (120, 40)


def footer_text(screen_text: Any, app: StudioApp) -> str:
    return str(screen_text(app).rstrip("\n").splitlines()[-1])


async def test_reload_converges_after_a_principle_vanishes_and_another_appears(mini_root: Path) -> None:
    """`git checkout .` undoing a rename: one notice, no modal every poll, the list shows the disk."""
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        main.query_one(PrincipleTable).select_id("HON-01")
        await pilot.pause()
        assert main.current == "HON-01"
        old = mini_root / "principles/HON-01.yaml"
        (mini_root / "principles/HON-02.yaml").write_text(old.read_text().replace("id: HON-01", "id: HON-02"))
        old.unlink()
        conf = mini_root / "principles/constitution.yaml"
        conf.write_text(conf.read_text().replace("  - HON-01\n", "  - HON-02\n"))
        for _ in range(4):  # four polls (every ~2 s in real life)
            main.disk_sync.check_disk()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not isinstance(app.screen, ErrorModal)
        notices = [n.message for n in app._notifications if "Deleted on disk" in n.message]
        assert len(notices) == 1
        table = main.query_one(PrincipleTable)
        assert table.ids == ["HARM-01", "HON-02", "PRIV-01", "HELP-01"]
        assert main.current in table.ids


async def test_80x24_shows_a_usable_pane_for_each_key(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=(80, 24)) as pilot:
        main = app.screen
        assert main.has_class("narrow") and main.has_class("short")
        table = main.query_one(PrincipleTable)
        assert table.size.width >= 70 and table.size.height >= 8
        await pilot.press("f3")
        editor = main.query_one(PrincipleEditor)
        assert editor.size.width >= 70
        assert main.query_one("#f-statement", TextArea).size.height >= 3
        await pilot.press("f4")
        cases = main.query_one(CaseTable)
        assert app.focused is cases
        assert cases.size.width >= 70 and cases.size.height >= 3  # header and at least two cases
        await pilot.press("f2")
        assert app.focused is table and table.region.width >= 70


async def test_no_keystroke_lost_in_the_id_field_while_the_editor_is_redrawn(mini_root: Path) -> None:
    """End, 7×Backspace, "HELP-09" gave "HARM-HE": a redraw wrote the lagging draft back."""
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        box = main.query_one("#f-id", Input)
        box.focus()
        await pilot.press("end", *["backspace"] * 5)
        main.studio.set_field("HARM-01", "id", "HARM-")  # the draft lags behind what is on screen
        main.select("HARM-01")  # a redraw (validation, a reload, a highlight) while typing
        await pilot.press("backspace", "backspace", *"HELP-09")
        main.select("HARM-01")
        await pilot.pause()
        assert box.value == "HELP-09"
        assert main.studio.edited("HARM-01")["id"] == "HELP-09"


async def test_statement_editor_keys_follow_textarea_conventions(mini_root: Path, screen_text: Any) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f3")
        area = app.screen.query_one("#f-statement", TextArea)
        assert app.focused is area
        footer = footer_text(screen_text, app)
        for key in ("Undo", "Redo", "Select all"):
            assert key in footer
        area.move_cursor((0, 0))
        await pilot.press("end")  # the end of the line as written, not of the wrapped screen line
        assert area.cursor_location == (0, len(area.document.get_line(0)))
        await pilot.press("ctrl+a")
        assert area.selected_text == area.text
        await pilot.press(*"Short.")
        assert area.text == "Short."
        for _ in range(3):  # typing over a selection is undone in at most a few steps
            if area.text.startswith("The response must not"):
                break
            await pilot.press("ctrl+z")
        assert area.text.startswith("The response must not")
        await pilot.press("ctrl+y")
        assert area.text != app.studio.ws.principles["HARM-01"].statement


async def test_pane_keys_footer_toggles_and_160_columns(mini_root: Path, screen_text: Any) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=(160, 48)) as pilot:
        footer = footer_text(screen_text, app)
        for key in ("f2 List", "f3 Editor", "f4 Cases", "^o Findings", "f1 Help", "^p palette"):
            assert key in footer  # nothing cut off at 160 columns
        await pilot.press("f4")
        assert isinstance(app.focused, CaseTable)
        assert "Flips only: off" in footer_text(screen_text, app)
        await pilot.press("f")
        await pilot.pause()
        assert "Flips only: on" in footer_text(screen_text, app)
        await pilot.press("ctrl+o")
        assert app.focused is not None and app.focused.id == "findings"


async def test_unsaved_priority_order_is_marked(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(PrincipleTable)
        assert "unsaved" not in str(table.border_title)
        await pilot.press("shift+down")
        await pilot.pause()
        assert "● order unsaved" in str(table.border_title)
        assert table.get_row("HARM-01")[0] == "●2"
        assert table.get_row("PRIV-01")[0] == "3"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "unsaved" not in str(table.border_title)


async def test_filter_searches_wording_and_case_text_and_keeps_selection(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        table = main.query_one(PrincipleTable)
        box = main.query_one("#filter", Input)
        box.focus()
        await pilot.press(*"neighbour")  # only in a linked case's conversation
        await pilot.pause()
        assert table.ids == ["PRIV-01"]
        assert main.current == "PRIV-01"  # the editor follows the filter
        await pilot.press("escape")
        await pilot.pause()
        assert len(table.ids) == 4 and table.current_id() == "PRIV-01" and main.current == "PRIV-01"
        box.focus()
        await pilot.press(*"zzzz-nothing")
        await pilot.pause()
        assert table.ids == [] and main.current is None
        heading = str(main.query_one("#editor-heading", Static).render())
        assert "No principle matches" in heading
        assert main.query_one("#f-statement", TextArea).text == ""


async def test_run_critic_refuses_an_empty_statement(mini_root: Path) -> None:
    app = StudioApp(mini_root, critic_settings=CriticSettings(model=str(mini_root / "no-model")))
    async with app.run_test(size=SIZE) as pilot:
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        await pilot.press("ctrl+a", "backspace", "ctrl+t")
        await pilot.pause()
        assert not any(w.group == "critic" for w in app.screen.workers)
        assert any("statement is empty" in n.message for n in app._notifications)


async def test_long_fields_show_their_start_after_switching(mini_root: Path) -> None:
    path = mini_root / "principles/HON-01.yaml"
    long = "Point out " + "every made-up quote, source and number " * 4 + "END"
    path.write_text(path.read_text() + f"critique: {long}\n")
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(PrincipleTable).select_id("HON-01")
        await pilot.pause()
        box = app.screen.query_one("#f-critique", Input)
        assert box.value == long
        assert box.cursor_position == 0 and box.scroll_x == 0


async def test_progress_belongs_to_its_principle_and_clears_on_cancel(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        bar = main.query_one(CasesPanel).query_one(ProgressBar)
        main.action_run_critic()  # called directly: no message of the run is handled before the asserts
        assert main.critic_runner.running == "HARM-01" and bar.display
        main.select("HON-01")  # another principle during the run: its bar is not shown there
        assert not bar.display
        assert main.critic_runner.progress_note().startswith("critic on HARM-01:")
        main.select("HARM-01")
        assert bar.display
        main.action_cancel_critic()
        assert not bar.display  # cleared at once, not when the worker gets round to finishing
        for _ in range(200):
            if not main.critic_runner.critic_running():
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert main.critic_runner.running is None and not bar.display
        main.select("HON-01")
        await pilot.pause()
        await pilot.press("ctrl+t")  # a full run on HON-01 ends with its progress at the total
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert main.critic_runner.run_progress == (1, 1) and not bar.display
        assert set(app.studio.labels_for("HON-01", app.studio.ws.principles["HON-01"].statement)) == {"mini-004"}
