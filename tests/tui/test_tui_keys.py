"""Keys an author must be able to find and use: F8/F9/F10 in the footer, ctrl+End/Home, the palette's search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TextArea

from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.widgets.footer import StudioFooter, fit


def footer_line(screen_text: Any, app: StudioApp) -> str:
    return str(screen_text(app)).splitlines()[-1]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_footer_lists_the_screen_keys_and_active_toggles(
    mini_root: Path, screen_text: Any, size: tuple[int, int]
) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        footer = footer_line(screen_text, app)
        for key in ("f1 Help", "f8 Impact", "f9 Review", "f10 Trust", "^s Save", "^p palette"):
            assert key in footer, footer
        await pilot.press("f4", "f")  # the cases' flips-only toggle, turned on
        await pilot.pause()
        footer = footer_line(screen_text, app)
        assert "f Flips only: on" in footer and "f9 Review" in footer and "f10 Trust" in footer, footer
        drawn = app.screen.query_one(StudioFooter).drawn()
        assert "f8 Impact" in drawn
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        footer = footer_line(screen_text, app)
        # on the review queue, F9 would open what is open: F8 and F10 instead
        assert "f9 Review" not in footer and "f8 Impact" in footer and "f10 Trust" in footer, footer


async def test_impact_footer_at_80_columns_keeps_its_toggles_state_and_the_screen_keys(
    mini_root: Path, screen_text: Any
) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        footer = footer_line(screen_text, app)
        for key in ("esc Back", "r Run all", "f Flips only: off", "f9 Review", "f10 Trust"):
            assert key in footer, footer
        await pilot.press("b")  # a toggle that no longer fits when off is shown while on
        await pilot.pause()
        footer = footer_line(screen_text, app)
        assert "b Benign only: on" in footer and "f9 Review" in footer, footer


def test_fit_drops_the_least_needed_keys_from_the_end_first() -> None:
    # (rank, width): rank 0 kept, 3 dropped first; a short key dropped early comes back
    entries = [(3, 10), (1, 8), (3, 20), (2, 15), (0, 10), (0, 10)]
    assert fit(entries, 100) == set(range(6))
    assert fit(entries, 53) == {0, 1, 3, 4, 5}
    assert fit(entries, 28) == {1, 4, 5}
    assert fit(entries, 15) == {4}


async def test_ctrl_end_and_ctrl_home_reach_the_ends_of_the_statement(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")  # the statement, cursor at its start
        area = app.screen.query_one("#f-statement", TextArea)
        assert app.focused is area and area.cursor_location == (0, 0)
        statement = area.text
        await pilot.press("ctrl+end", *" Even in fiction.")
        assert area.text == statement + " Even in fiction."
        await pilot.press("ctrl+home", *"Always: ")
        assert area.text == "Always: " + statement + " Even in fiction."
        await pilot.press("ctrl+shift+end")
        assert area.selected_text == statement + " Even in fiction."


@pytest.mark.parametrize(
    ("query", "expected", "where"),
    [
        ("over-refusal", "HELP-01", "tag: over-refusal"),  # a tag
        ("private people", "PRIV-01", "title"),  # title words
        ("watering", "HELP-01", "statement: "),  # a word of the statement only
    ],
)
async def test_palette_finds_a_principle_by_title_tags_and_statement(
    mini_root: Path, screen_text: Any, query: str, expected: str, where: str
) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*query)
        await pilot.pause(0.3)
        shown = str(screen_text(app))
        assert f"Go to {expected}" in shown and where in shown, shown
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.screen.current == expected
