"""The one scoring progress bar every command uses: `progress(done, total)`, then `close()`.

Rich is imported only when something actually needs scoring, so a fully cached run and the
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
from typing import Any


class ScoringProgress:
    """A rich progress bar on stderr with cases/s and ETA; silent when nothing needs scoring."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._task: Any = None
        self._start = time.perf_counter()
        self._first_done: int | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._first_done is None:
            self._first_done = done  # cached results arrive at once; the rate counts scored ones
            if done >= total:
                return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total, completed=done, rate="")
            self._start = time.perf_counter()
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        rate = (done - (self._first_done or 0)) / elapsed
        self._bar.update(self._task, completed=done, total=total, rate=f"{rate:.1f} cases/s")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


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
