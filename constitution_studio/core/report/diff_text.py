"""The structural diff as terminal text, with optional ANSI colour (no UI library needed).

Without colour, rewording is marked git-style: `[-old words-]{+new words+}`. Every string that
came from a file goes through `sanitize`, so wording cannot carry terminal escapes to the reader.
"""

from __future__ import annotations

from constitution_studio.core.diff import CaseChange, ConstitutionDiff, PrincipleChange
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.worddiff import WordOp

RED, GREEN, YELLOW, CYAN, BOLD, DIM, STRIKE, RESET = (
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[36m",
    "\x1b[1m",
    "\x1b[2m",
    "\x1b[9m",
    "\x1b[0m",
)
_KIND_COLOUR = {"added": GREEN, "removed": RED, "relinked": YELLOW, "moved": CYAN}


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *codes: str) -> str:
        return f"{''.join(codes)}{text}{RESET}" if self.color and codes and text else text


def version_name(label: str, commit: str | None) -> str:
    label = sanitize(label)
    return f"{label} ({commit[:7]})" if commit and commit[:7] != label else label


def render_words(words: list[WordOp], color: bool) -> str:
    """One statement with its changed words marked (colour, or [-…-]{+…+} without)."""
    s = _Style(color)
    out = []
    for op in words:
        text = sanitize(op.text, keep_newlines=True)
        if op.op == "equal":
            out.append(text)
        elif op.op == "delete":
            out.append(s(text, RED, STRIKE) if color else f"[-{text}-]")
        else:
            out.append(s(text, GREEN, BOLD) if color else f"{{+{text}+}}")
    return "".join(out)


def _rank(value: int | None) -> str:
    return "-" if value is None else str(value)


def _principle(p: PrincipleChange, s: _Style) -> list[str]:
    kinds = ", ".join(s(k, _KIND_COLOUR.get(k, YELLOW)) for k in p.changes)
    rank = f"rank {_rank(p.rank_base)} -> {_rank(p.rank_head)}" if p.rank_base != p.rank_head else ""
    head = f"{s(sanitize(p.id), BOLD)}  {kinds}"
    if "moved" in p.changes or rank:
        head += f"  {s(rank, CYAN if 'moved' in p.changes else DIM)}" if rank else ""
    lines = [head, f"  {sanitize(p.title)}"]
    if "reworded" in p.changes:
        lines.append("  statement: " + render_words(p.words, s.color).replace("\n", "\n    "))
    if "added" in p.changes and p.statement_head:
        lines.append("  statement: " + s(sanitize(p.statement_head, keep_newlines=True), GREEN))
    if "removed" in p.changes and p.statement_base:
        lines.append("  statement: " + s(sanitize(p.statement_base, keep_newlines=True), RED))
    for code in p.locales_reworded:
        words = render_words(p.locale_words.get(code, []), s.color).replace("\n", "\n    ")
        lines.append(f"  locale {sanitize(code)} addendum: " + words)
    if p.fields:
        lines.append("  fields: " + ", ".join(p.fields))
    if p.path_base and p.path_head and p.path_base != p.path_head:
        lines.append(f"  file: {sanitize(p.path_base)} -> {sanitize(p.path_head)}")
    if p.links_added or p.links_removed:
        linked = [s(f"+{sanitize(c)}", GREEN) for c in p.links_added]
        linked += [s(f"-{sanitize(c)}", RED) for c in p.links_removed]
        lines.append("  cases: " + " ".join(linked))
    return lines


def _case(c: CaseChange, s: _Style) -> str:
    parts = [s(k, _KIND_COLOUR.get(k, YELLOW)) for k in c.changes]
    detail = []
    if c.fields:
        detail.append("fields: " + ", ".join(c.fields))
    if c.principles_added or c.principles_removed:
        links = [f"+{p}" for p in c.principles_added] + [f"-{p}" for p in c.principles_removed]
        detail.append(sanitize(" ".join(links)))
    return f"  {sanitize(c.id)}  {', '.join(parts)}" + (f"  ({'; '.join(detail)})" if detail else "")


def summary_line(diff: ConstitutionDiff) -> str:
    p = ", ".join(f"{n} {k}" for k, n in diff.summary.principles.items() if n)
    c = ", ".join(f"{n} {k}" for k, n in diff.summary.cases.items() if n)
    return f"principles: {p or 'no change'}; cases: {c or 'no change'}"


def render_text(diff: ConstitutionDiff, color: bool = False) -> str:
    """The whole diff for a terminal; ends with a summary line."""
    s = _Style(color)
    title = f"{version_name(diff.base, diff.base_commit)} -> {version_name(diff.head, diff.head_commit)}"
    lines = [s(f"diff {title}", BOLD)]
    if diff.empty:
        lines.append("no differences")
        return "\n".join(lines) + "\n"
    if diff.priority_changed:
        lines.append(s("priority order changed", CYAN))
    for change in diff.settings:
        lines.append(s(f"setting {change.key}: {sanitize(repr(change.base))} -> {sanitize(repr(change.head))}", CYAN))
    for p in diff.principles:
        lines.append("")
        lines.extend(_principle(p, s))
    if diff.cases:
        lines.append("")
        lines.append(s(f"cases ({len(diff.cases)} changed)", BOLD))
        lines.extend(_case(c, s) for c in diff.cases)
    lines.append("")
    lines.append(summary_line(diff))
    return "\n".join(lines) + "\n"
