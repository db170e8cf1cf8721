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
