"""Paths inside one commit's tree, with symlinks followed the way the file system follows them.

Git stores a symlink as a blob (mode 120000) holding its target. A version read from git
objects must see a symlinked file or folder as the work tree does: the target's content,
when the target is inside the tree, and "outside" when it leaves it (an absolute target, or
`..` past the top). Nothing here touches the work tree or the index.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

import git

TREE_MODE = 0o040000
SUBMODULE_MODE = 0o160000
LINK_MODE = 0o120000
MAX_HOPS = 40  # symlinks followed in one path before it counts as a loop (as the kernel's ELOOP)


@dataclass(frozen=True)
class Resolved:
    """Where a path lands. `path` is repository-relative for blob and tree; for outside, the
    link target (absolute, or relative to the repository top and starting with `..`)."""

    kind: Literal["blob", "tree", "outside", "missing"]
    path: str = ""
    sha: str | None = None
    mode: int | None = None


def kind_of(mode: int) -> str:
    m = mode & 0o170000
    return {TREE_MODE: "tree", SUBMODULE_MODE: "submodule", LINK_MODE: "link"}.get(m, "blob")


class TreeResolver:
    """Resolve paths of one commit, following symlinks stored in the tree."""

    def __init__(self, repo: git.Repo, commit: str) -> None:
        self._repo = repo
        self._root: Any = repo.commit(commit).tree
        self._trees: dict[tuple[str, ...], Any] = {(): self._root}
        self._links: dict[str, str] = {}

    def _tree_at(self, parts: tuple[str, ...]) -> Any:
        return self._trees.get(parts)

    def _entry(self, tree: Any, name: str) -> tuple[bytes, int] | None:
        for binsha, mode, entry_name in tree._cache:  # (binsha, mode, name), no object per entry
            if entry_name == name:
                return binsha, mode
        return None

    def _link_target(self, binsha: bytes) -> str:
        key = binsha.hex()
        if key not in self._links:
            self._links[key] = self._repo.odb.stream(binsha).read().decode("utf-8", "surrogateescape")
        return self._links[key]

    def resolve(self, path: str) -> Resolved:
        """Follow `path` (repository-relative POSIX) through the tree and its symlinks."""
        pending = deque(PurePosixPath(path).parts)
        done: tuple[str, ...] = ()
        hops = 0
        last: tuple[bytes, int] | None = None
        while pending:
            part = pending.popleft()
            if part in ("", "."):
                continue
            if part == "..":
                if not done:
                    rest = "/".join(pending)
                    return Resolved("outside", str(PurePosixPath("..", rest)) if rest else "..")
                done = done[:-1]
                last = None
                continue
            tree = self._tree_at(done)
            if tree is None:
                return Resolved("missing", "/".join((*done, part, *pending)))
            found = self._entry(tree, part)
            if found is None:
                return Resolved("missing", "/".join((*done, part, *pending)))
            binsha, mode = found
            if kind_of(mode) == "link":
                hops += 1
                if hops > MAX_HOPS:
                    return Resolved("missing", "/".join((*done, part)))
                target = self._link_target(binsha)
                if target.startswith("/"):
                    return Resolved("outside", str(PurePosixPath(target, *pending)))
                pending.extendleft(reversed(PurePosixPath(target).parts))
                last = None
                continue
            done = (*done, part)
            last = found
            if kind_of(mode) == "tree":
                self._trees[done] = self._repo.tree(binsha.hex())
        where = "/".join(done)
        if last is None:  # the top itself, or a folder reached again through `..`
            tree = self._tree_at(done)
            return Resolved("tree", where, tree.hexsha if tree is not None else None, TREE_MODE)
        binsha, mode = last
        kind = kind_of(mode)
        if kind == "submodule":
            return Resolved("missing", where)
        return Resolved("tree" if kind == "tree" else "blob", where, binsha.hex(), mode)

    def listing(self, folder: str) -> list[tuple[str, bytes, int]]:
        """(name, binsha, mode) of the entries directly in the folder `folder` resolves to."""
        found = self.resolve(folder)
        if found.kind != "tree":
            return []
        tree = self._tree_at(tuple(PurePosixPath(found.path).parts))
        if tree is None:
            return []
        return [(name, binsha, mode) for binsha, mode, name in tree._cache]
