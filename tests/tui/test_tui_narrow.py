"""80×24: the trust level in the title bar, the flips-only state in the footers, "no flips" when none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import TextArea

from constitution_studio.core.models import CriticSettings
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.impact import ImpactScreen


def lines(screen_text: Any, app: StudioApp) -> list[str]:
    return str(screen_text(app)).splitlines()


async def test_80x24_shows_trust_flips_state_and_no_flips(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "critic trust:" in lines(screen_text, app)[0]  # first: the name and folder are cut instead
        await pilot.press("f4", "f")
        await pilot.pause()
        text = lines(screen_text, app)
        assert "f Flips only: on" in text[-1]
        assert any("no flips — f shows all" in line for line in text)  # not an empty list
        await pilot.press("f")
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*" Even fiction.")
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ImpactScreen)
        assert "f Flips only: off" in lines(screen_text, app)[-1]
        await pilot.press("f")
        await pilot.pause()
        text = lines(screen_text, app)
        assert "f Flips only: on" in text[-1] and "esc Back " in text[-1]
        assert any(line.strip() == "no flips" for line in text)
        # the keys the narrow footer leaves out still work and are on the help screen (F1)
        from constitution_studio.tui.screens.help import help_sections

        listed = {b.key for _, bindings in help_sections(app) for b in bindings}
        assert {"b", "p", "g"} <= listed
        await pilot.press("b")
        await pilot.pause()
        assert app.screen.keep.benign


async def test_160_columns_keep_the_wide_title_and_footer(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        title = lines(screen_text, app)[0]
        assert title.index("Mini Constitution v0.1") < title.index("critic trust:")
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        footer = lines(screen_text, app)[-1]
        assert "esc Back / cancel" in footer and "b Benign only: off" in footer
        # F9/F10 are always drawn; "g Against: saved" (its default) gives way to them at 160 columns
        assert "f9 Review" in footer and "f10 Trust" in footer
