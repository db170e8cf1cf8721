"""On-disk cache of parsed YAML, so a 50,000-case constitution opens in well under a second.

libyaml parses fast, but building Python objects from its events is slow (about 5 s for
50,000 cases). The cache keeps each file's parsed data as `marshal` bytes under
`.cstudio/parsed/`, keyed by the file's path and checked against its size and mtime (in
nanoseconds). It only ever saves work: a miss, a stale entry or an unreadable cache file
means parsing the file as usual. Nothing here is authoritative.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path
from typing import Any

from constitution_studio.core.statedir import STATE_DIR, ensure_state_dir

_FORMAT = 1


class ParseCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / STATE_DIR / "parsed"

    def _entry(self, relpath: str) -> Path:
        return self.folder / (hashlib.sha1(relpath.encode()).hexdigest()[:20] + ".marshal")

    def get(self, relpath: str, fingerprint: str) -> Any | None:
        try:
            stamp, data = marshal.loads(self._entry(relpath).read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return data if stamp == (_FORMAT, fingerprint) else None

    def put(self, relpath: str, fingerprint: str, data: Any) -> None:
        try:
            blob = marshal.dumps(((_FORMAT, fingerprint), data))
        except ValueError:
            return  # data marshal cannot hold (should not happen for YAML plain data)
        try:
            ensure_state_dir(self.root)
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self._entry(relpath).with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, self._entry(relpath))
        except OSError:
            pass  # a read-only tree still works, only slower
