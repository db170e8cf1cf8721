"""Studio at scale: 1,000 principles and 50,000 cases — first paint, filter keystroke, selection change.

Each figure is measured through Textual's Pilot (headless, 120x40), end to end: the key goes
in, handlers run, the screen is idle again. The same keystrokes run against a naive baseline
in the same process (the whole principle table rebuilt from scratch per keystroke; linked
cases found by scanning every case per selection) and the ratio is printed.

Run:  .venv/bin/python benchmarks/tui_bench.py [--principles 1000] [--cases 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from textual.widgets import DataTable

from constitution_studio.core.models import EvalCase
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.state import Studio
from constitution_studio.tui.widgets.principle_table import COLUMNS, PrincipleTable, search_text

SIZE = (120, 40)
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

    def on_mount(self) -> None:
        self.apply_filter("")

    def cells(self, pid: str) -> tuple[str, ...]:
        p = self.studio.ws.principles[pid]
        rank = self.studio.rank(pid)
        links = str(len(self.studio.ws.links.get(pid, [])))
        return (str(rank or "–"), pid, p.title, p.status.value, links, self.studio.summary(pid))

    def apply_filter(self, query: str) -> None:
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


class NaiveMain(MainScreen):
    def compose(self):  # type: ignore[no-untyped-def]
        import constitution_studio.tui.screens.main as main_mod

        main_mod.PrincipleTable = NaiveTable  # type: ignore[misc]
        try:
            yield from super().compose()
        finally:
            main_mod.PrincipleTable = PrincipleTable  # type: ignore[misc]

    def cases(self, pid: str) -> list[EvalCase]:
        return [c for c in self.studio.ws.cases.values() if pid in c.principles]


class NaiveApp(StudioApp):
    def make_main_screen(self) -> MainScreen:
        return NaiveMain(self.studio)


# --- measuring ---------------------------------------------------------------------------


async def measure(app_cls: type[StudioApp], root: Path, keys: str, moves: int) -> dict[str, float]:
    t0 = time.perf_counter()
    app = app_cls(root)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#principles")
        while table.row_count == 0:
            await pilot.pause(0)
        first_paint = time.perf_counter() - t0
        app.screen.query_one("#filter").focus()
        key_times = []
        for key in [*keys, *["backspace"] * len(keys)]:
            t = time.perf_counter()
            await pilot.press(key)
            key_times.append(time.perf_counter() - t)
        table.focus()
        floor_times = []
        for _ in range(10):  # a key nothing is bound to: Pilot's own round trip, the floor of every figure
            t = time.perf_counter()
            await pilot.press("f12")
            floor_times.append(time.perf_counter() - t)
        move_times = []
        for _ in range(moves):
            t = time.perf_counter()
            await pilot.press("down")
            move_times.append(time.perf_counter() - t)
    return {
        "first_paint_s": first_paint,
        "pilot_noop_key_ms": statistics.median(floor_times) * 1000,
        "key_median_ms": statistics.median(key_times) * 1000,
        "key_max_ms": max(key_times) * 1000,
        "select_median_ms": statistics.median(move_times) * 1000,
        "select_max_ms": max(move_times) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principles", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=50000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "scale"
        t = time.perf_counter()
        generate(root, args.principles, args.cases)
        print(f"generated {args.principles} principles, {args.cases} cases in {time.perf_counter() - t:.1f} s")
        keys = "harm 0"  # narrows step by step; then deleted again
        cold = asyncio.run(measure(StudioApp, root, keys, 20))  # first load also writes the parse cache
        ours = asyncio.run(measure(StudioApp, root, keys, 20))
        naive = asyncio.run(measure(NaiveApp, root, keys, 20))
    print(f"first paint, cold parse cache: {cold['first_paint_s']:.2f} s")
    print(f"{'figure':<26}{'studio':>10}{'naive':>10}{'ratio':>8}")
    for name in (
        "first_paint_s",
        "pilot_noop_key_ms",
        "key_median_ms",
        "key_max_ms",
        "select_median_ms",
        "select_max_ms",
    ):
        ratio = naive[name] / ours[name] if ours[name] else float("nan")
        print(f"{name:<26}{ours[name]:>10.2f}{naive[name]:>10.2f}{ratio:>7.1f}x")
    print("aims: first paint < 1.5 s, keystroke < 50 ms")
    print("rerun: .venv/bin/python benchmarks/tui_bench.py --principles 1000 --cases 50000")


if __name__ == "__main__":
    main()
