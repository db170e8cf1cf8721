"""Versions in the studio on a real temporary git repository: compare with HEAD, history of a principle."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, OptionList

from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.versions import HistoryScreen, VersionsScreen

SIZE = (120, 40)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


async def test_compare_with_head_and_read_history(mini_root: Path, screen_text: Any) -> None:
    git(mini_root, "init", "-q", "-b", "main")
    commit_all(mini_root, "first version")
    path = mini_root / "principles" / "HON-01.yaml"
    path.write_text(path.read_text().replace("invented facts", "made-up facts"))
    commit_all(mini_root, "reword HON-01")
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        # edit in the studio, save, then compare the work tree with HEAD
        await pilot.press("down")
        title = app.screen.query_one("#f-title", Input)
        title.focus()
        await pilot.press("ctrl+e", "!")
        await pilot.press("ctrl+s", "ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, VersionsScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#diff-table", DataTable)
        assert [str(k.value) for k in table.rows] == ["HON-01"]
        assert "fields" in str(table.get_row("HON-01")[1])
        assert "HEAD → work tree" in screen_text(app)
        # compare with the first commit: the rewording shows word by word
        app.screen.compare("HEAD~1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "reworded" in str(table.get_row("HON-01")[1])
        # the columns are sized from their cells when the diff arrives (the header drew the empty
        # table's widths until a later repaint when the table sized them itself)
        for i, column in enumerate(table.ordered_columns):
            cells = [table.get_row_at(r)[i].cell_len for r in range(table.row_count)]
            assert not column.auto_width and column.width == max([len(str(column.label)), *cells])
        diff = app.screen.diff
        change = diff.principle("HON-01")
        assert {op.text.strip() for op in change.words if op.op != "equal"} == {"invented", "made-up"}
        # history of the principle, past version side by side with today's
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        log = app.screen.query_one("#log", DataTable)
        assert log.row_count == 2  # created, reworded (the title edit is not committed)
        log.move_cursor(row=1)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "[-invented-] facts" in text and "{+made-up+} facts" in text  # each side marks its own words
        assert "today" in text


async def test_versions_outside_git_says_so(mini_root: Path, screen_text: Any) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, VersionsScreen)
        assert "git" in screen_text(app).lower()
        await pilot.press("escape")


async def test_compare_includes_unsaved_edits_and_writes_nothing(mini_root: Path, screen_text: Any) -> None:
    git(mini_root, "init", "-q", "-b", "main")
    commit_all(mini_root, "first version")
    before = {p: p.read_bytes() for p in (mini_root / "principles").iterdir()}
    app = StudioApp(mini_root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down")  # HON-01
        title = app.screen.query_one("#f-title", Input)
        title.focus()
        await pilot.press("ctrl+e", "!")  # unsaved
        await pilot.press("ctrl+g")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#diff-table", DataTable)
        assert [str(k.value) for k in table.rows] == ["HON-01"]
        assert "fields" in str(table.get_row("HON-01")[1])
        assert "including 1 unsaved edit" in screen_text(app)
        assert app.studio.dirty  # comparing does not save
    assert {p: p.read_bytes() for p in (mini_root / "principles").iterdir()} == before


async def test_title_change_shows_old_and_new_and_each_commit_is_listed_once(mini_root: Path, screen_text: Any) -> None:
    git(mini_root, "init", "-q", "-b", "main")
    commit_all(mini_root, "first version")
    path = mini_root / "principles/HON-01.yaml"
    path.write_text(path.read_text().replace("title: Do not make things up", "title: Never invent facts"))
    app = StudioApp(mini_root)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+g")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "title: Do not make things up → Never invent facts" in text
        options = app.screen.query_one("#refs", OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["main"]  # the branch; its tip commit is not listed again


def test_word_diff_reads_without_colour() -> None:
    """Markers, not colour alone: a replaced word never runs into its replacement ("abilityany")."""
    from constitution_studio.core.worddiff import word_diff
    from constitution_studio.tui.screens.versions import word_diff_text

    ops = word_diff("increase someone's ability to harm", "increase anyone's means to harm")
    assert word_diff_text(ops).plain == "increase [-someone's ability-]{+anyone's means+} to harm"
    assert word_diff_text(ops, "old").plain == "increase [-someone's ability-] to harm"
    assert word_diff_text(ops, "new").plain == "increase {+anyone's means+} to harm"
    assert word_diff_text(word_diff("ability", "any")).plain == "[-ability-]{+any+}"  # never "abilityany"
    # whitespace alone (a re-wrap) is not marked
    assert word_diff_text(word_diff("a b", "a\nb")).plain == "a\nb"


async def test_versions_at_80_columns_marks_words_sizes_refs_and_shows_the_highlight(
    mini_root: Path, screen_text: Any
) -> None:
    git(mini_root, "init", "-q", "-b", "main")
    commit_all(mini_root, "first version")
    path = mini_root / "principles" / "HON-01.yaml"
    path.write_text(path.read_text().replace("invented facts", "made-up facts"))
    app = StudioApp(mini_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, VersionsScreen)
        text = " ".join(str(screen_text(app)).split())
        assert "[-invented-]{+made-up+}" in text  # the rewording, readable in monochrome
        refs = screen.query_one("#refs-pane")
        assert refs.outer_size.width <= 24  # not half of 80 columns
        options = screen.query_one("#refs", OptionList)
        assert options.highlighted is not None
        highlight = options.get_component_rich_style("option-list--option-highlighted")
        assert highlight.reverse  # visible without colour
    app = StudioApp(mini_root)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one("#refs-pane").outer_size.width == 42
