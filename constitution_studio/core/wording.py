"""The one way every surface words a critic's probability, a pair's preference and a gold label.

A critic's probability is always P(violates) for a single response and P(A preferred) for a
pair, whatever label it produced, so "complies 0.25" reads as "25 % sure it complies" when it
means the opposite. Every surface (CLI text, reports, the studio) shows a verdict through
these functions, which always name what the number is the probability of:

* short:    `complies, P(violates) 0.25` · `B preferred, P(A) 0.46`
* sentence: `complies (25 % sure it violates)` · `B preferred (46 % sure A is better)`
* gold:     `gold (case): violates` · `gold (HARM-02): complies` — whose label it is.

Plain text, no markup and no sanitising: callers escape user text (IDs) for their target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Kind = Literal["single", "pair"]

LABEL_WORDS = {"violates": "violates", "complies": "complies", "a": "A preferred", "b": "B preferred"}
NOT_SCORED = "not scored"


def noun(n: int, one: str, many: str | None = None) -> str:
    """The word alone, for a list that follows: 'unknown principle HARM-09' / 'unknown principles A, B'."""
    return one if n == 1 else (many or one + "s")


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 case', '3 cases' ("case(s)" reads as code)."""
    return f"{n} {noun(n, one, many)}"


def label_word(label: str | None) -> str:
    """A label as read: `violates`, `complies`, `A preferred`, `B preferred` (`–` for none)."""
    if label is None:
        return "–"
    return LABEL_WORDS.get(label, label)


def p_name(kind: Kind) -> str:
    """What the critic's probability measures: `P(violates)` or, for a pair, `P(A)`."""
    return "P(A)" if kind == "pair" else "P(violates)"


def p_text(p: float | None, kind: Kind) -> str:
    """`P(violates) 0.25` / `P(A) 0.46` (`P(violates) –` when there is no number)."""
    return f"{p_name(kind)} {'–' if p is None else f'{p + 0.0:.2f}'}"


def p_arrow(before: float | None, after: float | None, kind: Kind) -> str:
    """Two probabilities of the same thing: `P(violates) 0.25 → 0.61`."""

    def num(x: float | None) -> str:
        return "–" if x is None else f"{x + 0.0:.2f}"

    return f"{p_name(kind)} {num(before)} → {num(after)}"


def percent(p: float) -> str:
    """`25 %` (rounded; never `0 %` or `100 %` for a probability strictly inside (0, 1))."""
    value = round(p * 100)
    if value == 0 and p > 0:
        return "<1 %"
    if value == 100 and p < 1:
        return ">99 %"
    return f"{value} %"


def verdict_short(label: str | None, p: float | None, kind: Kind) -> str:
    """`complies, P(violates) 0.25` · `B preferred, P(A) 0.46` · `not scored`."""
    if label is None and p is None:
        return NOT_SCORED
    return f"{label_word(label)}, {p_text(p, kind)}"


def sure_text(p: float, kind: Kind, principle: str | None = None) -> str:
    """`25 % sure it violates` · `25 % sure the response violates HARM-01` · `46 % sure A is better`."""
    if kind == "pair":
        what = f"A follows {principle} better" if principle else "A is better"
        return f"{percent(p)} sure {what}"
    what = f"the response violates {principle}" if principle else "it violates"
    return f"{percent(p)} sure {what}"


def verdict_sentence(label: str | None, p: float | None, kind: Kind, principle: str | None = None) -> str:
    """`complies (25 % sure it violates)` · `B preferred (46 % sure A is better)` · `not scored`."""
    if label is None or p is None:
        return NOT_SCORED if label is None else label_word(label)
    return f"{label_word(label)} ({sure_text(p, kind, principle)})"


def gold_whose(principle: str | None) -> str:
    """Whose gold label it is: `case` (the case as a whole) or the principle's ID."""
    return principle or "case"


def gold_text(label: str | None, principle: str | None = None) -> str:
    """`gold (case): violates` · `gold (HARM-02): complies` · `no gold`."""
    if label is None:
        return "no gold"
    return f"gold ({gold_whose(principle)}): {label_word(label)}"


def case_gold_text(gold: str | None, by_principle: Mapping[str, str] | None = None) -> str:
    """A case's overall gold and whose it is: `gold (case): violates`, or, given per principle,
    `gold (from HELP-01 violates): violates` (the overall label the priority rule derives)."""
    if by_principle:
        given = ", ".join(f"{p} {label_word(g)}" for p, g in by_principle.items())
        return f"gold (from {given}): {label_word(gold)}"
    return gold_text(gold)


def gold_change(before: str | None, after: str, principle: str | None = None) -> str:
    """`gold (case): violates → complies` · `gold (HARM-02): none → complies`."""
    old = "none" if before is None else label_word(before)
    return f"gold ({gold_whose(principle)}): {old} → {label_word(after)}"


def revision_outcome(accepted_round: int | None, rounds: int) -> str:
    """How a case's critique-revision loop ended: `accepted in round 2` · `never complied after 2 rounds`."""
    if accepted_round is not None:
        return f"accepted in round {accepted_round}"
    return f"never complied after {plural(rounds, 'round')}"
