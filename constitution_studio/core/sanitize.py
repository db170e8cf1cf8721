"""The one sanitiser for user-controlled text shown in a terminal.

Principle wording, titles, IDs in messages, commit subjects and author names come from
files and commits nobody may have read. Raw, an ESC sequence in them can recolour, move the
cursor or erase the reviewer's screen, a CR can overwrite a line, and bidi controls can show
text in another order than it is stored. `sanitize` shows each such character escaped
(`\\x1b`, `\\u202e`) so what is printed is what is stored. Markdown and JSON output keep the
exact text (escaped by their own rules), so nothing is lost there.
"""

from __future__ import annotations

import re

# C0 controls except TAB and LF, DEL, C1 controls, bidi embeddings/overrides/isolates and marks,
# line/paragraph separators, the BOM / zero-width no-break space, and lone surrogates (which no
# UTF-8 output can hold: printed raw, they end the command with an encoding error).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_UNSAFE_NO_NEWLINE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0A:
        return "\\n"
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def sanitize(text: str, *, keep_newlines: bool = False) -> str:
    """`text` safe for a terminal: control and bidi characters shown escaped, everything else kept.

    `keep_newlines` lets LF through (multi-line wording shown as lines); otherwise it is
    shown as `\\n`, for one-line contexts (a finding, a commit subject, a title).
    """
    pattern = _UNSAFE if keep_newlines else _UNSAFE_NO_NEWLINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


def is_clean(text: str) -> bool:
    """Whether `sanitize` would leave `text` unchanged (no control or bidi characters)."""
    return _UNSAFE_NO_NEWLINE.search(text) is None


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def json_safe(text: str) -> str:
    """JSON text with the characters `sanitize` escapes written as `\\uXXXX` escapes.

    Valid JSON that parses to exactly the same strings (json.dumps already escapes C0
    controls); only the bytes a terminal would act on, when someone cats the file, change.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
