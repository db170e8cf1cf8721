"""Text an author can read right: what a probability is of, whose gold it is, trust that fits and agrees."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

from textual.widgets import TextArea
from textual.worker import WorkerCancelled

from constitution_studio.core.models import CriticSettings
from constitution_studio.core.wording import p_arrow
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.widgets.cases_panel import CasesPanel, CaseTable

# a label directly followed by a bare number: "complies 0.25" reads as 25 % sure it complies
LABEL_THEN_NUMBER = re.compile(r"(violates|complies|A better|B better|A preferred|B preferred)\s+0\.\d\d")


async def settle(app: StudioApp, pilot: Any) -> None:
    for _ in range(4):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()


async def edit_and_run(app: StudioApp, pilot: Any, words: str = " Always.") -> None:
    area = app.screen.query_one("#f-statement", TextArea)
    area.focus()
    area.move_cursor(area.document.end)
    await pilot.press(*words)
    await pilot.press("ctrl+t")
    await settle(app, pilot)


async def test_linked_cases_name_what_the_probability_is_of(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await edit_and_run(app, pilot)
        await pilot.press("f4")
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        assert table.ids == ["mini-001", "mini-002"]
        for cid in table.ids:
            row = table.rows[cid]
            assert row.before is not None and row.after is not None
            cells = [str(c) for c in table.get_row(cid)]
            assert cells[2] == row.before.label and cells[3] == row.after.label  # the labels alone
            assert cells[5] == p_arrow(row.before.probability, row.after.probability, "single")  # P(violates) a → b
        text = str(screen_text(app))
        assert "P(violates) 0." in text and "Critic: P saved → edited" in text
        assert not LABEL_THEN_NUMBER.search(text), LABEL_THEN_NUMBER.search(text)


async def test_gold_says_whose_it_is(mini_root: Path, screen_text: Any) -> None:
    cases = mini_root / "eval_cases" / "cases.yaml"
    text = cases.read_text()
    # mini-002 (HARM-01 and HELP-01): gold given for HELP-01 only
    cases.write_text(
        text.replace("    gold: complies\n    benign: true\n", "    gold: {HELP-01: complies}\n    benign: true\n", 1)
    )
    app = StudioApp(mini_root)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        assert str(table.get_row("mini-001")[1]) == "case violates"  # the case as a whole
        other = table.get_row("mini-002")[1]
        assert str(other) == "HELP-01 complies" and other.style == "dim"  # another principle's gold
        assert "Gold (whose)" in str(screen_text(app))
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jump_to("HELP-01")
        await pilot.press("f4")
        await pilot.pause()
        assert str(app.screen.query_one(CaseTable).get_row("mini-002")[1]) == "HELP-01 complies"  # its own


async def test_trust_fits_80_columns_agrees_with_the_principle_line_and_warns_on_zero_flips(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    """With a measured (random-weight, so unknown or untrusted) critic: the title bar's trust is
    whole at 80×24, says it is over all principles, the linked cases' line says its principle's
    own, and an edit that flips nothing says not to act on it."""
    from constitution_studio.cli import main as cli

    constitution = mini_root / "principles" / "constitution.yaml"
    text = constitution.read_text(encoding="utf-8")
    start = text.index("critic:")
    model = tiny_critic_settings.model
    constitution.write_text(text[:start] + f'critic:\n  model: "{model}"\n  device: cpu\n  dtype: float32\n')
    assert cli(["trust", "--root", str(mini_root), "--format", "json"]) == 0  # scores and caches the gold cases
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        report = app.trust.report
        assert report is not None
        level = report.overall.level.value
        assert level in ("unknown", "untrusted")
        title = " ".join(str(screen_text(app)).splitlines()[0].split())
        whole = rf"^⭘ critic trust: {level} overall \(kappa (n/a|[0-9.-]+), {report.overall.n} labels\)"
        assert re.match(whole, title), title  # whole: the name and folder after it are what is cut
        own = report.principle("HARM-01")
        own_level = "unknown" if own is None else own.level.value
        note = app.trust_note("HARM-01")
        assert note.startswith(f"trust, HARM-01 alone: {own_level}")
        await edit_and_run(app, pilot, " Also in fiction.")
        panel = app.screen.query_one(CasesPanel)
        status = str(panel.query_one("#cases-status").render())
        assert not panel.flips  # the tiny model is deterministic: this edit flips nothing
        assert f"0 flips — critic trust {level}: do not act on 0 flips from this critic" in status
        assert str(panel.border_subtitle) == note  # the principle's own trust, on the panel's border
        assert note in str(screen_text(app))  # whole at 80 columns


async def test_trust_advice_on_the_review_queue_does_not_send_you_to_it(
    mini_root: Path, tiny_critic_settings: CriticSettings
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        await settle(app, pilot)
        assert app.screen.id == "review"
        assert app.trust.report is None  # nothing scored: nothing measured, no advice yet
        await pilot.press("r")  # score the queue: trust is measured while the queue is open
        await settle(app, pilot)
        assert app.trust.report is not None
        advice = [n.message for n in app._notifications if "may be noise" in n.message]
        assert advice and all("F9" not in m and "review queue" not in m for m in advice), advice
        assert "record human verdicts here" in advice[0]


async def test_impact_at_80x24_keeps_press_r_and_warns_only_on_counted_flips(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    """Seen in tmux: the 0-flips warning pushed "press r to run all" out of the 4-line summary."""
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*" Even in fiction.", "f8")
        await settle(app, pilot)
        text = " ".join(str(screen_text(app)).split())
        assert "press r to run all" in text and "do not act on 0 flips" not in text  # nothing counted yet
        await pilot.press("r")
        await settle(app, pilot)
        text = " ".join(str(screen_text(app)).split())
        assert "not scored yet" not in text
        assert ("do not act on 0 flips from this critic" in text) == (app.screen.report.overall.n_flips_stable == 0)
