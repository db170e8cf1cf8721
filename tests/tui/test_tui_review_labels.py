"""The review queue labels what it shows (issue 19): every linked principle, who decides, the note and
the gold now; a verdict for one principle or the whole case, as the reviewer says; replacing gold asks
first and says old → new; an empty queue with nothing scored says so; trust moves with the verdicts."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from fixtures.shift_support import build_repo
from textual.worker import WorkerCancelled

from constitution_studio.core.models import CriticSettings
from constitution_studio.core.wording import label_word
from constitution_studio.core.workspace import load_root
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.modals import Choice
from constitution_studio.tui.screens.review import ReviewScreen
from constitution_studio.tui.screens.trust_history import TrustHistoryScreen

BIG = (160, 60)  # the whole item on screen
OTHER = {"violates": "complies", "complies": "violates", "a": "b", "b": "a"}
NOTE = "HELP-01 is the one that matters here."


@pytest.fixture(autouse=True)
def reviewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada Reviewer\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


async def settle(app: StudioApp, pilot: Any) -> None:
    for _ in range(4):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()


async def open_scored(app: StudioApp, pilot: Any) -> ReviewScreen:
    await pilot.press("f9")
    await settle(app, pilot)
    await pilot.press("r")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, ReviewScreen) and screen.items
    return screen


def without_gold_with_note(root: Path) -> Path:
    """mini-002 (HARM-01 and HELP-01) loses its gold and gets a note: it heads the queue (no gold yet)."""
    cases = root / "eval_cases" / "cases.yaml"
    text = cases.read_text()
    cases.write_text(text.replace("    gold: complies\n    benign: true\n", f"    note: {NOTE}\n    benign: true\n", 1))
    return cases


async def test_an_item_shows_every_linked_principle_who_decides_the_note_and_the_gold(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    without_gold_with_note(mini_root)
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=BIG) as pilot:
        screen = await open_scored(app, pilot)
        item = screen.item
        assert item is not None and item.case_id == "mini-002" and item.reason == "uncertain"
        text = " ".join(str(screen_text(app)).split())
        assert f"note: {NOTE}" in text and "gold now: no gold" in text
        assert f"who decides: {item.decision}" in " ".join(text.split())
        ws = app.studio.ws
        for lv in item.linked:  # both linked principles: title, wording, the critic's verdict and P for it
            assert lv.principle_id in ("HARM-01", "HELP-01") and lv.probability is not None
            assert f"{lv.principle_id} {ws.principles[lv.principle_id].title}" in text
            assert " ".join(ws.principles[lv.principle_id].statement.split()) in text
            assert f"sure the response violates {lv.principle_id})" in text
        assert len(item.linked) == 2
        assert "decides the case" in text
        assert "your verdict is for: the case as a whole" in text
        # a case with gold says whose it is
        for i, it in enumerate(screen.items):
            if isinstance(app.studio.ws.cases[it.case_id].gold, str):
                screen.index = i
                screen.show()
                await pilot.pause()
                gold = app.studio.ws.cases[it.case_id].gold
                shown = " ".join(str(screen_text(app)).split())
                assert f"gold now: gold (case): {label_word(str(gold))}" in shown
                break
        else:
            pytest.fail("no case with gold for the case as a whole in the queue")


async def test_a_verdict_per_principle_is_per_principle_gold(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    cases = without_gold_with_note(mini_root)
    original = cases.read_bytes()
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=BIG) as pilot:
        screen = await open_scored(app, pilot)
        assert screen.item is not None and screen.item.case_id == "mini-002"
        await pilot.press("o")  # for HARM-01 alone
        assert screen.scope == "HARM-01"
        assert "your verdict is for: HARM-01 only" in " ".join(str(screen_text(app)).split())
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)  # nothing replaced: nothing asked
        assert load_root(mini_root).cases["mini-002"].gold == {"HARM-01": "complies"}
        assert app.studio.ws.cases["mini-002"].gold == {"HARM-01": "complies"}
        assert any("mini-002: gold (HARM-01): none → complies" in n.message for n in app._notifications)
        await pilot.press("left", "o", "o")  # back; HELP-01's turn
        assert screen.scope == "HELP-01"
        await pilot.press("v")
        await pilot.pause()
        assert load_root(mini_root).cases["mini-002"].gold == {"HARM-01": "complies", "HELP-01": "violates"}
        await pilot.press("u", "u")  # undo both: the file as it was, byte for byte
        await pilot.pause()
        assert cases.read_bytes() == original


async def test_replacing_gold_asks_first_and_says_old_to_new(
    mini_root: Path, tiny_critic_settings: CriticSettings
) -> None:
    cases = mini_root / "eval_cases" / "cases.yaml"
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=BIG) as pilot:
        screen = await open_scored(app, pilot)
        index = next(i for i, it in enumerate(screen.items) if isinstance(app.studio.ws.cases[it.case_id].gold, str))
        screen.index = index
        screen.show()
        cid = screen.items[index].case_id
        old = str(app.studio.ws.cases[cid].gold)
        new = OTHER[old]
        said = f"{cid}: gold (case): {label_word(old)} → {label_word(new)}"
        before = cases.read_bytes()
        await pilot.press(new[0])
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, Choice) and modal.id == "confirm-replace-gold"
        assert said in modal.body
        await pilot.press("escape")  # keep the gold
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and screen.index == index
        assert cases.read_bytes() == before and load_root(mini_root).cases[cid].gold == old
        await pilot.press(new[0])
        await pilot.pause()
        await pilot.click("#replace")
        await pilot.pause()
        assert load_root(mini_root).cases[cid].gold == new
        assert any(said in n.message for n in app._notifications)
        # a verdict for one principle on a case with gold for the whole case replaces that kind of gold
        screen.index = index
        screen.show()
        await pilot.press("o")
        pid = screen.scope
        assert pid is not None
        await pilot.press(old[0])
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, Choice)
        assert "for the case as a whole; a verdict for" in modal.body and "per-principle gold" in modal.body
        await pilot.press("escape")
        await pilot.pause()
        assert load_root(mini_root).cases[cid].gold == new


async def test_an_empty_queue_with_nothing_scored_says_so_and_what_a_run_takes(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f9")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and not screen.items
        assert screen.unscored == len(app.studio.ws.cases) and screen.answers_needed > 0
        text = " ".join(str(screen_text(app)).split())
        assert f"Nothing scored yet — press r (about {screen.answers_needed} critic answers)" in text
        assert "nothing to review" not in text.lower()
        # while Run all scores and no case is in yet, the line says what is under way, not "press r"
        screen.running = True
        screen._progressed(3, 40)
        await pilot.pause()
        text = " ".join(str(screen_text(app)).split())
        assert "Scoring the queue: 3 of 40 critic answers" in text and "press r" not in text
        await pilot.press("escape")  # stops the run: the empty state and its count again
        await pilot.pause()
        assert not screen.running and app.screen is screen
        assert "Nothing scored yet — press r" in " ".join(str(screen_text(app)).split())


async def test_trust_moves_with_the_verdicts(
    tmp_path: Path, tiny_model_dir: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    """A verdict recorded in F9: the title bar and F10 show trust before → after the uncommitted gold."""
    root = build_repo(tmp_path / "repo", str(tiny_model_dir))  # committed; mix-3 has no gold
    app = StudioApp(root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_scored(app, pilot)
        assert app.trust.change is None  # no gold changed since the commit
        ids = [i.case_id for i in screen.items]
        screen.index = ids.index("mix-3")
        screen.show()
        await pilot.press("c")
        await settle(app, pilot)
        change = app.trust.change
        assert change is not None and change.changed == ["mix-3"]
        assert change.after.n == change.before.n + 1
        noise = "within noise" if change.within_noise else "outside the old interval"
        title = str(screen_text(app)).splitlines()[0]  # the review queue's own title bar
        assert "reviewer: Ada Reviewer · trust " in title and f", {noise})" in title
        assert "1 uncommitted gold change: kappa" in app.trust.headline()  # the main screen's
        await pilot.resize_terminal(80, 24)  # narrow: the name and the kappa's move, whole
        await settle(app, pilot)
        narrow = str(screen_text(app)).splitlines()[0]
        before, after = change.before.kappa.value, change.after.kappa.value
        moved = f"kappa {'n/a' if before is None else f'{before:.2f}'} → {'n/a' if after is None else f'{after:.2f}'}"
        assert "review · Ada Reviewer · " in narrow and moved in narrow and "…" not in narrow
        await pilot.resize_terminal(160, 48)
        await settle(app, pilot)
        await pilot.press("f10")
        await settle(app, pilot)
        assert isinstance(app.screen, TrustHistoryScreen)
        text = str(screen_text(app))
        assert "work tree: trust with 1 uncommitted gold change (vs HEAD)" in text
