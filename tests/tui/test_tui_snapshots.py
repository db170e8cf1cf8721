"""Snapshots of the main screens (pytest-textual-snapshot): fixed size, no clock, cursor blink off.

Update after an intended visual change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from constitution_studio.tui.app import StudioApp

SIZE = (120, 40)


async def no_blink(pilot: Pilot[Any]) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


def test_main_screen(mini_root: Path, snap_compare: Any) -> None:
    assert snap_compare(StudioApp(mini_root), terminal_size=SIZE, run_before=no_blink)


def test_bad_edit_shows_problems(mini_root: Path, snap_compare: Any) -> None:
    async def bad_edit(pilot: Pilot[Any]) -> None:
        await no_blink(pilot)
        pilot.app.screen.query_one("#f-id", Input).focus()
        await pilot.press("ctrl+e", "backspace", "x", "shift+tab")
        await pilot.pause()

    assert snap_compare(StudioApp(mini_root), terminal_size=SIZE, run_before=bad_edit)


def test_help_screen(mini_root: Path, snap_compare: Any) -> None:
    assert snap_compare(StudioApp(mini_root), terminal_size=SIZE, press=["f1"], run_before=no_blink)


SMALL = (80, 24)


def test_main_screen_80x24_list(mini_root: Path, snap_compare: Any) -> None:
    assert snap_compare(StudioApp(mini_root), terminal_size=SMALL, run_before=no_blink)


def test_main_screen_80x24_editor(mini_root: Path, snap_compare: Any) -> None:
    assert snap_compare(StudioApp(mini_root), terminal_size=SMALL, press=["f3"], run_before=no_blink)


def test_main_screen_80x24_cases(mini_root: Path, snap_compare: Any) -> None:
    assert snap_compare(StudioApp(mini_root), terminal_size=SMALL, press=["f4"], run_before=no_blink)


def test_help_screen_80x24(mini_root: Path, snap_compare: Any) -> None:
    assert snap_compare(StudioApp(mini_root), terminal_size=SMALL, press=["f1"], run_before=no_blink)
