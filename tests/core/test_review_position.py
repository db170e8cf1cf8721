"""The review position (`.cstudio/review.json`) is core's: saved, resumed, never trusted blindly."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from constitution_studio.core.review_position import POSITION_FILE, ReviewPosition, load_position, save_position
from constitution_studio.core.statedir import STATE_DIR, ensure_state_dir

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    dest = tmp_path / "c"
    # the checked-in fixture may hold a .cstudio/ (parse cache) that tests loading it in place wrote
    shutil.copytree(MINI, dest, ignore=shutil.ignore_patterns(".cstudio"))
    return dest


def test_a_saved_position_resumes_on_the_same_case(root: Path) -> None:
    assert load_position(root) == ReviewPosition()
    assert save_position(root, "help-001", 3)
    where = load_position(root)
    assert where == ReviewPosition(case_id="help-001", index=3)
    assert where.index_in(["a", "help-001", "b"]) == 1
    # the case left the queue: the same place, clamped to the queue (only once the queue is final)
    assert where.index_in(["a", "b"]) == 1
    assert where.index_in(["a", "b"], final=False) is None
    assert where.index_in([]) is None


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b'{"case_id": 5, "index": "x"}', b"\xff\xfe"])
def test_a_damaged_position_file_reads_as_the_start(root: Path, content: bytes) -> None:
    ensure_state_dir(root)
    (root / STATE_DIR / POSITION_FILE).write_bytes(content)
    assert load_position(root) == ReviewPosition()


def test_a_symlinked_state_folder_is_neither_read_nor_written(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / POSITION_FILE).write_text('{"case_id": "planted", "index": 7}')
    os.symlink(elsewhere, root / STATE_DIR)
    assert load_position(root) == ReviewPosition()
    assert not save_position(root, "help-001", 1)
    assert (elsewhere / POSITION_FILE).read_text() == '{"case_id": "planted", "index": 7}'
