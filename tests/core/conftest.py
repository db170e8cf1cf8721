"""Fixtures for the core tests: a throwaway git repository per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_versions_gitrepo import GitRepo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")
