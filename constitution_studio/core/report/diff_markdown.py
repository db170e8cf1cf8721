"""The structural diff as Markdown for a pull-request comment (GitHub-flavoured).

Rewording is shown inline: ~~removed words~~ **inserted words**, in a quote block; priority
moves get their own table; counts come first. Output is deterministic (no timestamps), so a
golden file pins it.
"""

from __future__ import annotations

import re

from constitution_studio.core.diff import CASE_KINDS, PRINCIPLE_KINDS, ConstitutionDiff, PrincipleChange
from constitution_studio.core.report.diff_text import version_name
from constitution_studio.core.worddiff import WordOp

_SPECIAL = re.compile(r"([\\`*_~\[\]<>#|])")


def md_escape(text: str) -> str:
    """Text that Markdown shows literally (also safe inside a table cell)."""
    return _SPECIAL.sub(r"\\\1", text)


def _wrap(text: str, marker: str) -> str:
    """`marker` around the words of `text`, whitespace kept outside (Markdown needs that)."""
    core = text.strip()
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{marker}{md_escape(core)}{marker}{trail}"


def markdown_words(words: list[WordOp]) -> str:
    out = []
    for i, op in enumerate(words):
        if op.op == "equal":
            out.append(md_escape(op.text))
        elif op.op == "delete":
            out.append(_wrap(op.text, "~~"))
        else:
            after_delete = i > 0 and words[i - 1].op == "delete"
            if after_delete and not words[i - 1].text[-1:].isspace() and not op.text[:1].isspace():
                out.append(" ")  # ~~old~~ **new**, not ~~old~~**new**
            out.append(_wrap(op.text, "**"))
    return "".join(out)


def _quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines() or [""])


def _rank(value: int | None) -> str:
    return "–" if value is None else str(value)


def _principle(p: PrincipleChange) -> list[str]:
    lines = [f"### {md_escape(p.id)} — {md_escape(p.title)}", ""]
    meta = ", ".join(f"`{k}`" for k in p.changes)
    if p.rank_base != p.rank_head:
        meta += f" · rank {_rank(p.rank_base)} → {_rank(p.rank_head)}"
    elif p.rank_head is not None:
        meta += f" · rank {p.rank_head}"
    lines += [meta, ""]
    if "reworded" in p.changes:
        lines += [_quote(markdown_words(p.words)), ""]
    elif "added" in p.changes and p.statement_head:
        lines += [_quote(md_escape(p.statement_head)), ""]
    elif "removed" in p.changes and p.statement_base:
        lines += [_quote("~~" + md_escape(p.statement_base.strip()) + "~~"), ""]
    for code in p.locales_reworded:
        lines += [
            f"Reworded for locale `{md_escape(code)}`:",
            "",
            _quote(markdown_words(p.locale_words.get(code, []))),
            "",
        ]
    if p.fields:
        lines += ["Fields changed: " + ", ".join(f"`{f}`" for f in p.fields), ""]
    if p.path_base and p.path_head and p.path_base != p.path_head:
        lines += [f"File renamed: `{p.path_base}` → `{p.path_head}`", ""]
    if p.links_added:
        lines += ["Cases linked: " + ", ".join(f"`{c}`" for c in p.links_added), ""]
    if p.links_removed:
        lines += ["Cases unlinked: " + ", ".join(f"`{c}`" for c in p.links_removed), ""]
    return lines


def render_markdown(diff: ConstitutionDiff) -> str:
    """Summary counts, priority moves, each changed principle, then the changed cases."""
    base = version_name(diff.base, diff.base_commit)
    head = version_name(diff.head, diff.head_commit)
    lines = [f"## Constitution diff: `{base}` → `{head}`", ""]
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
        lines += [f"| {md_escape(p.id)} | {_rank(p.rank_base)} → {_rank(p.rank_head)} |" for p in moves]
        lines.append("")
    elif diff.priority_changed:
        lines += ["Priority order changed only by additions or removals.", ""]
    if diff.settings:
        lines += ["### Settings", "", "| setting | base | head |", "|---|---|---|"]
        lines += [f"| `{c.key}` | {md_escape(str(c.base))} | {md_escape(str(c.head))} |" for c in diff.settings]
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
            lines.append(f"| `{c.id}` | {', '.join(c.changes)} | {md_escape('; '.join(detail))} |")
        lines.append("")
    return "\n".join(lines)
