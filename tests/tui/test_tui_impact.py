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
        # whose gold the row and the detail show: the base's answer key, for the case as a whole
        assert "Base gold" in text
        first = cases.current_id()
        assert first is not None and screen._by_case[first].gold == "violates"
        detail = str(screen.query_one("#impact-detail").render())
        assert "base gold (case): violates" in detail
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
        assert (widths["Base gold"] == 0) == (size[0] == 80)  # the narrow list drops Gold first
        if size[0] != 80:  # a wide one shows labels whole ("B preferred*")
            assert widths["Base gold"] == 12 and widths["Before → after"] == 25
        header = next(line for line in text.splitlines() if "Decided by" in line)
        assert ("Base gold" in header) == (size[0] != 80)


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
        screen.running = True  # as Run all sets it (a cancelled run's late progress is not drawn)
        screen._progressed(0, missing)
        screen.running = False
        detail = str(screen.query_one("#impact-detail", Static).render())
        assert f"loading the critic model {tiny_critic_settings.model}, then {missing} answers to score" in detail
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        report = screen.report
        assert report.requests - report.cached == missing  # what the run asked the model: the same count


async def settle(app: StudioApp, pilot: Any) -> None:
    """Every worker finished, a cancelled one included (wait_for_complete raises on those)."""
    for _ in range(1200):
        if all(w.is_finished for w in app.workers):
            break
        await pilot.pause(0.05)
    await pilot.pause()
    await pilot.pause()


def shown_rows(screen: ImpactScreen) -> dict[str, str]:
    """Each case row as the author reads it: before → after, Δ, decided by, gold."""
    cases = screen.query_one("#impact-cases", RowList)
    return {cid: " | ".join(str(cell) for cell in screen._case_cells(cid)[1:5]) for cid in cases.ids}


@pytest.mark.parametrize("when", ["at once", "after the first answers"])
async def test_cancelling_run_all_leaves_the_view_as_before_plus_what_finished(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any, when: str
) -> None:
    """escape during Run all: the rows, the summary and the next r's count are the cache's (before + finished)."""
    from constitution_studio.core.analysis.impact import missing_requests

    one_at_a_time = tiny_critic_settings.model_copy(update={"batch_tokens": 64})  # a batch per prompt
    app = StudioApp(mini_root, critic_settings=one_at_a_time)
    async with app.run_test(size=SIZE) as pilot:
        await edit_harm(app, pilot)
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.press("r")  # the saved and this edit's answers, all cached now
        await app.workers.wait_for_complete()
        await pilot.press("escape")
        await pilot.pause()
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*" Or in games.")  # a new wording: its answers are not cached
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImpactScreen)
        before = shown_rows(screen)
        assert before and all(not row.startswith("– →") for row in before.values())  # the saved side is known
        todo = missing_requests(screen.report)
        assert todo > 0
        if when == "at once":
            screen.action_run_all()
            screen.action_back()  # escape while it runs: cancelled before or during its first batch
            assert not screen.query_one("#impact-progress").display  # the bar goes at once
            assert shown_rows(screen) == before  # and the rows are as before, at once
        else:
            report = screen._step_progress
            pressed: list[int] = []

            def escape_after_first_answers(run: int, plan: Any, steps: Any, index: int, done: int, total: int) -> None:
                report(run, plan, steps, index, done, total)
                if 0 < done < total:
                    pressed.append(done)
                    if len(pressed) == 2:  # a batch of the model's answers came back after the cache's
                        app.call_from_thread(screen.action_back)  # the author's escape, at this moment

            screen._step_progress = escape_after_first_answers  # type: ignore[method-assign]
            screen.action_run_all()
        await settle(app, pilot)
        assert isinstance(app.screen, ImpactScreen) and not screen.running
        after = shown_rows(screen)
        assert all(not row.startswith("– →") for row in after.values()), after
        # what the view shows is what the cache holds: the same as opening the view again
        left = missing_requests(screen.report)
        assert not screen.report.model_calls and 0 <= left <= todo
        if when != "at once":
            assert 0 < left < todo  # some answers finished, some did not
        text = " ".join(screen_text(app).split())
        if left:
            assert f"({left} critic answers to score)" in text or f"({left} critic answer to score)" in text
        await pilot.press("escape", "f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        again = app.screen
        assert isinstance(again, ImpactScreen)
        assert shown_rows(again) == after
        assert missing_requests(again.report) == left
        # r again counts what is left
        assert again._to_score == 0
        again.action_run_all()
        assert again._to_score == left
        await settle(app, pilot)


async def test_run_all_scores_only_the_edited_principles_cases_in_groups(mini_root: Path, screen_text: Any) -> None:
    """A one-principle edit: Run all asks the judge for HARM-01's linked cases only (the other
    benign cases' over-refusal is read from the cache, and the view says so), in groups whose
    counts add up to the answers the view said were missing."""
    from fixtures.shift_support import ScriptedCritic, stable_noise

    from constitution_studio.core.analysis.impact import missing_requests

    critic = ScriptedCritic(lambda pid, statement, cid, judge: stable_noise(pid, statement, cid, judge))
    app = StudioApp(mini_root, critic_factory=lambda settings, where: critic)
    async with app.run_test(size=SIZE) as pilot:
        await edit_harm(app, pilot)
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImpactScreen)
        missing = missing_requests(screen.report)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        report = screen.report
        assert not report.incomplete and report.model_calls == critic.model_calls == missing
        linked = {c.id for c in app.studio.ws.cases_for("HARM-01")}
        assert {r.case.id for r in critic.requests_seen} == linked  # nothing outside the edit's cases
        first = critic.requests_seen[: 2 * len(linked)]  # the edited principle's own labels come first
        assert {(r.principle_id, r.question, r.variant) for r in first} == {("HARM-01", "verdict", "default")}
        outside = [c for c in app.studio.ws.cases.values() if c.benign and c.id not in linked]
        if outside:  # their over-refusal is the cache's, and the summary says how far it reaches
            every = sum(c.benign for c in app.studio.ws.cases.values())
            reach = f"over-refusal over {every - len(outside)} of {every} benign cases"
            assert reach in " ".join(screen_text(app).split())


async def test_the_critic_note_says_what_the_first_answer_waits_for(mini_root: Path) -> None:
    """From the first moment of a run, before any answer: what the judge is doing, not "0 of N"."""
    from fixtures.shift_support import ScriptedCritic

    critic = ScriptedCritic(lambda *_: 0.5)
    critic.loaded = False
    critic.loading_message = "loading the critic model builtin:smollm2-135m…"
    app = StudioApp(mini_root, critic_factory=lambda settings, where: critic)
    async with app.run_test(size=SIZE):
        main = app.screen
        assert isinstance(main, MainScreen)
        runner = main.critic_runner  # the main screen's critic part owns the run and its note
        runner.running, runner.run_progress = "HARM-01", (0, 4)
        assert runner.progress_note() == "critic on HARM-01: starting the critic… then 4 to score (escape cancels)"
        app.critic()
        assert runner.progress_note() == (
            "critic on HARM-01: loading the critic model builtin:smollm2-135m… then 4 to score (escape cancels)"
        )
        critic.loaded = True
        assert runner.progress_note() == "critic on HARM-01: 0 of 4 scored (escape cancels)"
        runner.running = None
