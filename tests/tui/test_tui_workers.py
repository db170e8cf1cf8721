"""Starting a worker never reprs its arguments in the UI thread (seconds for a workspace of 50,000 cases)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TextArea

from constitution_studio.core.diff import ConstitutionDiff
from constitution_studio.core.models import CriticSettings
from constitution_studio.core.workspace import Workspace
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.impact import ImpactScreen


async def test_impact_run_all_and_trust_do_not_repr_the_workspace(
    mini_root: Path, tiny_critic_settings: CriticSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def counted(self: Any) -> str:
        calls.append(type(self).__name__)
        return f"<{type(self).__name__}>"

    monkeypatch.setattr(Workspace, "__repr__", counted)
    monkeypatch.setattr(ConstitutionDiff, "__repr__", counted)
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*" Even fiction.", "ctrl+t")  # the critic on the edit, then trust is measured
        await app.workers.wait_for_complete()
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ImpactScreen)
        await pilot.press("r")  # Run all: a worker given both workspaces and the diff
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.report is not None and app.screen.report.model_calls > 0
        assert "critic trust:" in app.sub_title
    assert calls == []
