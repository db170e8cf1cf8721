"""The scoring progress bar shows from the first second of scoring, before any answer arrives."""

from __future__ import annotations

import io
from typing import Any

import pytest
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


def test_the_bar_says_what_the_judge_waits_for_while_its_model_loads() -> None:
    from fixtures.shift_support import ScriptedCritic

    judge = ScriptedCritic(lambda *_: 0.5)
    judge.loaded = False  # its model is not loaded yet
    judge.loading_message = "loading the critic model builtin:smollm2-135m…"
    console, out = _terminal()
    bar = ScoringProgress("scoring", console=console, judge=judge)
    bar(0, 52)
    bar._bar.refresh()
    assert "loading the critic model builtin:smollm2-135m" in out.getvalue()
    judge.loaded = True
    bar(0, 52)
    bar._bar.refresh()
    assert WAITING in out.getvalue()
    bar.close()


def test_off_a_terminal_one_line_says_the_model_loads(capsys: pytest.CaptureFixture[str]) -> None:
    """CI logs: once the cache is read and answers are still missing, one plain line, never a bar."""
    from fixtures.shift_support import ScriptedCritic

    judge = ScriptedCritic(lambda *_: 0.5)
    judge.loaded = False
    judge.loading_message = "loading the critic model \x1b[31mred…"
    bar = ScoringProgress("scoring", judge=judge)
    bar(0, 52)  # before the cache is read: nothing yet
    assert capsys.readouterr().err == ""
    bar(10, 52)  # the cache answered 10; 42 wait for the model
    bar(10, 52)
    bar.close()
    err = capsys.readouterr().err
    assert err.count("cstudio: loading the critic model") == 1 and "\x1b" not in err
    fully_cached = ScoringProgress("scoring", judge=judge)
    fully_cached(0, 52)
    fully_cached(52, 52)
    fully_cached.close()
    assert "cstudio:" not in capsys.readouterr().err  # the cache answered everything: no model loads


def test_off_a_terminal_a_long_run_writes_a_line_every_while(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI logs: a long scoring run is not silent until it ends; lines come LOG_EVERY_S apart, not per answer."""
    from constitution_studio.cli import progress

    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(progress.time, "perf_counter", lambda: clock[0])
    bar = ScoringProgress("scoring")
    bar(0, 816)  # the cache read: nothing scored yet
    for done in range(1, 40):
        clock[0] += 1.0  # one answer a second
        bar(done, 816)
    bar.close()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("cstudio: scoring:")]
    assert len(lines) == 1  # 39 answers over 39 s: one line, at 30 s
    assert lines[0].startswith("cstudio: scoring: 30 of 816 answers, ") and "min left" in lines[0]


def test_the_log_line_words_the_time_left() -> None:
    from constitution_studio.cli.progress import log_line

    assert log_line(120, 816, 2.0) == "120 of 816 answers, 2.0 answers/s, about 6 min left"
    assert log_line(800, 816, 2.0) == "800 of 816 answers, 2.0 answers/s, about 8 s left"
    assert log_line(0, 816, 0.0) == "0 of 816 answers, 0.0 answers/s"


def test_one_commands_quiet_ends_with_it(tmp_path: Any) -> None:
    """`main([... -q])` in a process that runs more (tests, a notebook): the next bar still shows.
    (A quiet run used to leave quiet on, and every later in-process progress bar stayed silent.)"""
    import shutil
    from pathlib import Path

    from constitution_studio.cli import main
    from constitution_studio.cli.common import is_quiet

    root = Path(tmp_path) / "c"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "mini", root)
    assert main(["validate", "--root", str(root), "-q"]) == 0
    assert not is_quiet()
