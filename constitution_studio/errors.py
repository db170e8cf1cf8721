"""Errors that reach users, and the exit codes CI relies on.

Core raises `StudioError` subclasses with a human message and, where known, the file
and line; the CLI turns them into one line on stderr and an exit code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1  # also: `validate` found errors
    BAD_INPUT = 2  # bad input, bad usage, unknown ref, missing model, unreadable/unwritable file
    INTERNAL = 3  # a bug in cstudio: "internal error, please report" (traceback with --debug)


class StudioError(Exception):
    """A problem the user can fix; never shown with a traceback."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    title: str = "error"

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def one_line(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.title}: {self.message}"


class BadInputError(StudioError):
    title = "error"


class UsageError(StudioError):
    title = "usage"


class NoConstitutionError(StudioError):
    title = "no constitution"


class FileChangedError(StudioError):
    """The file on disk changed since it was loaded; writing would lose someone's edit."""

    title = "file changed on disk"


class InvalidConstitutionError(StudioError):
    """Raised by commands that refuse to work on a constitution with validation errors."""

    title = "invalid constitution"

    def __init__(self, findings: list[object]) -> None:
        self.findings = findings
        super().__init__(f"{len(findings)} validation error(s)")


class RefError(StudioError):
    title = "bad ref"


class NoRepositoryError(RefError):
    """The root has no git history, so only the work tree can be read."""

    title = "no git history"


class ModelUnavailableError(StudioError):
    title = "critic model unavailable"


class JudgeServerError(StudioError):
    """A served judge cannot answer: unreachable, refused, wrong model, or an answer we cannot trust."""

    title = "judge server"
