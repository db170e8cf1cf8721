"""Snapshots at 160×48 (main, impact, review, versions) and of the versions screen at 80×24.

With the 80×24 and 120×40 snapshots of test_tui_snapshots.py and test_tui_analysis_snapshots.py,
each of these screens is pinned at a small and a wide terminal. Update after an intended visual
change with `pytest tests/tui/test_tui_snapshots_sizes.py --snapshot-update`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from constitution_studio.tui.app import StudioApp
from tests.tui.test_tui_analysis_snapshots import app_for, impact_after_run, review_after_run
from tests.tui.test_tui_snapshots import no_blink

WIDE = (160, 48)
SMALL = (80, 24)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def reviewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada Reviewer\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def reworded_repo(root: Path) -> Path:
    """The mini constitution committed once, then HON-01 reworded in the work tree."""
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "first version"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    path = root / "principles" / "HON-01.yaml"
    path.write_text(path.read_text().replace("invented facts, quotes", "made-up facts, quotes"))
    return root


async def versions_open(pilot: Pilot[Any]) -> None:
    await pilot.press("down", "ctrl+g")
    # the screen loads in a worker, then the diff table sizes its columns on the refresh after its
    # rows arrive: settle several times, with time between, so a loaded machine draws the same frame
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.1)


def test_main_screen_160x48(mini_root: Path, snap_compare: Any) -> None:
    assert snap_compare(StudioApp(mini_root), terminal_size=WIDE, run_before=no_blink)


def test_impact_view_160x48(mini_root: Path, snap_compare: Any) -> None:
    assert snap_compare(app_for(mini_root), terminal_size=WIDE, run_before=impact_after_run)


def test_review_screen_160x48(mini_root: Path, snap_compare: Any) -> None:
    assert snap_compare(app_for(mini_root), terminal_size=WIDE, run_before=review_after_run)


@pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "160x48"])
def test_versions_screen(mini_root: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(StudioApp(reworded_repo(mini_root)), terminal_size=size, run_before=versions_open)
