"""Which revisions exist for a case: the record `cstudio revise` keeps as it goes.

The generation cache (gencache.py) is content-addressed by messages, so it cannot say which
revisions a case has. `revise` therefore also writes each finished case's `RevisionRow` (the
row of `revisions.jsonl`) to a `revisions` table in the same trusted
`.cstudio/generations.sqlite`, committed at once, so a cancelled run keeps what finished. A
record is keyed by what produced it: case, principle and the hash of the wording the judge
read, the generator and its settings, the judge, the response critiqued and the requests; the
same run again replaces its record, any other setting adds one.

`revisions_for_case` is the one reader every surface calls (the studio's case detail). Like
every state of the tool, the record is read only from a `.cstudio/` this tool made for this
user (statedir.py: a planted, copied or git-tracked folder is never read, and reading never
creates or moves anything). A record must also validate as a RevisionRow and carry the key its
own content gives, or it is skipped. Its texts are still hostile (a generator wrote them from
repository text): surfaces sanitize them. Sizes are bounded: at most `KEEP_PER_CASE` records
per case are kept, `SHOW_PER_CASE` read, and a record over `MAX_RECORD_CHARS` is neither
written nor read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from constitution_studio.core.critic.anchored import localized_statement
from constitution_studio.core.export.gencache import CACHE_FILE, open_state_db, state_db_problem
from constitution_studio.core.export.provenance import statement_hash
from constitution_studio.core.export.revision_rows import RevisionRow
from constitution_studio.core.statedir import STATE_DIR
from constitution_studio.core.workspace import Workspace

RECORD_VERSION = 1
KEEP_PER_CASE = 50  # records kept per case (the newest)
SHOW_PER_CASE = 20  # records read per case (the newest)
MAX_RECORD_CHARS = 4_000_000  # a RevisionRow's JSON: 10 rounds of 8,192-token texts fit
log = logging.getLogger("constitution_studio")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS revisions (
    key TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    principle_id TEXT NOT NULL,
    statement_sha256 TEXT NOT NULL,
    generator TEXT NOT NULL,
    judge TEXT NOT NULL,
    row TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS revisions_by_case ON revisions (case_id, created);
"""

Wording = Literal["current", "changed", "removed"]


def _sha(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def judge_key(row: RevisionRow) -> str:
    """The judge as the record keys it: its identity, variants, engagement and locale (not the commit)."""
    p = row.provenance
    return _sha([p.judge.model_dump(), p.judge_fingerprint, p.judge_variants, p.method, p.engagement, p.locale])


def record_key(row: RevisionRow) -> str:
    """Everything a record depends on; the same run again gives the same key."""
    g = row.generator
    return _sha(
        [
            RECORD_VERSION,
            row.case_id,
            row.principle_id,
            row.statement_sha256,
            [g.identity, g.temperature, g.seed, g.max_new_tokens],
            judge_key(row),
            row.pick,
            hashlib.sha256(row.original.encode()).hexdigest(),
            [row.critique_request, row.revision_request],
        ]
    )


class RevisionRecord:
    """Writes finished cases' rows to `.cstudio/generations.sqlite` (nothing when it is untrusted)."""

    def __init__(self, root: Path | None) -> None:
        self.note: str | None = None
        self.recorded = 0  # cases recorded by this run (what the command reports)
        self._db: sqlite3.Connection | None = None
        if root is None:
            return
        db, problem = open_state_db(root, _SCHEMA, "revisions")
        if db is None:
            self.note = f"not recording revisions for the studio: {problem}"
            log.warning(self.note)
        self._db = db

    @property
    def active(self) -> bool:
        return self._db is not None

    def put(self, row: RevisionRow) -> bool:
        """Record one finished case (committed at once); False when not recorded."""
        if self._db is None or row.source != "case":
            return False
        text = row.model_dump_json()
        if len(text) > MAX_RECORD_CHARS:
            log.warning(f"revision of {row.case_id} not recorded: larger than {MAX_RECORD_CHARS:,} characters")
            return False
        values = (
            record_key(row),
            row.case_id,
            row.principle_id,
            row.statement_sha256,
            row.generator.identity,
            judge_key(row),
            text,
            time.time(),
        )
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO revisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
            self._db.execute(
                "DELETE FROM revisions WHERE case_id = ? AND key NOT IN "
                "(SELECT key FROM revisions WHERE case_id = ? ORDER BY created DESC LIMIT ?)",
                (row.case_id, row.case_id, KEEP_PER_CASE),
            )
        self.recorded += 1
        return True

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


# --- reading -------------------------------------------------------------------------------


class CaseRevision(BaseModel):
    """One recorded revise run of a case, and how it stands against the constitution now."""

    row: RevisionRow
    recorded: float = Field(description="When it was recorded (seconds since the epoch).")
    wording: Wording | None = Field(
        default=None,
        description="The principle's wording now: current (the hash matches), changed, or removed "
        "(no such principle); None when no workspace was given.",
    )
    response_current: bool | None = Field(
        default=None, description="The case's response is still the one critiqued (None: unknown)."
    )

    @property
    def never_complied(self) -> bool:
        return self.row.accepted_round is None


class CaseRevisions(BaseModel):
    """What `revisions_for_case` found: the records, newest first, and why some are not shown."""

    case_id: str
    revisions: list[CaseRevision] = Field(default_factory=list)
    more: int = Field(default=0, description="Records not read (over SHOW_PER_CASE).")
    skipped: int = Field(default=0, description="Records not shown: too large, or not a valid record.")
    note: str | None = Field(default=None, description="Why the record was not read at all (untrusted, unusable).")


class RevisionsReport(BaseModel):
    """`cstudio revisions --format json`: what `revisions_for_case` found for each case asked."""

    cases: list[CaseRevisions] = Field(description="One entry per case, in the order asked.")


def _standing(record: CaseRevision, ws: Workspace) -> CaseRevision:
    row = record.row
    principle = ws.principles.get(row.principle_id)
    if principle is None:
        wording: Wording = "removed"
    else:
        now = statement_hash(localized_statement(principle, row.provenance.locale))
        wording = "current" if now == row.statement_sha256 else "changed"
    case = ws.cases.get(row.case_id)
    current = None if case is None else case.response == row.original
    return record.model_copy(update={"wording": wording, "response_current": current})


def revisions_for_case(root: Path, case_id: str, ws: Workspace | None = None) -> CaseRevisions:
    """The recorded revisions of `case_id`, newest first (at most SHOW_PER_CASE).

    Read only from a trusted `.cstudio/` (nothing is created, moved or written); with `ws`,
    each record says whether its principle's wording and the case's response are still the
    ones it was made from."""
    found = CaseRevisions(case_id=case_id)
    path = Path(root) / STATE_DIR / CACHE_FILE
    problem = state_db_problem(root)
    if problem is not None:
        found.note = f"revisions not read: {problem}"
        return found
    if not path.is_file():
        return found
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=2.0)
    except sqlite3.DatabaseError as exc:
        found.note = f"revisions not read: {CACHE_FILE} is unusable ({exc})"
        return found
    try:
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'revisions'").fetchone() is None:
            return found
        (total,) = db.execute("SELECT COUNT(*) FROM revisions WHERE case_id = ?", (case_id,)).fetchone()
        rows = db.execute(
            "SELECT key, CASE WHEN length(row) <= ? THEN row END, created FROM revisions "
            "WHERE case_id = ? ORDER BY created DESC LIMIT ?",
            (MAX_RECORD_CHARS, case_id, SHOW_PER_CASE),
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        found.note = f"revisions not read: {CACHE_FILE} is unusable ({exc})"
        return found
    finally:
        db.close()
    found.more = max(int(total) - len(rows), 0)
    for key, text, created in rows:
        record = _valid(key, text, created, case_id)
        if record is None:
            found.skipped += 1
            continue
        found.revisions.append(record if ws is None else _standing(record, ws))
    return found


def _valid(key: object, text: object, created: object, case_id: str) -> CaseRevision | None:
    """A stored record when it is one this tool wrote: a valid RevisionRow of this case whose
    content gives its key."""
    if not isinstance(text, str) or not isinstance(created, int | float):
        return None
    try:
        row = RevisionRow.model_validate_json(text)
    except ValidationError:
        return None
    if row.case_id != case_id or row.source != "case" or record_key(row) != key:
        return None
    if any(r.round != n for n, r in enumerate(row.rounds, 1)) or not row.rounds:
        return None
    if row.accepted_round is not None and not 1 <= row.accepted_round <= len(row.rounds):
        return None
    return CaseRevision(row=row, recorded=float(created))
