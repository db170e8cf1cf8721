"""The one rule for paths in output: relative to the top of the repository that holds the constitution.

Findings, annotations, SARIF results, import reports and text output name files the same
way, `policy/principles/HARM-01.yaml` for a constitution in `policy/`, because that is what
GitHub annotations and SARIF need (paths from the repository's top) and what a person in the
repository's top can open. Outside a git repository the constitution's root is the top.
The repository's top is found by looking for `.git` (a folder, or the file of a worktree or
submodule) at or above the root; git is not run.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def repo_top(root: Path) -> Path:
    """The nearest folder at or above `root` holding `.git`, else `root` itself."""
    real = Path(os.path.realpath(root))
    for folder in (real, *real.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return real


def repo_prefix(root: Path) -> str:
    """The constitution root relative to the repository's top (POSIX), or '' when it is the top."""
    real = Path(os.path.realpath(root))
    rel = real.relative_to(repo_top(real))
    return "" if str(rel) == "." else rel.as_posix()


def shown(prefix: str, relpath: str) -> str:
    """A root-relative path as output shows it (relative to the repository's top)."""
    return str(PurePosixPath(prefix) / relpath) if prefix and relpath else relpath
