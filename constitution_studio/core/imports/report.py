"""What an import did (or, with `--dry-run`, would do): the `cstudio import` report (`cstudio.import/1`)."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field

from constitution_studio.core.wording import plural
from constitution_studio.errors import BadInputError

MAX_LINES_SHOWN = 20


class FileChange(BaseModel):
    """One file the import writes: created, appended to, or with existing entries replaced."""

    path: str = Field(description="Path relative to the constitution root.")
    action: Literal["create", "append", "update"]
    added: list[str] = Field(default_factory=list, description="IDs of the cases or principles added.")
    updated: list[str] = Field(default_factory=list, description="IDs replaced (with --update).")


class Skipped(BaseModel):
    """A record or section left out, and why."""

    where: str = Field(description="FILE:LINE, FILE#ROW or FILE:LINE of a heading.")
    reason: str


class ImportReport(BaseModel):
    """The result of one `cstudio import` run."""

    kind: Literal["cases", "promptfoo", "inspect", "principles"]
    source: str = Field(description="The file or folder imported, as named on the command line.")
    dry_run: bool
    written: bool = Field(description="Whether files were written (false on --dry-run or when nothing changed).")
    records: int = Field(description="Records (rows, samples, tests, headings at the level) read.")
    new: list[str] = Field(default_factory=list, description="IDs added.")
    updated: list[str] = Field(default_factory=list, description="IDs whose entry was replaced (--update).")
    unchanged: int = Field(default=0, description="Records whose entry already exists with the same content.")
    differ: list[str] = Field(
        default_factory=list, description="IDs that exist with other content and were kept (no --update)."
    )
    skipped: list[Skipped] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="What did not map as it stands (count, then what), e.g. dropped assertions."
    )
    files: list[FileChange] = Field(default_factory=list)


class RecordErrors(BadInputError):
    """Records that cannot be imported: one `WHERE: error: ...` line each; nothing was written."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(
            f"{plural(len(lines), 'record')} cannot be imported; nothing was written (--skip-invalid leaves them out)"
        )
        self.lines = lines


def counted(notes: list[str]) -> list[str]:
    """Notes as `N x note`, most frequent first (a note about every row is one line)."""
    return [f"{n} x {note}" for note, n in Counter(notes).most_common()]
