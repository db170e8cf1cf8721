"""The scoring progress bar shows from the first second of scoring, before any answer arrives."""

from __future__ import annotations

import io

from rich.console import Console

from constitution_studio.cli.progress import PREPARING, WAITING, ScoringProgress


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=160, color_system=None), out


def test_the_bar_shows_before_the_first_answer() -> None:
    console, out = _terminal()
    bar = ScoringProgress("scoring", console=console)
    bar._bar.refresh()
    assert "scoring" in out.getvalue() and PREPARING in out.getvalue()  # before any progress call
    bar(0, 52)
    bar._bar.refresh()
    assert "0/52" in out.getvalue() and WAITING in out.getvalue()
    bar(13, 52)
    bar._bar.refresh()
    assert "13/52" in out.getvalue() and "answers/s" in out.getvalue()
    bar.close()


def test_a_fully_cached_run_leaves_no_bar() -> None:
    console, _ = _terminal()
    bar = ScoringProgress("scoring", console=console)
    bar(52, 52)
    assert bar._bar is None
    bar.close()
