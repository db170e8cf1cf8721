"""The review queue screen (F9): the critic's verdicts worth a look, recorded as gold; skip, undo, resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from constitution_studio.core.analysis.review import REASONS
from constitution_studio.core.models import CriticSettings
from constitution_studio.core.workspace import load_root
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.modals import Choice
from constitution_studio.tui.screens.review import ReviewScreen

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def reviewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada Reviewer\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


async def open_scored(app: StudioApp, pilot: Any) -> ReviewScreen:
    await pilot.press("f9")
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    await pilot.press("r")  # score what the cache lacks
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
    return screen


async def test_record_skip_undo_and_resume(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    cases_file = mini_root / "eval_cases" / "cases.yaml"
    original = cases_file.read_text()
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scored(app, pilot)
        assert screen.unscored == 0 and screen.items
        reasons = [i.reason for i in screen.items]
        assert reasons == sorted(reasons, key=REASONS.index)
        assert screen.reviewer == "Ada Reviewer" and "reviewer: Ada Reviewer" in screen.sub_title
        first = screen.item
        text = screen_text(app)
        assert f"Case 1 of {len(screen.items)}" in text and first.case_id in text
        assert "critic: " in text and "This case" in text and "Conversation" in text
        case = app.studio.ws.cases[first.case_id]
        assert isinstance(case.gold, str)  # every mini case has gold: a verdict replaces it, asking first
        label = {"violates": "complies", "complies": "violates", "a": "b", "b": "a"}[case.gold]
        # a note, then the verdict
        await pilot.press("n", *"checked by hand", "enter")
        await pilot.press(label[0])
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        await pilot.click("#replace")
        await pilot.pause()
        assert screen.index == 1
        written = cases_file.read_text()
        assert written != original
        changed = [line for line in written.splitlines() if line not in original.splitlines()]
        assert any(line.strip().startswith(f"gold: {label}  # reviewed by Ada Reviewer, ") for line in changed)
        assert any("note: checked by hand (reviewed by Ada Reviewer" in line for line in changed)
        assert original.splitlines()[0] in written  # the file's comment is kept
        assert load_root(mini_root).cases[first.case_id].gold == label
        assert app.studio.ws.cases[first.case_id].gold == label
        # skip, then undo goes back to the recorded case and restores the file byte for byte
        await pilot.press("s")
        assert screen.index == 2
        await pilot.press("u")
        await pilot.pause()
        assert cases_file.read_text() == original and screen.index == 0
        # leave on the second case; opening again resumes there
        await pilot.press("s", "escape")
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        again = app.screen
        assert isinstance(again, ReviewScreen) and again.item.case_id == screen.items[1].case_id


async def test_per_principle_scope(mini_root: Path, tiny_critic_settings: CriticSettings) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scored(app, pilot)
        # o: the whole case, then each linked principle in priority order, then the whole case again
        linked = [lv.principle_id for lv in screen.item.linked]
        for pid in [*linked, None]:
            await pilot.press("o")
            assert screen.scope == pid
        cases_file = mini_root / "eval_cases" / "cases.yaml"
        text = cases_file.read_text()
        for cid in ("mini-001", "mini-002"):
            case = app.studio.ws.cases[cid]
            app.studio.ws.cases[cid] = case.model_copy(update={"gold": None})
        cases_file.write_text(
            text.replace("    gold: violates\n", "", 1).replace("    gold: complies\n    benign", "    benign", 1)
        )
        await pilot.press("escape", "f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        ids = [i.case_id for i in screen.items]
        assert "mini-002" in ids  # no gold now: "uncertain"
        screen.index = ids.index("mini-002")
        screen.show()
        await pilot.press("o")
        assert screen.scope == "HARM-01"
        await pilot.press("v")
        await pilot.pause()
        assert load_root(mini_root).cases["mini-002"].gold == {"HARM-01": "violates"}


async def test_footer_offers_the_verdicts_that_apply_and_a_replaced_gold_is_named(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scored(app, pilot)
        kinds = set()
        for _ in range(len(screen.items)):
            case = app.studio.ws.cases[screen.item.case_id]
            kinds.add(case.kind)
            footer = screen_text(app).splitlines()[-1]
            single = case.kind == "single"
            assert ("v Violates" in footer and "c Complies" in footer) == single, footer
            assert ("a A preferred" in footer and "b B preferred" in footer) == (not single), footer
            await pilot.press("s")
            await pilot.pause()
        assert kinds == {"single", "pair"}  # tui_mini's queue has both kinds
        for _ in range(len(screen.items)):  # back to a case whose gold a verdict would replace
            await pilot.press("left")
            await pilot.pause()
            if app.studio.ws.cases[screen.item.case_id].gold in ("complies", "violates"):
                break
        case = app.studio.ws.cases[screen.item.case_id]
        other = "violates" if case.gold == "complies" else "complies"
        await pilot.press(other[0])
        await pilot.pause()
        assert isinstance(app.screen, Choice)  # replacing gold asks first
        await pilot.click("#replace")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(f"{case.id}: gold (case): {case.gold} → {other}" in m for m in messages), messages
