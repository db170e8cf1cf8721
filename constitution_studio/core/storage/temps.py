"""Temp files a killed writer left beside their targets, and removing them.

Every write goes to `.NAME.<12 hex>.cstudio-tmp` beside its target first. A single-file write
(`move`) needs no journal, so a kill -9 between creating the temp and renaming it leaves the
temp for good, and `git status` shows it. The next command removes such files, but only in
`principles/` and `eval_cases/`, only regular files or links with exactly the tool's own name
pattern, and only while it holds the constitution's lock (no writer of ours is mid-way then).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from constitution_studio.core.storage.locking import LockTimeoutError, constitution_lock

TMP_NAME = re.compile(r"^\.[^/]+\.[0-9a-f]{12}\.cstudio-tmp$")
TEMP_DIRS = ("principles", "eval_cases")


def _leftovers(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder in TEMP_DIRS:
        base = root / folder
        if base.is_symlink() or not base.is_dir():
            continue
        try:
            with os.scandir(base) as entries:
                for entry in entries:
                    if entry.name.endswith(".cstudio-tmp") and TMP_NAME.match(entry.name):
                        mode = entry.stat(follow_symlinks=False).st_mode
                        if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
                            found.append(Path(entry.path))
        except OSError:
            continue
    return found


def sweep_stale_temps(root: Path, keep: frozenset[str] = frozenset()) -> int:
    """Remove leftover temp files (not those named in `keep`, relpaths); how many were removed.

    Skipped when another writer holds the lock: its temps are live.
    """
    if not _leftovers(root):
        return 0
    removed = 0
    try:
        with constitution_lock(root, timeout=0):
            for path in _leftovers(root):
                if os.path.relpath(path, root) in keep:
                    continue
                try:
                    path.unlink()
                    removed += 1
                except OSError:
                    pass
    except (LockTimeoutError, OSError):
        return 0
    return removed
