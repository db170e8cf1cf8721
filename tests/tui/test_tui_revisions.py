"""The case detail shows what `cstudio revise` recorded for the case (core/export/revision_record.py).

A real `revise` (core's loop and record; the scripted judge of shift_support, and a scripted
generator whose texts are known, one of them with a terminal escape) runs on a repository; the
studio then opens the case from the cases pane with Enter, at 80x24.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fixtures.revise_support import revise_table, revised_repo
from fixtures.shift_support import ScriptedCritic

from constitution_studio.core.export.revision_record import revisions_for_case
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.case_detail import CaseScreen
from constitution_studio.tui.widgets.cases_panel import CaseTable

SIZE = (80, 24)


async def open_case(app: StudioApp, pilot: Any, case_id: str, *, find: bool = True) -> CaseScreen:
    if find:  # HARM-01 in the principle list (back from a case, the cases pane has the focus)
        await pilot.press(*"HARM-01")
        await pilot.press("enter")  # filter -> list
        await pilot.pause()
    table = app.screen.query_one(CaseTable)
    table.focus()
    for key in ["home"] + ["down"] * 10:
        if table.current_id() == case_id:
            break
        await pilot.press(key)
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, CaseScreen) and screen.case.id == case_id
    return screen


async def test_case_detail_shows_rounds_labels_and_accepted_round(tmp_path: Path, screen_text: Any) -> None:
    root = revised_repo(tmp_path / "repo")
    assert revisions_for_case(root, "harm-1").revisions[0].row.accepted_round == 2
    critic = ScriptedCritic(revise_table, warm=True)
    app = StudioApp(root, critic_factory=lambda settings, where: critic)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, "harm-1")
        assert screen.revisions is not None and len(screen.revisions.revisions) == 1
        body = screen.query_one("#case-body")
        seen = ""
        for _ in range(30):  # scroll through the whole detail, collecting what is shown
            seen += screen_text(app)
            if body.scroll_y >= body.max_scroll_y:
                break
            body.scroll_page_down(animate=False)
            await pilot.pause()
        assert "Revisions (cstudio revise): 1 recorded run" in seen
        assert "HARM-01 · accepted in round 2" in seen
        assert "Round 1 · not accepted" in seen and "Round 2 · accepted" in seen
        assert "Critique 2: it gives uplift." in seen and "Revision number 1: I can't help" in seen
        assert "Revision number 2: I can't help build weapons." in seen
        # the judge's labels, worded by core/wording.py: the principle's own P(violates) named
        assert "HARM-01: violates, P(violates) 0.80" in seen
        assert "HARM-01: complies, P(violates) 0.20" in seen
        assert "the current wording" in seen
        assert "generator: in-process scripted-writer (greedy)" in seen and "judge: scripted" in seen
        # generated text is hostile: the escape is shown escaped, never sent to the terminal
        assert "Critique 1: it gives uplift.\\x1b[2J" in seen


async def test_never_complied_and_the_empty_state(tmp_path: Path, screen_text: Any) -> None:
    root = revised_repo(tmp_path / "repo")
    critic = ScriptedCritic(revise_table, warm=True)
    app = StudioApp(root, critic_factory=lambda settings, where: critic)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, "harm-3")
        screen.query_one("#case-revisions").scroll_visible(animate=False)
        await pilot.pause()
        assert "never complied after 2 rounds" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        screen = await open_case(app, pilot, "harm-2", find=False)  # the judge says it complies: never revised
        screen.query_one("#case-revisions").scroll_visible(animate=False)
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "no revisions yet — cstudio revise --case harm-2 --out DIR" in text
