"""The impact view (F8 / i): the whole constitution's shift under the unsaved edits, with the tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TextArea

from constitution_studio.core.analysis.impact import SORTS
from constitution_studio.core.models import CriticSettings
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.impact import ImpactScreen
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.widgets.row_list import RowList

SIZE = (120, 40)


async def edit_harm(app: StudioApp, pilot: Any) -> None:
    area = app.screen.query_one("#f-statement", TextArea)
    area.focus()
    area.move_cursor(area.document.end)
    await pilot.press(*" Even fiction.")
    await pilot.pause()


async def test_impact_runs_all_and_shows_cases_of_the_edit(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        await edit_harm(app, pilot)
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImpactScreen)
        assert screen.report is not None and not screen.report.model_calls  # opening reads the cache only
        assert "not scored yet" in screen_text(app) and "press r to run all" in screen_text(app)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        report = screen.report
        assert report.model_calls > 0 and not report.incomplete and not report.cancelled
        cases = screen.query_one("#impact-cases", RowList)
        assert set(cases.ids) == {"mini-001", "mini-002"}  # HARM-01's linked cases
        assert report.principles[0].principle_id == "HARM-01"
        text = screen_text(app)
        assert "Impact of the unsaved edits against the saved files: 2 cases can move" in text
        assert "HARM-01" in text and "Gold agreement" in text
        # the same figures as `cstudio shift` computes: flips counted only when stable
        stable = sum(cs.flipped and cs.stable for cs in report.cases)
        assert report.overall.n_flips_stable == stable
        for cs in report.cases:
            cells = screen._case_cells(cs.case_id)
            highlighted = "yellow" in str(cells[1].style)
            assert highlighted == (cs.flipped and cs.stable)
        # opening again: everything now comes from the cache
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert app.studio.is_dirty("HARM-01")  # the edit is still unsaved, nothing was written
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        again = app.screen
        assert isinstance(again, ImpactScreen)
        assert again.report.model_calls == 0 and not again.report.incomplete


async def test_sort_and_filters(mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        await edit_harm(app, pilot)
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImpactScreen)
        cases = screen.query_one("#impact-cases", RowList)
        await pilot.press("s")
        assert screen.sort == SORTS[1] and "Sort: least certain" in screen_text(app)
        await pilot.press("s")
        assert screen.sort == "gold"
        await pilot.press("b")
        await pilot.pause()
        assert cases.ids == ["mini-002"]  # the benign case
        assert "Benign only: on" in screen_text(app)
        await pilot.press("b", "f")
        await pilot.pause()
        assert all(screen._by_case[c].flipped and screen._by_case[c].stable for c in cases.ids)
        await pilot.press("f", "p")
        await pilot.pause()
        assert screen.keep.principle == "HARM-01" and set(cases.ids) == {"mini-001", "mini-002"}


async def test_impact_key_i_from_the_cases_but_not_while_typing(
    mini_root: Path, tiny_critic_settings: CriticSettings
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and "i" in area.text
        await pilot.press("f4", "i")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ImpactScreen)


async def test_against_a_git_ref(tmp_path: Path, screen_text: Any) -> None:
    from fixtures.shift_support import ScriptedCritic, build_repo, reword_move_add, stable_noise

    root = build_repo(tmp_path / "repo", "scripted", head_edit=reword_move_add)
    critic = ScriptedCritic(lambda pid, statement, cid, judge: stable_noise(pid, statement, cid, judge))
    app = StudioApp(root, critic_factory=lambda settings, where: critic)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, ImpactScreen) and screen.report.cases == []  # no unsaved edit
        await pilot.press("g", *"main", "enter")
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.ref == "main"
        assert screen._bindings.key_to_bindings["g"][0].description == "Against: main"  # footer and help
        report = screen.report
        assert report.priority_changed and {p.principle_id for p in report.principles} >= {"HARM-01"}
        assert "against main" in screen_text(app)
        await pilot.press("g", *"no-such-ref", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "no-such-ref" in screen_text(app)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_decided_by_shows_before_and_after_whole(tmp_path: Path, screen_text: Any, size: tuple[int, int]) -> None:
    """Moving HELP-01 to the top changes the deciding principle: "HARM-01 → HELP-01" is read whole."""
    from fixtures.shift_support import ScriptedCritic, build_repo, reword_move_add, stable_noise

    from constitution_studio.tui.screens.impact_columns import decided_text

    root = build_repo(tmp_path / "repo", "scripted", head_edit=reword_move_add)
    critic = ScriptedCritic(lambda pid, statement, cid, judge: stable_noise(pid, statement, cid, judge))
    app = StudioApp(root, critic_factory=lambda settings, where: critic)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.press("g", *"main", "enter")
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImpactScreen)
        changed = [decided_text(cs) for cs in screen.report.cases if "→" in decided_text(cs)]
        assert changed, "the move changes who decides some case"
        cases = screen.query_one("#impact-cases", RowList)
        first = changed[0]
        for _ in range(len(cases.ids)):
            if decided_text(screen._by_case[cases.current_id()]) == first:
                break
            await pilot.press("down")
        await pilot.pause()
        text = screen_text(app)
        assert first in text  # whole: no "HELP-01 → HAR…"
        widths = dict(cases.columns)
        assert widths["Decided by"] >= len(first)
        assert widths["Gold"] == (0 if size[0] == 80 else 8)  # the narrow list drops Gold first
        header = next(line for line in text.splitlines() if "Decided by" in line)
        assert ("Gold" in header) == (size[0] != 80)


async def test_linked_cases_show_the_labels_a_run_all_scored(
    mini_root: Path, tiny_critic_settings: CriticSettings
) -> None:
    """F8, r, escape: the main screen's linked cases show the labels the run put in the cache."""
    from constitution_studio.tui.widgets.cases_panel import CaseTable

    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        await edit_harm(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        assert all(row.before is None and row.after is None for row in table.rows.values())  # nothing cached yet
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.main.current == "HARM-01"
        rows = list(app.screen.query_one(CaseTable).rows.values())
        assert rows and all(row.before is not None and row.after is not None for row in rows)
        assert all(row.before.cached and row.after.cached for row in rows)


async def test_missing_count_is_what_run_all_scores(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    """The summary's "N critic answers to score" is the run's own count, and the wait says the model loads."""
    from textual.widgets import Static

    from constitution_studio.core.analysis.impact import missing_requests

    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        await edit_harm(app, pilot)
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImpactScreen)
        missing = missing_requests(screen.report)
        assert missing > 0
        assert f"({missing} critic answers to score)" in " ".join(screen_text(app).split())
        # before the first answer the model is loading: said so, with the same count
        screen._to_score = missing
        screen._progressed(0, missing)
        detail = str(screen.query_one("#impact-detail", Static).render())
        assert f"loading the critic model {tiny_critic_settings.model}, then {missing} answers to score" in detail
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        report = screen.report
        assert report.requests - report.cached == missing  # what the run asked the model: the same count
