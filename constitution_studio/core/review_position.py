"""Where a reviewer stopped in the review queue: `.cstudio/review.json`.

Never authoritative: a missing, unreadable or malformed file, or an untrusted `.cstudio/`
(see statedir), reads as "no position"; a save that cannot be made is skipped silently.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from constitution_studio.core.statedir import STATE_DIR, state_dir_problem, trusted_state_dir
from constitution_studio.core.storage.safe_paths import UnsafeFileError, read_in_root
from constitution_studio.core.yamldoc import atomic_write

POSITION_FILE = "review.json"
_MAX_BYTES = 64 * 1024


class ReviewPosition(BaseModel):
    """The case the reviewer was on and its index in the queue then."""

    case_id: str | None = None
    index: int = 0

    def index_in(self, case_ids: list[str], *, final: bool = True) -> int | None:
        """Where to resume in `case_ids`: the same case when it is still queued, else (on the final
        queue) the same index clamped to the queue; None when there is nothing to resume."""
        if self.case_id is not None and self.case_id in case_ids:
            return case_ids.index(self.case_id)
        if final and case_ids:
            return max(0, min(self.index, len(case_ids) - 1))
        return None


def load_position(root: Path) -> ReviewPosition:
    """The saved position, or the start of the queue when there is none to trust."""
    if state_dir_problem(root, POSITION_FILE) is not None:
        return ReviewPosition()
    try:
        raw = read_in_root(root, f"{STATE_DIR}/{POSITION_FILE}", limit=_MAX_BYTES)
    except (OSError, UnsafeFileError):
        return ReviewPosition()
    if raw is None:
        return ReviewPosition()
    try:
        data = json.loads(raw.decode("utf-8"))
        return ReviewPosition.model_validate(data)
    except (ValueError, ValidationError):
        return ReviewPosition()


def save_position(root: Path, case_id: str | None, index: int) -> bool:
    """Remember where the reviewer is; False when it could not be kept (untrusted `.cstudio/`, I/O)."""
    folder = trusted_state_dir(root, POSITION_FILE)
    if folder is None:
        return False
    data = ReviewPosition(case_id=case_id, index=max(index, 0)).model_dump_json().encode()
    try:
        atomic_write(folder / POSITION_FILE, data)
    except OSError:
        return False
    return True
