"""Validation findings: one problem, one place, one line of text."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Finding(BaseModel):
    """A problem at `path:line:col`, paths relative to the constitution root."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int
    col: int
    severity: Severity
    code: str
    message: str
    principle_id: str | None = None
    case_id: str | None = None

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity.value}: {self.code} {self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)

    def root_cause_first(self) -> tuple[int, str, int, int, str]:
        """Order that lists findings about unreadable or malformed files before what follows from them."""
        return (0 if self.code in ROOT_CAUSE_CODES else 1, *self.sort_key())


# Every code a finding can carry; docs/validation.md explains each.
CODES: dict[str, str] = {
    "yaml-syntax": "the file is not valid YAML",
    "not-utf8": "the file is not UTF-8 text",
    "file-too-large": "the file is larger than 1 MiB",
    "schema": "a value or key does not fit the format",
    "empty-statement": "a principle's statement is empty",
    "single-line": "a title, name, version, owner or tag holds a line break or a control or bidi character",
    "id-pattern": "a principle ID does not match the constitution's id_pattern (default ^[A-Z]+-[0-9]{2,}$)",
    "id-file-name": "a principle ID cannot be a file name on Linux, macOS and Windows",
    "id-case-clash": "two principle IDs differ only in case (one file on a case-insensitive disk)",
    "bad-id-pattern": "constitution.yaml's id_pattern is not a usable regular expression",
    "id-filename-mismatch": "a principle's id differs from its file name",
    "duplicate-principle-id": "two principle files declare the same id",
    "duplicate-case-id": "two cases share an id",
    "missing-constitution": "principles/constitution.yaml is missing",
    "priority-unknown-id": "the priority list names a principle that does not exist",
    "priority-duplicate": "the priority list names a principle twice",
    "priority-missing": "an active or draft principle is not in the priority list",
    "priority-deprecated": "a deprecated principle is still in the priority list",
    "unknown-principle-link": "a case is linked to a principle that does not exist",
    "link-duplicate": "a case is linked to the same principle twice",
    "case-kind": "a case has both `response` and `a`/`b`, or neither",
    "gold-kind": "a gold label does not fit the case kind",
    "gold-link": "per-principle gold names a principle the case is not linked to",
    "prompt-turns": "a conversation is empty or does not end where the judged response starts (a user or tool turn)",
    "tool-turn": "a tool turn answers no call of the assistant turn before it, or a call id is used twice",
    "unlinked-principle": "a principle has no linked eval case",
    "placeholder-statement": "a principle's statement is still the placeholder `cstudio new` wrote",
    "duplicate-key": "a mapping gives the same key twice",
    "empty-file": "a file is empty or holds only comments",
    "outside-root": "a file is a symlink to somewhere outside the constitution root",
    "not-regular-file": "a *.yaml name is a folder, FIFO, device or socket, not a file",
    "unreadable-file": "a file cannot be read (permissions, I/O error)",
    "ignored-file": "a file named like YAML (`X.YAML`) is not loaded: the rule is lower-case .yaml / .yml",
}

# A file that cannot be read or parsed, or does not fit its format, is the root cause of
# whatever else goes wrong because of it: such findings are listed first.
ROOT_CAUSE_CODES = frozenset(
    {
        "yaml-syntax",
        "duplicate-key",
        "not-utf8",
        "file-too-large",
        "empty-file",
        "outside-root",
        "not-regular-file",
        "unreadable-file",
        "missing-constitution",
        "schema",
    }
)
