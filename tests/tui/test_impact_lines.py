"""Run all's progress lines: the group under way and the whole run's count, which is the count
the summary's "N answers left to score" gave (the author saw "20 left" then "0 of 14")."""

from __future__ import annotations

from constitution_studio.tui.screens.impact_columns import step_lines


def test_the_run_line_gives_the_whole_count_and_each_group() -> None:
    steps = [("HARM-01 (edited)", "the edited principle's own labels", 14), ("the rest", "who decides", 6)]
    first, run = step_lines(0, steps, 0, 14, loading=None).splitlines()
    assert first == "1/2 the edited principle's own labels: 0 of 14 answers"
    assert run.startswith("Run all, 20 answers: 1. HARM-01 (edited) 14 · 2. the rest 6")


def test_while_the_model_loads_the_line_says_so() -> None:
    steps = [("HARM-01", "own labels", 3)]
    first = step_lines(0, steps, 0, 3, loading="loading the critic model…").splitlines()[0]
    assert first == "1/1 own labels: loading the critic model, then 3 answers…"


def test_group_text_from_the_repository_is_sanitised() -> None:
    steps = [("\x1b[31mEVIL", "why\x1b]0;x\x07", 1)]
    text = step_lines(0, steps, 1, 1, loading=None)
    assert "\x1b" not in text and "\x07" not in text
