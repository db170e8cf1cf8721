"""The impact view's layout at each width: case columns sized to what they hold, the footer.

"Decided by" shows the deciding principle before → after; a fixed 14 characters cut
"HELP-02 → HARM-01" to "HELP-02 → HAR…" at every width. It is sized to its longest value
(IDs are at most 24 characters); a terminal too narrow for it drops the Gold column first
(the ✗ mark still flags a disagreement with gold), then cuts the column to what is left.

Below NARROW_WIDTH "Back / cancel" reads "Back"; which keys fit is the studio footer's choice
(widgets/footer.py: a toggle that is on always shows, the others when there is room; the help
screen, F1, lists every key with its state).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.dom import DOMNode

from constitution_studio.core.sanitize import sanitize
from constitution_studio.tui.toggles import relabel
from constitution_studio.tui.words import plural

NARROW_WIDTH = 110  # as the main screen's
DECIDED = "Decided by"
BEFORE_AFTER = "Before → after"
GOLD = "Base gold"  # the base's answer key, for the case as a whole (`*`: derived from per-principle gold)
DECIDED_MIN = 14  # one ID and room to spare: the layout when no edit changes who decides
DECIDED_MAX = 24 + len(" → ") + 24
PRINCIPLE_COLUMNS = (
    ("Principle", 10),
    ("Flips", 7),
    ("in noise", 8),
    ("mean|Δ|", 7),
    ("max|Δ|", 6),
    ("Over-refusal", 13),
    ("Gold agreement", 14),
)
CASE_COLUMNS = (  # the widths at their smallest; "Decided by" grows to its content
    ("Case", 10),
    (BEFORE_AFTER, 20),
    ("ΔP ± noise", 12),
    (DECIDED, DECIDED_MIN),
    (GOLD, 9),
    ("", 1),
)
# The widths that show every value whole ("B preferred → B preferred", "B preferred*"), taken
# from a terminal's spare width in this order.
WHOLE_WIDTHS = ((BEFORE_AFTER, 25), (GOLD, 12))


def decided_text(cs: Any) -> str:
    """The deciding principle, or `before → after` when the edit changes it."""
    before = cs.base.deciding if cs.base is not None else None
    after = cs.head.deciding if cs.head is not None else None
    if before and after and before != after:
        return f"{sanitize(before)} → {sanitize(after)}"
    return sanitize(after or "–")


def decided_width(cases: Iterable[Any]) -> int:
    """The longest "Decided by" value of `cases` (at least DECIDED_MIN), capped at two full IDs."""
    longest = max((len(decided_text(cs)) for cs in cases), default=0)
    return min(max(longest, DECIDED_MIN), DECIDED_MAX)


def case_columns(width: int, decided: int) -> list[tuple[str, int]]:
    """(label, width) per column for a list `width` wide whose "Decided by" needs `decided`.

    A width 0 column is not drawn. Each column takes its width plus one space either side.
    """
    others = [(label, w) for label, w in CASE_COLUMNS if label != DECIDED]
    used = sum(w + 2 for _, w in others)
    drop_gold = used + decided + 2 > width
    if drop_gold:
        used -= dict(CASE_COLUMNS)[GOLD] + 2
    room = max(width - used - 2, DECIDED_MIN)
    widths = {DECIDED: min(decided, room), GOLD: 0 if drop_gold else dict(CASE_COLUMNS)[GOLD]}
    columns = [(label, widths.get(label, w)) for label, w in CASE_COLUMNS]
    spare = width - sum(w + 2 for _, w in columns if w)
    grown = dict(columns)
    for label, want in WHOLE_WIDTHS:  # a wide terminal shows the labels whole, not "B prefer…"
        if spare <= 0 or not grown[label]:
            continue
        extra = min(max(want - grown[label], 0), spare)
        grown[label] += extra
        spare -= extra
    return [(label, grown[label]) for label, _ in columns]


def fit_footer(screen: DOMNode, width: int) -> None:
    """Below NARROW_WIDTH: "Back" for "Back / cancel"."""
    relabel(screen, "escape", "Back" if width < NARROW_WIDTH else "Back / cancel")


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def step_lines(index: int, steps: list[tuple[str, str, int]], done: int, total: int, *, loading: str | None) -> str:
    """Run all's two lines: the group under way (why, and its answers), then every group in order
    with its count. `steps`: (title, reason, answers) per group; `loading`: the judge's loading
    message while its model loads (the first answers wait for it)."""
    reason = steps[index][1]
    where = f"{index + 1}/{len(steps)} {sanitize(reason)}"
    if done == 0 and total and loading:
        first = f"{where}: {sanitize(loading.rstrip('…'))}, then {plural(total, 'answer')}…"
    else:
        first = f"{where}: {done} of {plural(total, 'answer')}"
    order = " · ".join(f"{i}. {sanitize(t)} {n}" for i, (t, _, n) in enumerate(steps, 1))
    whole = plural(sum(n for _, _, n in steps), "answer")  # the count the summary's "left to score" gave
    return f"{first}\nRun all, {whole}: {order} (escape cancels)"


def progress_line(scored: int, todo: int, *, loading: str | None) -> str:
    """Run all's line: reading the cache, loading the model (`loading`: the judge's loading
    message, seconds), then answers scored of `todo`."""
    if not todo:
        return "reading the critic's cache (escape cancels)…"
    if scored == 0 and loading:
        return f"{sanitize(loading.rstrip('…'))}, then {plural(todo, 'answer')} to score (escape cancels)…"
    return f"critic: {scored} of {plural(todo, 'answer')} (escape cancels)"
