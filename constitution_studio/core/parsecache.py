"""On-disk cache of parsed YAML, so a 50,000-case constitution opens in well under a second.

libyaml parses fast, but building Python objects from its events is slow (about 5 s for
50,000 cases). The cache keeps each file's parsed data as `marshal` bytes under
`.cstudio/parsed/`, keyed by the file's path and checked against a hash of its bytes (so an
edit that keeps the size and restores the mtime is never missed). It only ever saves work:
a miss, a stale entry or an unreadable cache file means parsing the file as usual. Nothing
here is authoritative, and nothing is read or written when `.cstudio/` is untrusted
(`statedir.state_dir_problem`): `marshal` data from a repository is never loaded.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path
from typing import Any

from constitution_studio.core.statedir import STATE_DIR, trusted_state_dir

_FORMAT = 2  # 2: keyed on a content hash


class ParseCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / STATE_DIR / "parsed"
        self._trusted: bool | None = None
        self._made = False

    def trusted(self) -> bool:
        if self._trusted is None:
            # trusted_state_dir: an unmarked (copied) folder is set aside and marked, see statedir
            self._trusted = trusted_state_dir(self.root, "parsed") is not None
        return self._trusted

    def _entry(self, relpath: str) -> Path:
        return self.folder / (hashlib.sha1(relpath.encode()).hexdigest()[:20] + ".marshal")

    def get(self, relpath: str, fingerprint: str) -> Any | None:
        if not self.trusted():
            return None
        entry = self._entry(relpath)
        try:
            if entry.is_symlink():
                return None
            stamp, data = marshal.loads(entry.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return data if stamp == (_FORMAT, fingerprint) else None

    def put(self, relpath: str, fingerprint: str, data: Any) -> None:
        try:
            blob = marshal.dumps(((_FORMAT, fingerprint), data))
        except ValueError:
            return  # data marshal cannot hold (should not happen for YAML plain data)
        if not self.trusted():
            return
        try:
            if not self._made:
                if trusted_state_dir(self.root, "parsed") is None:
                    self._trusted = False
                    return
                self.folder.mkdir(parents=True, exist_ok=True)
                self._made = True
            tmp = self._entry(relpath).with_suffix(f".{os.getpid()}.tmp")
            tmp.unlink(missing_ok=True)
            tmp.write_bytes(blob)
            os.replace(tmp, self._entry(relpath))
        except OSError:
            pass  # a read-only tree still works, only slower
