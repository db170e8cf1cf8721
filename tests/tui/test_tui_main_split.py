"""The main screen's parts (the cases pane, screens/cases_pane.py; saving and disk watching, screens/disk_sync.py)
answer their keys and messages."""

from __future__ import annotations

from pathlib import Path

from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.cases_pane import CasesPane
from constitution_studio.tui.screens.disk_sync import DiskSync
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.widgets.cases_panel import CasesPanel, CaseTable
from constitution_studio.tui.widgets.editor import PrincipleEditor

SIZE = (120, 40)


async def test_case_actions_and_disk_watching_after_the_split(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen) and main.query_one(DiskSync) is main.disk_sync  # a part it composes
        pane = main.query_one(CasesPane)  # a pane of the screen that owns the linked cases' actions
        # the linked cases' keys (the pane): flips only, delete asks first
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.focused, CaseTable)
        await pilot.press("f")
        await pilot.pause()
        assert pane.flips_only and main.query_one(CasesPanel) is pane
        assert set(main.query_one(CaseTable).ids) <= set(pane.flips)  # the screen showed the pane's rows again
        await pilot.press("f")
        await pilot.pause()
        assert not pane.flips_only and main.query_one(CaseTable).ids
        cid = main.query_one(CaseTable).current_id()
        assert cid is not None
        relpath = main.studio.ws.case_paths[cid]
        await pilot.press("delete")
        await pilot.pause()
        assert app.screen.id == "confirm-delete-case"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main and f"id: {cid}" in (mini_root / relpath).read_text()
        # a clean file changed on disk (DiskSync): reloaded quietly on the next poll
        path = mini_root / "principles/HARM-01.yaml"
        path.write_text(path.read_text().replace("No uplift toward serious harm", "No uplift toward harm"))
        main.disk_sync.check_disk()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert main.studio.ws.principles["HARM-01"].title == "No uplift toward harm"
        assert any("Reloaded principles/HARM-01.yaml" in n.message for n in app._notifications)
        # saving (DiskSync): an edit is written and the list follows
        main.query_one(PrincipleEditor).focus_field("title")
        await pilot.press("end", "!", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "title: No uplift toward harm!" in path.read_text()
        assert not main.studio.dirty
        # a case written through the pane (n: the case form) reaches the screen as a message: it reloads
        await pilot.press("f4", "n")
        await pilot.pause()
        assert app.screen.id == "case-form"


async def test_the_terminal_regaining_focus_looks_at_the_files_at_once(mini_root: Path) -> None:
    """AppFocus reaches the app only (never a screen): the app hands it to the main screen's disk part."""
    from textual import events

    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        main.disk_sync.poll.pause()  # only the focus can notice the change
        path = mini_root / "principles/HARM-01.yaml"
        path.write_text(path.read_text().replace("No uplift toward serious harm", "No uplift toward harm"))
        await pilot.pause()
        assert main.studio.ws.principles["HARM-01"].title == "No uplift toward serious harm"
        app.post_message(events.AppFocus())
        await pilot.pause()
        await pilot.pause()
        assert main.studio.ws.principles["HARM-01"].title == "No uplift toward harm"
        assert any("Reloaded principles/HARM-01.yaml" in n.message for n in app._notifications)
