"""Studio at scale: 1,000 principles and 50,000 cases — first paint, filter keystroke, selection change.

What is timed is what a user waits for: from the moment a key event enters the app until the
screen update that shows its effect has been laid out and rendered (Textual paints from the
screen's update timer; `FrameClock` wraps it). Each key is sent with Textual's Pilot
(headless, 120x40) after the screen has been quiet for a while, so keys do not overlap.

First paint: from creating the app (which loads the workspace) to the first frame of the
main screen; "startup settled" is the last frame of the start-up. Importing Textual and the
studio comes before that and is printed on its own.

Per key, four figures:
- pilot: Pilot's own `press()` time, the raw figure. It includes Pilot's idle polling (at
  least two 20 ms sleeps, then until the CPU is quiet), so even a key nothing is bound to
  costs ~45-70 ms; `pilot - noop` subtracts that floor, measured in the same run.
- first frame: key in -> first frame painted (the list cursor moved / the list filtered).
- settled: key in -> last frame painted (editor and linked cases too, after any debounce).
- cpu: the process's CPU time over the same span: the app's own work, which machine load
  does not inflate (wall-clock figures do: the load average is printed).

The same keys run against a naive baseline in the same run (the principle list a
DataTable rebuilt per keystroke, the linked cases a DataTable refilled per selection and
found by scanning every case, panes following the Highlighted message, no debounce, the
workspace loaded with the cyclic GC running) and the ratio is printed. Every run is a fresh
process, as when a user starts `cstudio`.

Run:  .venv/bin/python benchmarks/tui_bench.py [--principles 1000] [--cases 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import DataTable, Input, ProgressBar, Static, TextArea

from constitution_studio.core.models import EvalCase
from constitution_studio.core.workspace import load_root
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.state import Label, Studio
from constitution_studio.tui.widgets.cases_panel import COLUMNS as CASE_COLUMNS
from constitution_studio.tui.widgets.cases_panel import CaseRow, CasesPanel
from constitution_studio.tui.widgets.principle_table import COLUMNS, PrincipleTable, search_text

SIZE = (120, 40)
QUIET_S = 0.25  # a key's effects are over when nothing was painted for this long
PREFIXES = ("HARM", "HON", "PRIV", "FAIR", "AUTO", "HELP", "SAFE", "LAW")
WORDS = [
    "assistant",
    "response",
    "must",
    "not",
    "should",
    "help",
    "refuse",
    "people",
    "harm",
    "private",
    "honest",
    "fair",
    "safe",
    "legal",
    "advice",
]


def generate(root: Path, n_principles: int, n_cases: int, seed: int = 0) -> list[str]:
    """Write a valid constitution of that size; returns the principle IDs in priority order."""
    rng = random.Random(seed)
    (root / "principles").mkdir(parents=True)
    (root / "eval_cases").mkdir()
    ids = [f"{PREFIXES[i % len(PREFIXES)]}-{i:04d}" for i in range(n_principles)]
    for pid in ids:
        words = " ".join(rng.choice(WORDS) for _ in range(30))
        (root / "principles" / f"{pid}.yaml").write_text(
            f"# {pid}\nid: {pid}\ntitle: {' '.join(rng.choice(WORDS) for _ in range(4)).capitalize()}\n"
            f"statement: >-\n  The {words}.\nstatus: active\nowner: team-{rng.randint(1, 9)}\n"
            f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]\n"
        )
    lines = ["name: Scale", 'version: "1.0"', "priority:"] + [f"  - {pid}" for pid in ids]
    (root / "principles" / "constitution.yaml").write_text("\n".join(lines) + "\n")
    per_file = 500
    for f in range(0, n_cases, per_file):
        out = ["cases:"]
        for i in range(f, min(f + per_file, n_cases)):
            linked = sorted({rng.choice(ids) for _ in range(rng.choice((1, 1, 2)))})
            gold = rng.choice(("violates", "complies"))
            out += [
                f"  - id: case-{i:06d}",
                f"    principles: [{', '.join(linked)}]",
                f"    prompt: Please {' '.join(rng.choice(WORDS) for _ in range(12))}?",
                f"    response: I {' '.join(rng.choice(WORDS) for _ in range(20))}.",
                f"    gold: {gold}",
            ]
        (root / "eval_cases" / f"cases-{f // per_file:04d}.yaml").write_text("\n".join(out) + "\n")
    return ids


# --- the naive baseline ------------------------------------------------------------------


class NaiveTable(DataTable):  # type: ignore[type-arg]
    """The obvious implementation: a DataTable rebuilt from scratch (cells, search text) per keystroke."""

    def __init__(self, studio: Studio, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self.studio = studio
        self.ids: list[str] = []
        self.filter_text = ""
        self.highlighted_signal: Signal[str] = Signal(self, "highlighted")  # never published: messages only

    def on_mount(self) -> None:
        self.apply_filter("")

    def cells(self, pid: str) -> tuple[str, ...]:
        p = self.studio.ws.principles[pid]
        rank = self.studio.rank(pid)
        links = str(len(self.studio.ws.links.get(pid, [])))
        return (str(rank or "–"), pid, p.title, p.status.value, links, self.studio.summary(pid))

    def apply_filter(self, query: str) -> None:
        self.filter_text = query
        words = query.lower().split()
        self.clear(columns=True)
        for key, label, _ in COLUMNS:
            self.add_column(label, key=key)
        self.ids = [p for p in self.studio.principle_ids() if all(w in search_text(self.studio, p) for w in words)]
        for pid in self.ids:
            self.add_row(*self.cells(pid), key=pid)

    def rebuild(self, keep: str | None = None) -> None:
        self.apply_filter("")

    def invalidate(self, *pids: str) -> None:
        pass

    def current_id(self) -> str | None:
        return self.ids[self.cursor_row] if self.ids else None

    def select_id(self, pid: str) -> bool:
        self.move_cursor(row=self.ids.index(pid))
        return True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.post_message(PrincipleTable.Highlighted(str(event.row_key.value)))


class NaiveCasesPanel(CasesPanel):
    """The obvious linked-cases table: a DataTable cleared and refilled (every cell measured) per selection."""

    def compose(self) -> ComposeResult:
        yield Static("", id="cases-status")
        yield ProgressBar(id="critic-progress", show_eta=False)
        yield DataTable(id="cases", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, _ in CASE_COLUMNS:
            table.add_column(label, key=key)
        self.query_one(ProgressBar).display = False

    def show(
        self,
        cases: list[EvalCase],
        saved: dict[str, Label],
        edited: dict[str, Label],
        wording_changed: bool,
        note: str = "",
    ) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for case in cases:
            row = CaseRow(case, saved.get(case.id), edited.get(case.id) if wording_changed else None, wording_changed)
            table.add_row(*row.cells(), key=case.id)
        self.query_one("#cases-status", Static).update(f"{len(cases)} linked cases {note}")


class NaiveMain(MainScreen):
    """No signals (the panes follow the Highlighted message, a frame later), no debounce."""

    def compose(self):  # type: ignore[no-untyped-def]
        import constitution_studio.tui.screens.main as main_mod

        main_mod.PrincipleTable = NaiveTable  # type: ignore[misc]
        main_mod.CasesPanel = NaiveCasesPanel  # type: ignore[misc]
        try:
            yield from super().compose()
        finally:
            main_mod.PrincipleTable = PrincipleTable  # type: ignore[misc]
            main_mod.CasesPanel = CasesPanel  # type: ignore[misc]

    def cases(self, pid: str) -> list[EvalCase]:
        return [c for c in self.studio.ws.cases.values() if pid in c.principles]


class NaiveApp(StudioApp):
    """Loads the workspace plainly (the cyclic GC running throughout, nothing frozen)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, workspace=load_root(root))

    def make_main_screen(self) -> MainScreen:
        return NaiveMain(self.studio)


# --- measuring ---------------------------------------------------------------------------


class FrameClock:
    """When each screen update (layout + render of what changed) finished, and the CPU time then.

    Textual paints from the screen's update timer (`Screen._on_timer_update`); wrapping it gives
    the moment the screen shows the result of a key, without Pilot's idle polling.
    """

    def __init__(self) -> None:
        self.frames: list[tuple[float, float, Screen[object]]] = []
        self._original = Screen._on_timer_update

    def __enter__(self) -> FrameClock:
        original = self._original
        frames = self.frames

        def timed(screen: Screen[object]) -> None:
            busy = bool(
                screen._layout_required or screen._scroll_required or screen._repaint_required or screen._dirty_widgets
            )
            original(screen)
            if busy and screen.is_current:
                frames.append((time.perf_counter(), time.process_time(), screen))

        Screen._on_timer_update = timed  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        Screen._on_timer_update = self._original  # type: ignore[method-assign]

    async def settle(self, quiet: float = QUIET_S, limit: float = 3.0) -> None:
        """Wait until no frame was painted for `quiet` seconds (debounced pane updates included)."""
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            await asyncio.sleep(quiet / 3)
            last = self.frames[-1][0] if self.frames else start
            if time.perf_counter() - max(last, start) >= quiet:
                return


@dataclass
class KeyTiming:
    pilot_ms: float  # Pilot's press(): key in, until Pilot judges the app idle (>= 2 x 20 ms polls)
    first_ms: float  # key in -> first frame painted (the list moved / filtered)
    settled_ms: float  # key in -> last frame painted (editor and linked cases too)
    cpu_ms: float  # process CPU time from key in to the last frame: the app's own work


async def press_timed(pilot: Pilot[int], clock: FrameClock, key: str) -> KeyTiming:
    await clock.settle()
    clock.frames.clear()
    t0, c0 = time.perf_counter(), time.process_time()
    await pilot.press(key)
    pilot_s = time.perf_counter() - t0
    await clock.settle()
    if not clock.frames:
        return KeyTiming(pilot_s * 1000, 0.0, 0.0, 0.0)
    first, last = clock.frames[0], clock.frames[-1]
    return KeyTiming(pilot_s * 1000, (first[0] - t0) * 1000, (last[0] - t0) * 1000, (last[1] - c0) * 1000)


def no_blink(app: StudioApp) -> None:
    """A blinking cursor paints twice a second; it would be counted as the key's frame."""
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def measure(app_cls: type[StudioApp], root: Path, keys: str, moves: int) -> dict[str, float]:
    with FrameClock() as clock:
        t0 = time.perf_counter()
        app = app_cls(root)
        async with app.run_test(size=SIZE) as pilot:
            while not any(isinstance(s, MainScreen) for _, _, s in clock.frames):
                await asyncio.sleep(0.001)
            first_paint = next(t for t, _, s in clock.frames if isinstance(s, MainScreen)) - t0
            await clock.settle()
            startup_settled = clock.frames[-1][0] - t0
            no_blink(app)
            table = app.screen.query_one("#principles")
            table.focus()
            noop = [await press_timed(pilot, clock, "f12") for _ in range(8)]  # nothing bound: Pilot's floor
            app.screen.query_one("#filter").focus()
            typing = [await press_timed(pilot, clock, k) for k in [*keys, *["backspace"] * len(keys)]]
            table.focus()
            select = [await press_timed(pilot, clock, "down") for _ in range(moves)]
            burst = await burst_timed(app, clock, 10)
    floor = med([k.pilot_ms for k in noop])
    out = {
        "first_paint_s": first_paint,
        "startup_settled_s": startup_settled,
        "pilot_noop_key_ms": floor,
    }
    for name, rows in (("key", typing), ("select", select)):
        out[f"{name}_pilot_ms"] = med([k.pilot_ms for k in rows])
        out[f"{name}_pilot_minus_noop_ms"] = med([k.pilot_ms for k in rows]) - floor
        out[f"{name}_first_frame_ms"] = med([k.first_ms for k in rows])
        out[f"{name}_settled_ms"] = med([k.settled_ms for k in rows])
        out[f"{name}_settled_max_ms"] = max(k.settled_ms for k in rows)
        out[f"{name}_cpu_ms"] = med([k.cpu_ms for k in rows])
    out["repeat10_settled_ms"] = burst
    return out


async def burst_timed(app: StudioApp, clock: FrameClock, n: int) -> float:
    """`n` `down` keys queued at once (a held key, faster than any key repeat): until all is painted."""
    await clock.settle()
    clock.frames.clear()
    t0 = time.perf_counter()
    driver = app._driver
    assert driver is not None
    for _ in range(n):
        key = events.Key("down", None)
        key.set_sender(app)
        driver.send_message(key)
    await clock.settle()
    return (clock.frames[-1][0] - t0) * 1000 if clock.frames else 0.0


FIGURES = (
    "first_paint_s",
    "startup_settled_s",
    "pilot_noop_key_ms",
    "key_pilot_ms",
    "key_pilot_minus_noop_ms",
    "key_first_frame_ms",
    "key_settled_ms",
    "key_settled_max_ms",
    "key_cpu_ms",
    "select_pilot_ms",
    "select_pilot_minus_noop_ms",
    "select_first_frame_ms",
    "select_settled_ms",
    "select_settled_max_ms",
    "select_cpu_ms",
    "repeat10_settled_ms",
)


def import_seconds() -> float:
    """Importing the studio in a fresh process (part of what `cstudio` takes before it can paint)."""
    code = "import time; t = time.perf_counter(); import constitution_studio.tui.app; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def run_child(kind: str, root: Path, moves: int) -> dict[str, float]:
    """One measurement in a fresh process, as a user starts `cstudio` (no heap or caches from other runs)."""
    cmd = [sys.executable, __file__, "--child", kind, "--root", str(root), "--moves", str(moves)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"measurement '{kind}' failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principles", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--moves", type=int, default=20, help="selection changes measured")
    parser.add_argument("--child", choices=("studio", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    keys = "harm 0"  # narrows step by step; then deleted again
    if args.child:
        app_cls = NaiveApp if args.child == "naive" else StudioApp
        print(json.dumps(asyncio.run(measure(app_cls, args.root, keys, args.moves))))
        return
    print(f"before: {load_text()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "scale"
        t = time.perf_counter()
        generate(root, args.principles, args.cases)
        print(f"generated {args.principles} principles, {args.cases} cases in {time.perf_counter() - t:.1f} s")
        cold = run_child("studio", root, 3)  # the first load also writes the parse cache
        ours = run_child("studio", root, args.moves)
        naive = run_child("naive", root, args.moves)
    print(f"after:  {load_text()}")
    print(f"import of the studio in a fresh process: {import_seconds():.2f} s (before first paint, not included below)")
    print(f"first paint, cold parse cache: {cold['first_paint_s']:.2f} s")
    print(f"{'figure (median; warm parse cache)':<34}{'studio':>10}{'naive':>10}{'ratio':>8}")
    for name in FIGURES:
        # a ratio to a figure at Pilot's noise floor (a few ms either way) means nothing
        meaningful = name.endswith("_s") or ours[name] >= 1.0
        ratio = f"{naive[name] / ours[name]:>7.1f}x" if meaningful and ours[name] > 0 else "      —"
        print(f"{name:<34}{ours[name]:>10.2f}{naive[name]:>10.2f}{ratio}")
    print("aims: first paint < 1.5 s; a keystroke and a selection change < 50 ms (settled, net of Pilot)")
    print(f"rerun: .venv/bin/python benchmarks/tui_bench.py --principles {args.principles} --cases {args.cases}")


if __name__ == "__main__":
    main()
