"""The constitution's group comments in `priority:` are headers in the principle list (issue 12, item 5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from constitution_studio.tui import state
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.widgets.principle_table import UNRANKED, PrincipleTable

SIZE = (120, 40)
GROUPED = """name: Mini Constitution
version: "0.1"

priority:
  # Tier 1: serious harm. Why it ranks first,
  # over two lines.
  - HARM-01  # the backstop
  - HON-01
  # Tier 2: people outside the chat. Privacy.
  - PRIV-01
  - HELP-01

critic:
  model: builtin:smollm2-135m
  threshold: 0.5
"""


def _group(root: Path) -> None:
    (root / "principles/constitution.yaml").write_text(GROUPED, encoding="utf-8")


async def test_headers_show_first_sentence_above_their_groups(mini_root: Path, screen_text: Callable[..., str]) -> None:
    _group(mini_root)
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Tier 1: serious harm" in text and "Tier 2: people outside the chat" in text
        assert "Why it ranks first" not in text  # only the first sentence is a header
        lines = [line[:62] for line in text.splitlines()]  # the list's column
        keys = ("Tier 1", "HARM-01", "HON-01", "Tier 2", "PRIV-01")
        row = {key: next(i for i, line in enumerate(lines) if key in line) for key in keys}
        assert row["Tier 1"] < row["HARM-01"] < row["HON-01"] < row["Tier 2"] < row["PRIV-01"]
        assert row["Tier 2"] == row["HON-01"] + 1 and row["PRIV-01"] == row["Tier 2"] + 1


async def test_keys_and_clicks_move_over_principles_only(mini_root: Path) -> None:
    _group(mini_root)
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        table = main.query_one(PrincipleTable)
        table.focus()
        table.select_id("HON-01")
        await pilot.pause()
        await pilot.press("down")  # over the "Tier 2" header, straight to PRIV-01
        await pilot.pause()
        assert table.current_id() == "PRIV-01" and main.current == "PRIV-01"
        await pilot.press("up")
        await pilot.pause()
        assert table.current_id() == "HON-01"
        await pilot.press("end")
        await pilot.pause()
        assert table.current_id() == "HELP-01"
        # Widget line 2 is the "Tier 1" header (0: border, 1: column names): a click there selects nothing.
        await pilot.click(PrincipleTable, offset=(3, 2))
        await pilot.pause()
        assert table.current_id() == "HELP-01"
        await pilot.click(PrincipleTable, offset=(3, 3))  # the HARM-01 row under it
        await pilot.pause()
        assert table.current_id() == "HARM-01"
        assert table.row_at(0) is None and table.row_at(1) == 0 and table.line_of(2) == 4


async def test_filter_keeps_the_header_of_a_visible_group(mini_root: Path, screen_text: Callable[..., str]) -> None:
    _group(mini_root)
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        table = main.query_one(PrincipleTable)
        main.query_one("#filter", Input).value = "PRIV-01"
        await pilot.pause()
        assert table.ids == ["PRIV-01"]
        text = screen_text(app)
        assert "Tier 2: people outside the chat" in text and "Tier 1" not in text
        assert table.row_at(0) is None and table.row_at(1) == 0


def _entries(table: PrincipleTable) -> list[str]:
    return [entry if isinstance(entry, str) else table.ids[entry] for entry in table._lines]


async def test_an_unsaved_order_shows_the_headers_where_the_saved_file_will_have_them(mini_root: Path) -> None:
    """A header follows the principle before it, as the file's comments do when entries move."""
    _group(mini_root)
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        table = main.query_one(PrincipleTable)
        table.focus()
        table.select_id("HON-01")
        await pilot.pause()
        await pilot.press("shift+down")  # HON-01 below PRIV-01: the "Tier 2" comment after it moves along
        await pilot.pause()
        unsaved = _entries(table)
        assert unsaved == [
            "Tier 1: serious harm",
            "HARM-01",
            "PRIV-01",
            "HON-01",
            "Tier 2: people outside the chat",
            "HELP-01",
        ]
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not main.studio.dirty
        text = (mini_root / "principles/constitution.yaml").read_text(encoding="utf-8")
        assert text.index("- HON-01") < text.index("# Tier 2") < text.index("- HELP-01")
        assert _entries(table) == unsaved  # read back from the saved file: the same list


async def test_principles_outside_the_order_come_last_under_their_own_header(mini_root: Path) -> None:
    (mini_root / "principles/constitution.yaml").write_text(GROUPED.replace("  - HELP-01\n", ""), encoding="utf-8")
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PrincipleTable)
        assert _entries(table) == [
            "Tier 1: serious harm",
            "HARM-01",
            "HON-01",
            "Tier 2: people outside the chat",
            "PRIV-01",
            UNRANKED,
            "HELP-01",
        ]


async def test_no_group_comments_no_header_lines(mini_root: Path) -> None:
    app = StudioApp(mini_root)  # the fixture's priority list has only an inline comment
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PrincipleTable)
        assert table._lines == [] and [table.row_at(i) for i in range(4)] == [0, 1, 2, 3]


async def test_a_large_constitution_reads_its_headers_off_the_ui_thread(
    mini_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above SYNC_HEADER_LINES the list paints first and the headers follow from a worker."""
    monkeypatch.setattr(state, "SYNC_HEADER_LINES", 1)
    _group(mini_root)
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(PrincipleTable)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table._lines[0] == "Tier 1: serious harm"
        assert table.row_at(0) is None and table.current_id() == "HARM-01"
