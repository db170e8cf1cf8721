"""Fixtures for the studio's Pilot tests: a temp copy of a small constitution."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tui_mini"
SIZE = (120, 40)


@pytest.fixture
def mini_root(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/tui_mini (4 principles, 5 cases, comments everywhere)."""
    root = tmp_path / "constitution"
    shutil.copytree(FIXTURE, root)
    return root


def render_screen(app: object) -> str:
    """The current screen as plain text: what the user sees."""
    import io

    from rich.console import Console

    width, height = app.size  # type: ignore[attr-defined]
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))  # type: ignore[attr-defined]
    return console.export_text()


@pytest.fixture
def screen_text() -> object:
    return render_screen
