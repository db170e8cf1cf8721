"""Principle IDs: the team's scheme (`id_pattern` in constitution.yaml) and the file-name rules.

A principle lives in `principles/<ID>.yaml`, so whatever the team's pattern allows, an ID must
be a file name on Linux, macOS and Windows alike: no control characters, none of
`< > : " / \\ | ? *`, no leading dot or space, no trailing dot or space, not a Windows device
name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, with or without an extension), Unicode in its
composed form (NFC, as macOS may hand it back), at most MAX_ID characters; and two IDs of one
constitution may not differ only in case (one file on a case-insensitive disk).

`id_pattern` comes from a repository that may be hostile, so it is compiled by a linear-time
engine (pydantic-core's Rust regex: no look-around, no back-references, a bounded compiled
size), at most PATTERN_MAX characters long, and only ever matched against IDs that already
passed the file-name rules (so at most MAX_ID characters). Matching is `search`, like JSON
Schema's `pattern`: anchor it with `^…$`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pydantic_core import CoreConfig, SchemaError, SchemaValidator, core_schema

from constitution_studio.errors import BadInputError

DEFAULT_ID_PATTERN = r"^[A-Z]+-[0-9]{2,}$"
MAX_ID = 64
PATTERN_MAX = 256

_BAD_CHARS = '\\x00-\\x1f\\x7f-\\x9f<>:"/\\\\|?*'
# The file-name rules a pattern can say (structure and characters); pydantic checks it on every
# ID in the files (linear-time engine), `file_name_problem` adds the device names and NFC.
SAFE_ID_PATTERN = f"^[^{_BAD_CHARS}.\\s](?:[^{_BAD_CHARS}]{{0,{MAX_ID - 2}}}[^{_BAD_CHARS}.\\s])?$"
_SAFE = re.compile(SAFE_ID_PATTERN)
_DEVICE = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$", re.IGNORECASE)


def file_name_problem(principle_id: str) -> str | None:
    """Why `principle_id` cannot be the stem of a file name on Linux, macOS and Windows, or None."""
    if not principle_id or len(principle_id) > MAX_ID:
        return f"must be 1 to {MAX_ID} characters"
    if not _SAFE.fullmatch(principle_id):
        if principle_id[0] in ". " or principle_id[-1] in ". " or principle_id != principle_id.strip():
            return "must not start with a dot or a space, or end with a dot or a space"
        return 'must not hold a control character or any of < > : " / \\ | ? *'
    if _DEVICE.match(principle_id.split(".", 1)[0].rstrip(" ")):
        return "is a reserved file name on Windows (CON, PRN, AUX, NUL, COM0-9, LPT0-9)"
    if unicodedata.normalize("NFC", principle_id) != principle_id:
        return "must be in Unicode composed form (NFC): macOS may give the file back under another spelling"
    return None


def case_key(principle_id: str) -> str:
    """What two IDs share when they would be one file on a case-insensitive disk."""
    return unicodedata.normalize("NFC", principle_id).casefold()


def case_clash(principle_id: str, others: Iterable[str]) -> str | None:
    """The first of `others` that differs from `principle_id` only in case (or is it), or None."""
    key = case_key(principle_id)
    return next((other for other in others if case_key(other) == key), None)


@dataclass(frozen=True)
class IdScheme:
    """A compiled `id_pattern`; `matches` runs in time linear in the ID's length."""

    pattern: str
    _validator: SchemaValidator

    def matches(self, principle_id: str) -> bool:
        if len(principle_id) > MAX_ID:  # never run a repository's pattern on unbounded input
            return False
        return bool(self._validator.isinstance_python(principle_id))

    def problem(self, principle_id: str) -> str | None:
        """Why `principle_id` is not a principle ID of this constitution, or None."""
        unsafe = file_name_problem(principle_id)
        if unsafe is not None:
            return f"id {principle_id!r} {unsafe}"
        if not self.matches(principle_id):
            example = " (e.g. HARM-01)" if self.pattern == DEFAULT_ID_PATTERN else ""
            return f"id {principle_id!r} does not match the constitution's id_pattern {self.pattern}{example}"
        return None

    def check(self, principle_id: str) -> None:
        """BadInputError when `principle_id` is not a principle ID of this constitution."""
        problem = self.problem(principle_id)
        if problem is not None:
            raise BadInputError(problem)


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be an `id_pattern`, or None."""
    if not pattern:
        return "id_pattern is empty"
    if len(pattern) > PATTERN_MAX:
        return f"id_pattern is longer than {PATTERN_MAX} characters"
    try:
        _compile(pattern)
    except SchemaError as exc:
        return f"id_pattern is not a usable regular expression: {_reason(str(exc))}"
    return None


def id_scheme(pattern: str = DEFAULT_ID_PATTERN) -> IdScheme:
    """The compiled scheme; BadInputError for a pattern `pattern_problem` refuses."""
    problem = pattern_problem(pattern)
    if problem is not None:
        raise BadInputError(problem)
    return IdScheme(pattern, _compile(pattern))


@lru_cache(maxsize=16)
def _compile(pattern: str) -> SchemaValidator:
    config = CoreConfig(regex_engine="rust-regex")
    return SchemaValidator(core_schema.str_schema(pattern=pattern), config=config)


def _reason(message: str) -> str:
    if "size limit" in message:
        return "it is too complex (its compiled form exceeds the size limit)"
    found = re.search(r"error: ([^\n]+)", message)
    reason = found.group(1).strip() if found else message.strip().splitlines()[-1]
    if "look-around" in reason or "backreference" in reason:
        reason += " (id_pattern is matched in linear time: no look-around, no back-references)"
    return reason
