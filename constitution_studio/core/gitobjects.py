"""Reading many git blobs fast, and caching their parses by blob sha.

GitPython's object database answers one object per round trip to its `git cat-file --batch`
process; on a busy machine that costs ~0.3 ms per blob, most of the time of loading a
1,000-principle version. `read_blobs` sends all the ids at once through one process instead.

Parses are content-addressed (the blob sha), so they are never stale: kept in memory for the
process, and on disk inside the repository's git directory (`.git/cstudio/trees/`), which
is neither the work tree nor the index, so `git status` never shows it. On disk they are
grouped by folder tree (one `marshal` file per tree sha holding its blobs' parses), because
opening one small file per blob costs more than parsing it on slow file systems. Any failure
to use the disk cache only means parsing again.
"""

from __future__ import annotations

import marshal
import os
import subprocess
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import git

_FORMAT = 1


def read_blobs(repo: git.Repo, shas: Iterable[str]) -> dict[str, bytes]:
    """Hex sha -> content for every blob found, through one `git cat-file --batch` (no shell)."""
    wanted = list(dict.fromkeys(shas))
    if not wanted:
        return {}
    proc = repo.git.cat_file("--batch", as_process=True, istream=subprocess.PIPE)
    out, _ = proc.proc.communicate(("\n".join(wanted) + "\n").encode("ascii"))
    found: dict[str, bytes] = {}
    pos = 0
    for sha in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3:  # "<sha> missing"
            continue
        size = int(header[2])
        if header[1] == b"blob":
            found[sha] = out[pos : pos + size]
        pos += size + 1
    return found


class BlobParseCache:
    """Parsed YAML by blob sha in memory (bounded LRU), with per-tree packs on disk.

    Has the `get`/`put` shape `load_workspace` expects of a source's `parse_cache`.
    """

    def __init__(self, folder: Path | None, max_entries: int = 50_000) -> None:
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._folder = folder
        self._max = max_entries
        self._trees_seen: set[str] = set()

    def get(self, relpath: str | None, fingerprint: str) -> Any | None:
        data = self._memory.get(fingerprint)
        if data is not None:
            self._memory.move_to_end(fingerprint)
        return data

    def put(self, relpath: str | None, fingerprint: str, data: Any) -> None:
        self._memory[fingerprint] = data
        if len(self._memory) > self._max:
            self._memory.popitem(last=False)

    def _pack(self, tree_sha: str) -> Path | None:
        return self._folder / f"{tree_sha}.marshal" if self._folder is not None else None

    def load_tree(self, tree_sha: str) -> None:
        """Bring a folder tree's saved parses into memory (once per tree and process)."""
        path = self._pack(tree_sha)
        if path is None or tree_sha in self._trees_seen:
            return
        self._trees_seen.add(tree_sha)
        try:
            stamp, packed = marshal.loads(path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return
        if stamp == _FORMAT and isinstance(packed, dict):
            for sha, data in packed.items():
                if sha not in self._memory:
                    self.put(None, sha, data)

    def save_tree(self, tree_sha: str, blob_shas: list[str]) -> None:
        """Write the parses of a folder tree's blobs, when all of them parsed."""
        path = self._pack(tree_sha)
        if path is None or path.exists():
            return
        packed = {sha: self._memory.get(sha) for sha in blob_shas}
        if any(v is None for v in packed.values()):
            return  # a blob that did not parse is parsed (and reported) again next time
        try:
            blob = marshal.dumps((_FORMAT, packed))
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, path)
        except (OSError, ValueError):
            pass  # read-only repository: only slower


_CACHES: dict[str, BlobParseCache] = {}


def parse_cache_for(repo: git.Repo) -> BlobParseCache:
    """The process-wide parse cache of one repository (shared by all its versions)."""
    key = str(Path(repo.common_dir).resolve())
    if key not in _CACHES:
        _CACHES[key] = BlobParseCache(Path(key) / "cstudio" / "trees")
    return _CACHES[key]
