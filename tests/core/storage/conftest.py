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


def snapshot(root: Path) -> dict[str, bytes]:
    """Every constitution file's bytes (what a refused command must leave untouched)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for folder in ("principles", "eval_cases")
        for p in sorted((root / folder).iterdir())
        if p.is_file() and not p.is_symlink()
    }
