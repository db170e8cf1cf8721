"""Plots that read in a terminal: a sparkline of counts, a before → after bar, a series of values."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(counts: Sequence[int]) -> str:
    """One block character per count, scaled to the largest (a space for zero)."""
    top = max(counts, default=0)
    if top <= 0:
        return " " * len(counts)
    return "".join(" " if c == 0 else BLOCKS[min(len(BLOCKS) - 1, (c * len(BLOCKS) - 1) // top)] for c in counts)


def series(values: Sequence[float | None], low: float = -1.0, high: float = 1.0) -> str:
    """A sparkline of values in [low, high] ('·' where a value is missing)."""
    out = []
    for v in values:
        if v is None:
            out.append("·")
            continue
        frac = (min(max(v, low), high) - low) / (high - low) if high > low else 0.0
        out.append(BLOCKS[min(len(BLOCKS) - 1, int(frac * len(BLOCKS)))])
    return "".join(out)


def rate_bar(rate: float | None, width: int = 20, style: str = "cyan") -> Text:
    """`█████░░░░░ 25%` for a rate in [0, 1]; 'n/a' when there is none."""
    if rate is None:
        return Text("n/a".ljust(width + 5), style="dim")
    filled = round(rate * width)
    return Text.assemble(("█" * filled, style), ("░" * (width - filled), "dim"), f" {rate:>4.0%}")


def delta_histogram(counts: Sequence[int], low: float = -1.0, high: float = 1.0) -> Text:
    """The Δ distribution with its axis ends: `-1 ▁▁▂█▂▁ +1`."""
    return Text.assemble((f"{low:+.0f} ", "dim"), (sparkline(counts), "magenta"), (f" {high:+.0f}", "dim"))
