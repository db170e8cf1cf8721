"""What a YAML error says and where it points, so a finding names the root cause.

Parsers stop where they notice a problem, which for an unclosed quote or bracket is the end
of the file; both libyaml and ruamel also carry the mark where the construct started, and
that is the line to show. Merge-conflict markers and control characters are named as such.
"""

from __future__ import annotations

import re
from typing import Any

from constitution_studio.errors import BadInputError


class YamlSyntaxError(BadInputError):
    """Malformed YAML, with the line and column of the problem."""

    code = "yaml-syntax"

    def __init__(self, message: str, *, path: str | None, line: int, col: int) -> None:
        super().__init__(message, path=path, line=line)
        self.col = col


class DuplicateKeyError(YamlSyntaxError):
    """A mapping names the same key twice; YAML forbids it and readers disagree on which wins."""

    code = "duplicate-key"


_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})(?: |$)", re.MULTILINE)
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_STARTS = ("quoted scalar", "flow mapping", "flow sequence", "flow collection", "block scalar", "a block collection")


def diagnose(text: str, path: str | None, line: int, col: int, problem: str) -> YamlSyntaxError:
    """The finding for a YAML error: merge conflict markers and control characters named as such."""
    marker = _CONFLICT.search(text)
    if marker is not None:
        at = text.count("\n", 0, marker.start()) + 1
        return YamlSyntaxError(
            f"merge conflict markers ({marker.group(1)}): resolve the conflict and remove the markers",
            path=path,
            line=at,
            col=1,
        )
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        at = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        return YamlSyntaxError(
            f"control character U+{ord(bad.group()):04X} is not allowed in YAML", path=path, line=at, col=column
        )
    last = text.count("\n") + 1  # libyaml may point one line past the end of the text
    return YamlSyntaxError(f"invalid YAML: {problem}", path=path, line=min(line, last), col=col)


def mark_of(exc: Any) -> tuple[Any, str]:
    """Where to point: where an unclosed construct starts, else where the parser gave up."""
    context = str(exc.context or "")
    problem = str(exc.problem or exc.context or "invalid YAML")
    if exc.context_mark is not None and any(word in context for word in _STARTS):
        what = context.replace("while scanning", "").replace("while parsing", "").strip()
        what = what[2:] if what.startswith("a ") else what
        return exc.context_mark, f"{what} starts here and is never closed ({problem})"
    return exc.problem_mark or exc.context_mark, problem
