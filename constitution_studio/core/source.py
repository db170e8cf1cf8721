"""Where a version's files come from: a folder on disk, or (in versions.py) a git tree.

Loading goes through this small interface so that the work tree and any git ref are
validated by exactly the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from constitution_studio.core.parsecache import ParseCache

PRINCIPLES_DIR = "principles"
CASES_DIR = "eval_cases"
CONSTITUTION_FILE = f"{PRINCIPLES_DIR}/constitution.yaml"
WORKTREE = "WORKTREE"


class Source(Protocol):
    """Read-only view of one version of a constitution root."""

    @property
    def label(self) -> str:
        """Human name of the version: WORKTREE, a ref name, a commit."""
        ...

    def list_yaml(self, folder: str) -> list[str]:
        """Root-relative POSIX paths of the *.yaml / *.yml files directly in `folder`, sorted."""
        ...

    def read(self, relpath: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        ...

    def fingerprint(self, relpath: str) -> str | None:
        """Cheap identity of the file's content (git blob id, or size+mtime) for parse caching."""
        ...


class DirSource:
    """The constitution in a folder on disk (the work tree)."""

    def __init__(self, root: Path, label: str = WORKTREE, *, parse_cache: bool = True) -> None:
        self.root = Path(root)
        self._label = label
        self.parse_cache = ParseCache(self.root) if parse_cache else None

    @property
    def label(self) -> str:
        return self._label

    def list_yaml(self, folder: str) -> list[str]:
        base = self.root / folder
        if not base.is_dir():
            return []
        names = sorted(p.name for p in base.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        return [f"{folder}/{name}" for name in names]

    def read(self, relpath: str) -> bytes | None:
        try:
            return (self.root / relpath).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def fingerprint(self, relpath: str) -> str | None:
        try:
            st = (self.root / relpath).stat()
        except FileNotFoundError:
            return None
        return f"{st.st_size}:{st.st_mtime_ns}"
