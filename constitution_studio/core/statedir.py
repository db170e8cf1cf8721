"""`<root>/.cstudio/`: the tool's own state beside a constitution (caches, the write journal).

The folder ignores itself (a `.gitignore` holding `*`), so using the tool never adds
untracked files to `git status` in a user's repository, whatever their own .gitignore says.

A repository from a pull request can ship its own `.cstudio`: a symlink to somewhere else
(the tool would write there), a file, or committed cache contents (poisoned scores or
parses, a journal that would be replayed). `state_dir_problem` is the one check every
read and write of state goes through; when it names a problem the state is not used.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

STATE_DIR = ".cstudio"

_TRACKED_MEMO: dict[tuple[str, int], bool] = {}


def _git_index_stamp(root: Path) -> tuple[Path, int] | None:
    """The git index of the repository holding `root`, and its mtime (None outside git)."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            index = dot_git / "index"
            try:
                return index, index.stat().st_mtime_ns
            except OSError:
                return index, 0
        if dot_git.is_file():  # worktree or submodule: ask git
            return dot_git, -1
    return None


def _tracked(root: Path) -> bool:
    """Whether git tracks anything under `<root>/.cstudio` (memoised per index version)."""
    stamp = _git_index_stamp(root)
    if stamp is None:
        return False
    key = (str(root), stamp[1])
    if stamp[1] >= 0 and key in _TRACKED_MEMO:
        return _TRACKED_MEMO[key]
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        out = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "ls-files", "-z", "--", STATE_DIR],
            cwd=root,
            capture_output=True,
            timeout=10,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    tracked = out.returncode == 0 and bool(out.stdout.strip(b"\0"))
    if stamp[1] >= 0:
        _TRACKED_MEMO[key] = tracked
    return tracked


def state_dir_problem(root: Path, *inside: str) -> str | None:
    """Why `<root>/.cstudio` (and the entries named in `inside`) must not be used; None when trusted.

    Untrusted: `.cstudio` or a named entry is a symlink, `.cstudio` is not a folder, or git
    tracks anything under it (it came with the repository, not from this tool).
    """
    root = Path(root)
    folder = root / STATE_DIR
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        return f"{STATE_DIR} cannot be read ({exc.strerror})"
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            return f"{STATE_DIR} is a symlink"
        if not stat.S_ISDIR(st.st_mode):
            return f"{STATE_DIR} is not a folder"
        for name in inside:
            path = folder / name
            if path.is_symlink():
                return f"{STATE_DIR}/{name} is a symlink"
    if _tracked(root):
        return f"{STATE_DIR} is tracked by git (it came with the repository)"
    return None


def ensure_state_dir(root: Path) -> Path:
    """Create `<root>/.cstudio/` with its self-ignoring .gitignore; returns the folder.

    Callers check `state_dir_problem` first; this raises OSError when it cannot be created.
    """
    folder = Path(root) / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not os.path.lexists(ignore):
        ignore.write_text("# Constitution Studio's caches; safe to delete.\n*\n", encoding="utf-8")
    return folder


def trusted_state_dir(root: Path, *inside: str) -> Path | None:
    """`<root>/.cstudio`, created if needed, or None when it is untrusted or cannot be created."""
    if state_dir_problem(root, *inside) is not None:
        return None
    try:
        return ensure_state_dir(root)
    except OSError:
        return None
