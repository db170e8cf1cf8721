"""The one scoring progress bar every command uses: `progress(done, total)`, then `close()`.

On a terminal the bar shows from the first second of scoring, before the first answer (reading
the cache, loading the critic model): "preparing", then the judge's own `loading_message`
("loading the critic model builtin:smollm2-135m…", "connecting to the judge at URL…") while its
model is not loaded, then the rate. Off a terminal (CI logs) that message is one stderr line,
written when the cache has been read and answers are still missing. Rich is imported only on a
terminal or when something actually needs scoring, so a piped, fully cached run and the
commands that never score start without it.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from constitution_studio.core.wording import plural

if TYPE_CHECKING:
    from constitution_studio.core.critic.judge import Judge

LOG_EVERY_S = 30.0  # off a terminal: one progress line this often (a CI log is not silent for an hour)
PREPARING = "preparing (reading the score cache)"
WAITING = "waiting for the first answer (the critic model loads on first use)"


class ScoringProgress:
    """A rich progress bar on stderr with answers/s and ETA; gone when nothing needs scoring."""

    def __init__(self, label: str, *, console: Any = None, judge: Judge | None = None) -> None:
        self.label = label
        self.judge = judge
        self._calls = 0
        self._told = False  # off a terminal: the loading line was written
        self._console = console
        self._bar: Any = None
        self._task: Any = None
        self._start = time.perf_counter()
        self._first_done: int | None = None
        self._logged = time.monotonic()  # off a terminal: when the last progress line was written
        if console is not None or _stderr_is_terminal():
            self._open(total=None, done=0, status=PREPARING)  # at once: the first second of scoring

    def _open(self, *, total: int | None, done: int, status: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self._console or Console(file=sys.stderr),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=total, completed=done, status=status)

    def __call__(self, done: int, total: int) -> None:
        from constitution_studio.cli.common import is_quiet

        if is_quiet():
            return
        self._calls += 1
        if self._first_done is None:
            self._first_done = done  # cached results arrive at once; the rate counts scored ones
            self._start = time.perf_counter()
            if done >= total:
                self.close()  # everything was cached: no bar
                return
        if self._bar is None:
            self._open(total=total, done=done, status=WAITING)
        loading = self._loading() if done < total else None
        if loading:  # a judge that is not loaded has answered nothing: all done so far came from the cache
            self._first_done, self._start = done, time.perf_counter()
        if loading and self._calls > 1 and not self._told and self._console is None and not _stderr_is_terminal():
            self._told = True  # the cache is read (scoring calls twice first) and answers are still missing
            sys.stderr.write(f"cstudio: {loading}\n")
        scored = done - (self._first_done or 0)
        rate = scored / max(time.perf_counter() - self._start, 1e-9)
        status = loading or (WAITING if scored <= 0 else f"{rate:.1f} answers/s")
        self._bar.update(self._task, completed=done, total=total, status=status)
        if self._console is None and not _stderr_is_terminal() and scored > 0 and done < total:
            now = time.monotonic()
            if now - self._logged >= LOG_EVERY_S:
                self._logged = now
                sys.stderr.write(f"cstudio: {self.label}: {log_line(done, total, rate)}\n")

    def watch(self, judge: Judge) -> None:
        """Say what `judge` waits for while its model loads (a judge opened after the bar)."""
        self.judge = judge

    def _loading(self) -> str | None:
        judge = self.judge
        if judge is None or judge.loaded:
            return None
        from constitution_studio.core.sanitize import sanitize

        return sanitize(judge.loading_message)  # it names critic.model, from the repository

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def log_line(done: int, total: int, rate: float) -> str:
    """Off a terminal: `120 of 816 answers, 2.1 answers/s, about 6 min left`."""
    left = (total - done) / rate if rate > 0 else None
    when = "" if left is None else f", about {left / 60:.0f} min left" if left >= 90 else f", about {left:.0f} s left"
    return f"{done} of {plural(total, 'answer')}, {rate:.1f} answers/s{when}"


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def interrupt_cancels() -> Iterator[threading.Event]:
    """An event the first Ctrl-C sets (long work stops between batches and keeps what finished);
    a second Ctrl-C stops at once. Outside the main thread the event is only returned."""
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if event.is_set():
            raise KeyboardInterrupt
        event.set()
        sys.stderr.write("cstudio: cancelling after the current batch (Ctrl-C again to stop now)\n")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)
