"""Make a Markdown report small enough to post as a pull-request comment.

`fit_check_markdown(result, full, budget)`: GitHub rejects comment bodies over 65,536
characters and a failed post would hide a passing check. Over the budget, the comment keeps
the verdict, critic, gates and summary (everything before the per-principle details), then
the most important flips — gold regressions, then stable flips by |Δp|, then unstable ones —
then a line saying how many more are in the full report (artifact). Text from cases and
principles is escaped by the one Markdown escaper (markdown_escape.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from constitution_studio.core.analysis.gate import CheckResult
from constitution_studio.core.analysis.scored import Verdict
from constitution_studio.core.analysis.shift_models import CaseShift, ShiftReport
from constitution_studio.core.report.markdown_escape import md_code, md_text
from constitution_studio.core.report.shift_common import prob_change, side_label
from constitution_studio.core.wording import plural

DEFAULT_BUDGET = 60_000


def turns_block(turns: list[str]) -> str:
    """A case's conversation as a nested list under its item (nothing for a one-turn prompt)."""
    if not turns:
        return ""
    return "  - turns:\n" + "".join(f"    - {md_text(' '.join(t.split()))}\n" for t in turns)


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
    where = f"{md_code(f.principle_id)} on " if f.principle_id else ""
    tags = []
    if f.gold_regression:
        tags.append("**gold regression**")
    if not f.stable:
        tags.append("_unstable_")
    gold = f"gold {md_code(str(c.gold))}" if c.gold else "no gold"
    extra = (" — " + ", ".join(tags)) if tags else ""
    words = " ".join(c.prompt.split())
    prompt = md_text(words if len(words) <= 160 else words[:157] + "…")
    return (
        f"- {where}**{md_code(c.case_id)}**: {side_label(f.base)} → {side_label(f.head)}, "
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
        f"\n**{plural(more, 'more flip')}, {note}the per-principle details are in the full report "
        f"(artifact {md_code(artifact)}).** This comment is cut at {budget:,} characters.\n"
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
