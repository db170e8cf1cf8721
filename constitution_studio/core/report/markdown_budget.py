"""Make a Markdown report safe and small enough to post as a pull-request comment.

Two jobs the renderers share:

* `neutralise(text)`: text that comes from cases and principles (an unreviewed pull request
  wrote it) must not ping people (`@user`, `@org/team`), link or cross-reference issues
  (`#123`, `owner/repo#123`, `GH-123`) or autolink URLs. A zero-width space (as an HTML
  entity, invisible when rendered) goes after the trigger character.
* `fit_check_markdown(result, full, budget)`: GitHub rejects comment bodies over 65,536
  characters and a failed post would hide a passing check. Over the budget, the comment
  keeps the verdict, critic, gates and summary (everything before the per-principle
  details), then the most important flips — gold regressions, then stable flips by |Δp|,
  then unstable ones — then a line saying how many more are in the full report (artifact).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from constitution_studio.core.analysis.gate import CheckResult
from constitution_studio.core.analysis.scored import Verdict
from constitution_studio.core.analysis.shift_models import CaseShift, ShiftReport
from constitution_studio.core.report.shift_common import prob_change, side_label

DEFAULT_BUDGET = 60_000
ZWSP = "&#8203;"

_MENTION = re.compile(r"@(?=[A-Za-z0-9_-])")
_ISSUE = re.compile(r"(?<!&)#(?=\d)")
_GH_REF = re.compile(r"(?<![A-Za-z0-9])(gh)(?=-\d)", re.IGNORECASE)
_URL = re.compile(r"(?<=[A-Za-z])://")
_ESCAPES = (("\\", "\\\\"), ("|", "\\|"), ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_WWW = re.compile(r"(?<![A-Za-z0-9.])(www)\.", re.IGNORECASE)


def neutralise(text: str) -> str:
    """`@user`, `#123`, `GH-123` and URLs lose their power; what is shown stays the same."""
    text = _MENTION.sub("@" + ZWSP, text)
    text = _ISSUE.sub("#" + ZWSP, text)
    text = _GH_REF.sub(lambda m: m.group(1) + ZWSP, text)
    text = _URL.sub(":" + ZWSP + "//", text)
    return _WWW.sub(lambda m: m.group(1) + ZWSP + ".", text)


def escape(text: str) -> str:
    """Escape for a Markdown table cell or line (`\\`, `|`, `&`, `<`, `>`), then neutralise."""
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return neutralise(text)


def turns_block(turns: list[str]) -> str:
    """A case's conversation as a nested list under its item (nothing for a one-turn prompt)."""
    if not turns:
        return ""
    return "  - turns:\n" + "".join(f"    - {escape(' '.join(t.split()))}\n" for t in turns)


# --- the budget --------------------------------------------------------------------------

# Where the per-principle details begin in check_markdown / shift_markdown output.
_DETAILS = re.compile(r"^### (`|Overall labels)", re.MULTILINE)


@dataclass(frozen=True)
class Flip:
    """One flip to show: a case's overall label, or one principle's own label on it."""

    case: CaseShift
    base: Verdict | None
    head: Verdict | None
    principle_id: str | None
    stable: bool
    gold_regression: bool

    @property
    def abs_delta(self) -> float:
        b = self.base.probability if self.base else None
        h = self.head.probability if self.head else None
        return abs(h - b) if b is not None and h is not None else 0.0


def important_flips(shift: ShiftReport) -> list[Flip]:
    """Every flip once per (case, principle), most important first: gold regressions, stable by |Δ|, unstable."""
    cases = {c.case_id: c for c in shift.cases}
    out: list[Flip] = []
    for c in shift.cases:
        if c.flipped:
            out.append(Flip(c, c.base, c.head, None, c.stable, c.gold_regression))
    for ps in shift.principles:
        for r in ps.rows:
            case = cases.get(r.case_id)
            if r.flipped and case is not None:
                out.append(Flip(case, r.base, r.head, ps.principle_id, r.stable, False))

    def key(f: Flip) -> tuple[int, float, str, str]:
        tier = 0 if f.gold_regression else (1 if f.stable else 2)
        return (tier, -f.abs_delta, f.case.case_id, f.principle_id or "")

    return sorted(out, key=key)


def flip_line(f: Flip) -> str:
    """One flip as a list item: where, labels and P base → head, gold, prompt excerpt."""
    c = f.case
    where = f"`{f.principle_id}` on " if f.principle_id else ""
    tags = []
    if f.gold_regression:
        tags.append("**gold regression**")
    if not f.stable:
        tags.append("_unstable_")
    gold = f"gold `{c.gold}`" if c.gold else "no gold"
    extra = (" — " + ", ".join(tags)) if tags else ""
    prompt = escape(" ".join(c.prompt.split()))
    if len(prompt) > 160:
        prompt = prompt[:157].rstrip("\\&") + "…"
    return (
        f"- {where}**`{c.case_id}`**: {side_label(f.base)} → {side_label(f.head)}, "
        f"{prob_change(f.base, f.head, c.kind)} (|Δ| {f.abs_delta:.2f}), {gold}{extra}\n  - prompt: {prompt}\n"
        f"{turns_block(c.turns)}"
    )


def _truncate_lines(text: str, limit: int) -> tuple[str, bool]:
    """At most `limit` characters of whole lines; an open <details> is closed. (text, cut?)"""
    if len(text) <= limit:
        return text, False
    kept: list[str] = []
    size = 0
    open_details = 0
    closing = "</details>\n"
    for line in text.splitlines(keepends=True):
        need = size + len(line) + len(closing) * (open_details + line.count("<details>"))
        if need > limit:
            break
        kept.append(line)
        size += len(line)
        open_details += line.count("<details>") - line.count("</details>")
    out = "".join(kept)
    if not out.endswith("\n"):
        out += "\n"
    return out + closing * max(open_details, 0), True


def fit_markdown(full: str, flips: Iterable[Flip], total_flips: int, budget: int, artifact: str) -> str:
    """`full` when it fits in `budget` characters; else its head, the first flips that fit, and a pointer."""
    if budget <= 0 or len(full) <= budget:
        return full
    match = _DETAILS.search(full)
    head = full[: match.start()] if match else full
    footer_room = 400
    head, cut = _truncate_lines(head.rstrip() + "\n\n", max(budget - footer_room, 0))
    parts = [head]
    size = len(head)
    shown = 0
    title = "### Most important flips (gold regressions, then stable flips by |Δp|)\n\n"
    for f in flips:
        line = flip_line(f)
        if size + len(title) * (shown == 0) + len(line) + footer_room > budget:
            break
        if shown == 0:
            parts.append(title)
            size += len(title)
        parts.append(line)
        size += len(line)
        shown += 1
    more = total_flips - shown
    note = "the rest of the summary and " if cut else ""
    parts.append(
        f"\n**{more} more flip(s), {note}the per-principle details are in the full report "
        f"(artifact `{artifact}`).** This comment is cut at {budget:,} characters.\n"
    )
    return "".join(parts)


def fit_check_markdown(
    result: CheckResult, full: str, budget: int = DEFAULT_BUDGET, artifact: str = "constitution-check"
) -> str:
    """The check's PR comment within `budget` characters (0: no limit)."""
    flips = important_flips(result.shift) if result.shift is not None else []
    return fit_markdown(full, flips, len(flips), budget, artifact)


def fit_shift_markdown(
    report: ShiftReport, full: str, budget: int = DEFAULT_BUDGET, artifact: str = "label-shift"
) -> str:
    """`shift --format markdown` within `budget` characters (0: no limit)."""
    flips = important_flips(report)
    return fit_markdown(full, flips, len(flips), budget, artifact)
