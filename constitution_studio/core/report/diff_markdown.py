"""The structural diff as Markdown for a pull-request comment (GitHub-flavoured).

Rewording is shown inline: ~~removed words~~ **inserted words**, in a quote block; priority
moves get their own table; counts come first. Output is deterministic (no timestamps), so a
golden file pins it.
"""

from __future__ import annotations

import re

from constitution_studio.core.diff import CASE_KINDS, PRINCIPLE_KINDS, ConstitutionDiff, PrincipleChange
from constitution_studio.core.report.diff_text import version_name
from constitution_studio.core.report.markdown_escape import md_code, md_quote, md_text
from constitution_studio.core.worddiff import WordOp

_LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")


def _marked(text: str, marker: str) -> str:
    """One line of a statement, escaped, its words between `marker`s (whitespace kept outside)."""
    core = text.strip()
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{marker}{md_text(core)}{marker}{trail}" if marker else f"{lead}{md_text(core)}{trail}"


def markdown_words(words: list[WordOp]) -> str:
    """The reworded statement, line by line: ~~removed~~ and **inserted** words. Every `~`, `*`
    and `\\` of the wording itself is escaped, so no text can draw or hide a marker."""
    out = []
    for i, op in enumerate(words):
        marker = "" if op.op == "equal" else "~~" if op.op == "delete" else "**"
        if op.op == "insert":
            after_delete = i > 0 and words[i - 1].op == "delete"
            if after_delete and not words[i - 1].text[-1:].isspace() and not op.text[:1].isspace():
                out.append(" ")  # ~~old~~ **new**, not ~~old~~**new**
        out.append("\n".join(_marked(line, marker) for line in _LINE_BREAK.split(op.text)))
    return "".join(out)


def _quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines() or [""])


def _struck(text: str) -> str:
    return _quote("\n".join(_marked(line, "~~") for line in _LINE_BREAK.split(text.strip())))


def _rank(value: int | None) -> str:
    return "–" if value is None else str(value)


def _principle(p: PrincipleChange) -> list[str]:
    lines = [f"### {md_text(p.id)} — {md_text(p.title)}", ""]
    meta = ", ".join(f"`{k}`" for k in p.changes)
    if p.rank_base != p.rank_head:
        meta += f" · rank {_rank(p.rank_base)} → {_rank(p.rank_head)}"
    elif p.rank_head is not None:
        meta += f" · rank {p.rank_head}"
    lines += [meta, ""]
    if "reworded" in p.changes:
        lines += [_quote(markdown_words(p.words)), ""]
    elif "added" in p.changes and p.statement_head:
        lines += [md_quote(p.statement_head), ""]
    elif "removed" in p.changes and p.statement_base:
        lines += [_struck(p.statement_base), ""]
    for code in p.locales_reworded:
        lines += [
            f"Reworded for locale {md_code(code)}:",
            "",
            _quote(markdown_words(p.locale_words.get(code, []))),
            "",
        ]
    if p.fields:
        lines += ["Fields changed: " + ", ".join(f"`{f}`" for f in p.fields), ""]
    if p.path_base and p.path_head and p.path_base != p.path_head:
        lines += [f"File renamed: {md_code(p.path_base)} → {md_code(p.path_head)}", ""]
    if p.links_added:
        lines += ["Cases linked: " + ", ".join(md_code(c) for c in p.links_added), ""]
    if p.links_removed:
        lines += ["Cases unlinked: " + ", ".join(md_code(c) for c in p.links_removed), ""]
    return lines


def render_markdown(diff: ConstitutionDiff) -> str:
    """Summary counts, priority moves, each changed principle, then the changed cases."""
    base = version_name(diff.base, diff.base_commit)
    head = version_name(diff.head, diff.head_commit)
    lines = [f"## Constitution diff: {md_code(base)} → {md_code(head)}", ""]
    if diff.empty:
        return "\n".join([*lines, "No differences.", ""])
    s = diff.summary
    lines += [
        "| | " + " | ".join(PRINCIPLE_KINDS) + " |",
        "|---|" + "---:|" * len(PRINCIPLE_KINDS),
        "| principles | " + " | ".join(str(s.principles.get(k, 0)) for k in PRINCIPLE_KINDS) + " |",
        "",
        "| | " + " | ".join(CASE_KINDS) + " |",
        "|---|" + "---:|" * len(CASE_KINDS),
        "| cases | " + " | ".join(str(s.cases.get(k, 0)) for k in CASE_KINDS) + " |",
        "",
    ]
    moves = [p for p in diff.principles if "moved" in p.changes]
    if moves:
        lines += ["### Priority moves", "", "| principle | rank |", "|---|---|"]
        lines += [f"| {md_text(p.id)} | {_rank(p.rank_base)} → {_rank(p.rank_head)} |" for p in moves]
        lines.append("")
    elif diff.priority_changed:
        lines += ["Priority order changed only by additions or removals.", ""]
    if diff.settings:
        lines += ["### Settings", "", "| setting | base | head |", "|---|---|---|"]
        lines += [
            f"| {md_code(c.key, cell=True)} | {md_text(str(c.base))} | {md_text(str(c.head))} |" for c in diff.settings
        ]
        if diff.critic_changed:
            lines += ["", "The critic changed: a pull request is still judged by the base's critic (docs/ci.md)."]
        lines.append("")
    for p in diff.principles:
        lines += _principle(p)
    if diff.cases:
        lines += ["### Cases", "", "| case | changes | details |", "|---|---|---|"]
        for c in diff.cases:
            detail = []
            if c.fields:
                detail.append("fields: " + ", ".join(c.fields))
            if c.principles_added:
                detail.append("linked " + ", ".join(c.principles_added))
            if c.principles_removed:
                detail.append("unlinked " + ", ".join(c.principles_removed))
            if "added" in c.changes or "removed" in c.changes:
                detail.append("principles " + ", ".join(c.principles))
            lines.append(f"| {md_code(c.id, cell=True)} | {', '.join(c.changes)} | {md_text('; '.join(detail))} |")
        lines.append("")
    return "\n".join(lines)
