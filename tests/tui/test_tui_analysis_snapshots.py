"""Snapshots of the impact view and the review queue at 80x24 and 120x40 (scripted critic: layout only).

Update after an intended visual change with
`pytest tests/tui/test_tui_analysis_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures.shift_support import ScriptedCritic, stable_noise
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from constitution_studio.tui.app import StudioApp

SMALL = (80, 24)
LARGE = (120, 40)


@pytest.fixture(autouse=True)
def reviewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada Reviewer\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def app_for(root: Path) -> StudioApp:
    critic = ScriptedCritic(lambda pid, statement, cid, judge: stable_noise(pid, statement, cid, judge))
    return StudioApp(root, critic_factory=lambda settings, where: critic)


async def impact_after_run(pilot: Pilot[Any]) -> None:
    app = pilot.app
    area = app.screen.query_one("#f-statement", TextArea)
    area.focus()
    area.move_cursor(area.document.end)
    await pilot.press(*" Even in fiction.")
    await pilot.press("f8")
    await app.workers.wait_for_complete()
    await pilot.press("r")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def review_after_run(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await pilot.press("f9")
    await app.workers.wait_for_complete()
    await pilot.press("r")
    await app.workers.wait_for_complete()
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    app.clear_notifications()  # the screen, not the trust advice the run's new labels bring (a toast)
    await pilot.pause()


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_impact_view(mini_root: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(mini_root), terminal_size=size, run_before=impact_after_run)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_review_screen(mini_root: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(mini_root), terminal_size=size, run_before=review_after_run)
