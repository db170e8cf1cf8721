"""The trust history panel (F10): kappa per principle over the commits that changed principles or gold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fixtures.shift_support import build_repo, reword_move_add

from constitution_studio.core.models import CriticSettings
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.trust_history import TrustHistoryScreen
from constitution_studio.tui.widgets.row_list import RowList


async def test_trust_history_reads_cache_then_runs_all(
    tmp_path: Path, tiny_model_dir: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    root = build_repo(tmp_path / "repo", str(tiny_model_dir), head_edit=reword_move_add)
    app = StudioApp(root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrustHistoryScreen)
        assert [p.subject for p in screen.history.points] == ["head", "base"]
        assert screen.history.model_calls == 0  # opening reads the cache only
        assert "not scored at some commits: press r to run all" in screen_text(app)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        history = screen.history
        assert history.model_calls > 0 and all(p.unscored == 0 for p in history.points)
        rows = screen.query_one(RowList)
        assert rows.ids == ["(overall)", "HELP-01", "HARM-01", "HON-01"]  # head's priority order
        text = screen_text(app)
        assert "over the last 2 commits" in text and "agreement (kappa)" in text and "human labels" in text
        overall = [str(c) for c in screen._cells("(overall)")]
        assert overall[4] == "11" and len(overall[1]) == 2  # n at head; one mark per commit
        await pilot.press("escape")
        assert not isinstance(app.screen, TrustHistoryScreen)


async def test_trust_history_outside_git_says_what_it_needs(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f10")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, TrustHistoryScreen)
        text = " ".join(screen_text(app).split())
        assert "no git history: trust over commits reads git history" in text
        assert "bad ref" not in text and "WORKTREE" not in text
