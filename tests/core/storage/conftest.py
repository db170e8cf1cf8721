"""A fresh copy of the mini constitution per test, and a helper to run the CLI in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

MINI = Path(__file__).parents[2] / "fixtures" / "mini"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns(".cstudio"))
    return root
