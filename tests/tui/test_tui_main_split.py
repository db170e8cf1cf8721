"""The main screen's halves (screens/main_reload.py, screens/main_cases.py) still answer their keys and messages."""

from __future__ import annotations

from pathlib import Path

from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.screens.main_cases import CasePanes
from constitution_studio.tui.screens.main_reload import DiskPanes
from constitution_studio.tui.widgets.cases_panel import CasesPanel, CaseTable
from constitution_studio.tui.widgets.editor import PrincipleEditor

SIZE = (120, 40)


async def test_case_actions_and_disk_watching_after_the_split(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen) and isinstance(main, CasePanes) and isinstance(main, DiskPanes)
        # the linked cases' keys (CasePanes): flips only, delete asks first
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.focused, CaseTable)
        await pilot.press("f")
        await pilot.pause()
        assert main.query_one(CasesPanel).flips_only
        await pilot.press("f")
        cid = main.query_one(CaseTable).current_id()
        assert cid is not None
        relpath = main.studio.ws.case_paths[cid]
        await pilot.press("delete")
        await pilot.pause()
        assert app.screen.id == "confirm-delete-case"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main and f"id: {cid}" in (mini_root / relpath).read_text()
        # a clean file changed on disk (DiskPanes): reloaded quietly on the next poll
        path = mini_root / "principles/HARM-01.yaml"
        path.write_text(path.read_text().replace("No uplift toward serious harm", "No uplift toward harm"))
        main.check_disk()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert main.studio.ws.principles["HARM-01"].title == "No uplift toward harm"
        assert any("Reloaded principles/HARM-01.yaml" in n.message for n in app._notifications)
        # saving (DiskPanes): an edit is written and the list follows
        main.query_one(PrincipleEditor).focus_field("title")
        await pilot.press("end", "!", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "title: No uplift toward harm!" in path.read_text()
        assert not main.studio.dirty
