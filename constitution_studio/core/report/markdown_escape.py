"""The one Markdown escaper: text from the repository shown in a Markdown report as text, and only text.

Every Markdown output (check, shift, diff, compare; the PR comment and the full report) shows
wording, titles, prompts, refs and model names that an unreviewed pull request wrote. Rendered
raw, such text could add a heading that says "passed", close the report's table, strike or
bold words in the reworded-wording view, open a code fence that swallows the rest, load an
image from `//evil.example/p.png`, ping `@someone` or link `#123`. Three functions cover every
place text goes:

* `md_text(text)`: inline text (a paragraph, a list item, a table cell). Newlines collapse to
  one space; emphasis, strike, code, link, image, table and math characters are backslash-
  escaped; `&`, `<`, `>` become entities (no HTML, no autolink, no entity smuggling); a
  leading `#`, `-`, `+`, `=` or `1.` is escaped so no heading, list or rule can start;
  `@mention`, `#123`, `GH-123`, `scheme://`, protocol-relative `//host` and `www.` get a
  zero-width space (an entity, invisible when rendered) so nothing pings, links or loads.
* `md_code(text)`: a code span that no backtick in `text` can close (`cell=True` inside a table).
* `md_quote(text)`: multi-line text as a block quote, each line escaped as `md_text`.

Before any of that, `visible(text)` shows control and bidi characters and lone surrogates
escaped (`\\x1b`, `\\u202e`, `\\ud800`), as the terminal sanitiser does: a report must be
writable as UTF-8 whatever the input, and cannot reorder what the reviewer reads.
"""

from __future__ import annotations

import re

from constitution_studio.core.sanitize import sanitize

ZWSP = "&#8203;"  # a zero-width space as an entity: invisible when rendered, breaks every trigger

_NEWLINES = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
_INLINE = re.compile(r"([\\`*_~\[\]|$])")
_BLOCK_START = re.compile(r"^(\s*)([#>+=-])")
_ORDERED_START = re.compile(r"^(\s*\d+)([.)])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_ISSUE = re.compile(r"#(?=\d)")
_GH_REF = re.compile(r"(?<![A-Za-z0-9])(gh)(?=-\d)", re.IGNORECASE)
_SLASHES = re.compile(r"/(?=/)")
_WWW = re.compile(r"(?<![A-Za-z0-9.])(www)\.", re.IGNORECASE)
_BACKTICKS = re.compile(r"`+")


def visible(text: str) -> str:
    """Control and bidi characters and lone surrogates shown escaped (core/sanitize.py); the rest kept."""
    return sanitize(text)


def one_line(text: str) -> str:
    """Every kind of line break (CR, LF, CRLF, VT, FF, NEL, U+2028/9) becomes one space."""
    return _NEWLINES.sub(" ", text)


def _neutralise(text: str) -> str:
    """Mentions, issue refs, URLs, protocol-relative links and `www.` lose their power (text already escaped)."""
    text = _ISSUE.sub("#" + ZWSP, text)  # first: the entities inserted below hold a `#` and digits
    text = _MENTION.sub("@" + ZWSP, text)
    text = _GH_REF.sub(lambda m: m.group(1) + ZWSP, text)
    text = _SLASHES.sub("/" + ZWSP, text)
    return _WWW.sub(lambda m: m.group(1) + ZWSP + ".", text)


def md_text(text: str) -> str:
    """`text` as inline Markdown that renders as exactly that text (on one line) and does nothing else."""
    text = visible(one_line(text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\1", text)
    text = _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text, count=1)
    text = _ORDERED_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text, count=1)
    return _neutralise(text)


def md_code(text: str, *, cell: bool = False) -> str:
    """`text` as a code span on one line: fenced by one more backtick than its longest run, padded
    when it starts or ends with a backtick; `cell`: `|` escaped, as a GFM table cell needs."""
    text = visible(one_line(text))
    if cell:
        text = text.replace("|", "\\|")
    if not text:
        return "` `"
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_quote(text: str) -> str:
    """Multi-line `text` as a block quote: each line escaped as `md_text`, blank lines kept as `>`."""
    lines = _NEWLINES.split(text)
    return "\n".join(f"> {md_text(line)}" if line.strip() else ">" for line in lines)
