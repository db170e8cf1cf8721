"""Content-addressed score cache: SQLite (WAL) under `<root>/.cstudio/critic.sqlite`.

Keys hash everything a score depends on (model identity, template set id + hash, variant,
scoring method, principle wording, case content); values are raw probabilities before any
per-principle calibration, so re-calibrating never invalidates the cache. Writes are
committed per batch, so an interrupted run keeps what it finished. Device and dtype are
not part of the key (see docs/critic.md).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = ".cstudio"
CACHE_FILE = "critic.sqlite"
SCHEMA_VERSION = 2  # bump when prompt assembly or tokenization changes (ids, not only text)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    key TEXT PRIMARY KEY,
    probability REAL NOT NULL,
    model TEXT NOT NULL,
    template TEXT NOT NULL,
    method TEXT NOT NULL,
    variant TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def score_key(
    *, model: str, template: str, method: str, variant: str, statement: str, case_hash: str, kind: str
) -> str:
    """The content address of one score."""
    payload = json.dumps(
        [SCHEMA_VERSION, model, template, method, variant, text_hash(statement), case_hash, kind],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    key: str
    probability: float
    model: str
    template: str
    method: str
    variant: str


class ScoreCache:
    """A tiny key -> probability store; safe to open from several processes (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():  # keep the cache out of the user's git repo, whatever their .gitignore says
            ignore.write_text("# written by cstudio: the critic's score cache\n*\n", encoding="utf-8")
        self._db = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    @classmethod
    def for_root(cls, root: Path) -> ScoreCache:
        return cls(root / CACHE_DIR / CACHE_FILE)

    def get_many(self, keys: Sequence[str]) -> dict[str, float]:
        found: dict[str, float] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key, probability FROM scores WHERE key IN ({marks})", chunk)
            found.update({k: float(p) for k, p in rows})
        return found

    def put_many(self, entries: Iterable[Entry]) -> None:
        """Insert and commit (one transaction per call, i.e. per scored batch)."""
        now = time.time()
        rows = [(e.key, e.probability, e.model, e.template, e.method, e.variant, now) for e in entries]
        if not rows:
            return
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def clear(self) -> int:
        with self._db:
            n = self._db.execute("DELETE FROM scores").rowcount
        self._db.execute("VACUUM")
        return int(n)

    def stats(self) -> dict[str, object]:
        total = self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
        groups = self._db.execute(
            "SELECT model, template, method, variant, COUNT(*) FROM scores "
            "GROUP BY model, template, method, variant ORDER BY COUNT(*) DESC"
        ).fetchall()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return {
            "path": str(self.path),
            "entries": int(total),
            "bytes": int(size),
            "groups": [
                {"model": m, "template": t, "method": me, "variant": v, "entries": int(n)} for m, t, me, v, n in groups
            ],
        }

    def close(self) -> None:
        self._db.close()
