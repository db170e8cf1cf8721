"""The critic in the studio, with the tiny random-weight model: labels fill in, saved vs edited wording."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import TextArea

from constitution_studio.core.models import CriticSettings
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.screens.modals import ErrorModal
from constitution_studio.tui.widgets.cases_panel import CasesPanel, CaseTable
from constitution_studio.tui.widgets.principle_table import PrincipleTable

SIZE = (120, 40)


async def test_critic_run_fills_labels_under_saved_and_edited_wording(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*" Always.")
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = app.studio.ws.principles["HARM-01"].statement
        edited = app.studio.edited("HARM-01")["statement"]
        assert set(app.studio.labels_for("HARM-01", saved)) == {"mini-001", "mini-002"}
        assert set(app.studio.labels_for("HARM-01", edited)) == {"mini-001", "mini-002"}
        for label in app.studio.labels_for("HARM-01", edited).values():
            assert label.label in ("violates", "complies") and 0.0 <= label.probability <= 1.0
        table = app.screen.query_one(CaseTable)
        saved_cell = str(table.get_row("mini-001")[2])
        assert saved_cell.split()[0] in ("violates", "complies")
        panel = app.screen.query_one(CasesPanel)
        assert f"{len(panel.flips)} flip" in screen_text(app)
        row = app.screen.query_one(PrincipleTable).get_row("HARM-01")
        assert "violate" in str(row[5]) or "compl" in str(row[5])  # label summary in words
        assert "critic trust:" in app.sub_title
        # a second run is answered from the cache at once
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert all(lab.cached for lab in app.studio.labels_for("HARM-01", saved).values())


async def test_missing_model_shows_error_modal(mini_root: Path) -> None:
    settings = CriticSettings(model=str(mini_root / "no-such-model"))
    app = StudioApp(mini_root, critic_settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        assert "no-such-model" in app.screen.message
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
