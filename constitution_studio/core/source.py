"""Where a version's files come from: a folder on disk, or (in versions.py) a git tree.

Loading goes through this small interface so that the work tree and any git ref are
validated by exactly the same code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from constitution_studio.core.parsecache import ParseCache
from constitution_studio.core.storage.safe_paths import UnsafeFileError, is_inside, read_in_root

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
        """Identity of the file's content (git blob id, or a hash of its bytes) for parse caching."""
        ...


YAML_SUFFIXES = (".yaml", ".yml")


def is_yaml_name(name: str) -> bool:
    """The one rule for which files are constitution files: `*.yaml` or `*.yml`, lower case."""
    return name.endswith(YAML_SUFFIXES) and not name.startswith(".")


def odd_yaml_name(name: str) -> bool:
    """A name that looks like YAML but does not count (`X.YAML`, `X.Yml`): reported, not loaded."""
    return not is_yaml_name(name) and name.lower().endswith(YAML_SUFFIXES) and not name.startswith(".")


class DirSource:
    """The constitution in a folder on disk (the work tree).

    Each file is read once, through the path checks of storage.safe_paths (inside the root,
    regular file, size limit); the bytes are kept, so what the loader parsed and what
    `Workspace.text` returns later are the same bytes, and the parse cache is keyed on a hash
    of exactly those bytes (a same-size edit with its mtime restored is still seen).
    """

    def __init__(self, root: Path, label: str = WORKTREE, *, parse_cache: bool = True) -> None:
        self.root = Path(root)
        self._label = label
        self.parse_cache = ParseCache(self.root) if parse_cache else None
        self._bytes: dict[str, bytes | UnsafeFileError | None] = {}
        self.odd_names: dict[str, list[str]] = {}
        self._folders: dict[str, UnsafeFileError | None] = {}

    @property
    def label(self) -> str:
        return self._label

    def list_yaml(self, folder: str) -> list[str]:
        base = self.root / folder
        if self.folder_problem(folder) is not None or not base.is_dir():
            return []
        names = sorted(p.name for p in base.iterdir())
        self.odd_names[folder] = [n for n in names if odd_yaml_name(n)]
        return [f"{folder}/{name}" for name in names if is_yaml_name(name)]

    def folder_problem(self, folder: str) -> UnsafeFileError | None:
        """Why `principles/` or `eval_cases/` itself must not be read (a symlink out of the root):
        one finding for the folder, instead of one per file in it (whose names are not listed)."""
        if folder not in self._folders:
            problem = None
            if not is_inside(self.root, self.root / folder):
                problem = UnsafeFileError(
                    f"{folder}/ is a symlink to a folder outside the constitution root; nothing in it is read",
                    code="outside-root",
                    path=folder,
                )
            self._folders[folder] = problem
        return self._folders[folder]

    def read(self, relpath: str) -> bytes | None:
        """The file's bytes as first read by this source; UnsafeFileError for what must not be read."""
        if self.folder_problem(relpath.split("/", 1)[0]) is not None:
            return None  # the folder's own finding says why (see folder_problem)
        if relpath not in self._bytes:
            try:
                self._bytes[relpath] = read_in_root(self.root, relpath)
            except UnsafeFileError as exc:
                self._bytes[relpath] = exc
        found = self._bytes[relpath]
        if isinstance(found, UnsafeFileError):
            raise found
        return found

    def fingerprint(self, relpath: str) -> str | None:
        try:
            raw = self.read(relpath)
        except UnsafeFileError:
            return None
        return hashlib.blake2b(raw, digest_size=20).hexdigest() if raw is not None else None
