"""`<root>/.cstudio/`: the tool's own caches beside a constitution, never authoritative.

The folder ignores itself (a `.gitignore` holding `*`), so using the tool never adds
untracked files to `git status` in a user's repository, whatever their own .gitignore says.
"""

from __future__ import annotations

from pathlib import Path

STATE_DIR = ".cstudio"


def ensure_state_dir(root: Path) -> Path:
    """Create `<root>/.cstudio/` with its self-ignoring .gitignore; returns the folder."""
    folder = Path(root) / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Constitution Studio's caches; safe to delete.\n*\n", encoding="utf-8")
    return folder
