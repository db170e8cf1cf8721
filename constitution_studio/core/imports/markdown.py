"""A Markdown document as sections: headings (ATX `##` and setext underlines) and the prose under them.

Only what a heading needs is parsed: fenced code blocks (a `#` inside one is not a heading)
and HTML comments are recognised so that they are neither headings nor statement text.
Each section's prose is cleaned for a judge to read: code blocks, comments, images and link
definitions are left out (and counted), links become their text, blank-line runs collapse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ANCHOR = re.compile(r"[ \t]*\{#([^}\s]+)\}[ \t]*$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=[\"']([^\"']+)[\"']\s*>\s*</a>", re.IGNORECASE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\[[^\]]*\]")
_LINK_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass
class Heading:
    level: int
    text: str  # as written, without the #s, the {#anchor} or an HTML anchor
    anchor: str | None  # an explicit {#anchor} or <a id="...">
    line: int


@dataclass
class Section:
    """A heading and the raw lines up to the next heading at its level or above."""

    heading: Heading
    lines: list[str] = field(default_factory=list)


def _heading(level: int, raw: str, line: int) -> Heading:
    anchor = None
    m = _ANCHOR.search(raw)
    if m:
        anchor, raw = m.group(1), raw[: m.start()]
    m = _HTML_ANCHOR.search(raw)
    if m:
        anchor = anchor or m.group(1)
        raw = _HTML_ANCHOR.sub("", raw)
    return Heading(level, raw.strip(), anchor, line)


def parse(text: str) -> tuple[list[str], list[tuple[Heading, list[str]]]]:
    """(lines before the first heading, [(heading, lines under it until the next heading)])."""
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter: not prose
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is not None:
            lines = [""] * (end + 1) + lines[end + 1 :]
    preamble: list[str] = []
    sections: list[tuple[Heading, list[str]]] = []
    fence: str | None = None
    body = preamble
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            body.append(line)
            continue
        if m:
            fence = m.group(1)
            body.append(line)
            continue
        atx = _ATX.match(line)
        setext = _SETEXT.match(line)
        prev = body[-1] if body else ""
        if atx:
            body = []
            sections.append((_heading(len(atx.group(1)), atx.group(2) or "", i + 1), body))
        elif setext and prev.strip() and not _ATX.match(prev) and not prev.lstrip().startswith(("-", "*", ">", "|")):
            body.pop()
            body = []
            level = 1 if setext.group(1)[0] == "=" else 2
            sections.append((_heading(level, prev, i), body))
        else:
            body.append(line)
    return preamble, sections


def sections_at(text: str, level: int) -> tuple[list[Section], list[tuple[int, str]]]:
    """Sections at `level` (deeper headings folded into their prose) and (line, why) of what is not one."""
    preamble, parsed = parse(text)
    out: list[Section] = []
    skipped: list[tuple[int, str]] = []
    if prose(preamble)[0]:
        skipped.append((1, f"text before the first level-{level} heading"))
    current: Section | None = None
    for heading, body in parsed:
        if heading.level == level:
            current = Section(heading)
            out.append(current)
            current.lines += body
        elif heading.level > level and current is not None:
            current.lines += ["", heading.text, "", *body]
        else:
            current = None
            where = "above" if heading.level < level else "before the first"
            skipped.append(
                (heading.line, f"level-{heading.level} heading {heading.text[:60]!r} ({where} level {level})")
            )
    return out, skipped


def inline(text: str) -> str:
    """Heading or prose text with images removed and links reduced to their text."""
    text = _IMAGE.sub("", text)
    return _LINK.sub(lambda m: m.group(1) or m.group(2), text)


def prose(lines: list[str]) -> tuple[str, list[str]]:
    """The statement text of a section's lines, and what was left out of it."""
    dropped: list[str] = []
    kept: list[str] = []
    fence: str | None = None
    for line in lines:
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            dropped.append("a code block")
            continue
        if _LINK_DEF.match(line):
            dropped.append("a link definition")
            continue
        kept.append(line.rstrip())
    text = "\n".join(kept)
    if _COMMENT.search(text):
        dropped.append("an HTML comment")
        text = _COMMENT.sub("", text)
    if _IMAGE.search(text):
        dropped.append("an image")
    text = inline(text)
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text).strip("\n")
    return (text if text.strip() else ""), dropped
