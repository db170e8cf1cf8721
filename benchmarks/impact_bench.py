"""Impact view and review queue at scale: 1,000 principles, 50,000 cases, a warm score cache.

Measured (headless Pilot, 120x40, the real Critic on the tiny random-weight model with its
SQLite cache filled beforehand, so the model never runs):

- open impact: from pushing the impact screen (one principle's wording edited, unsaved) to
  the first paint of the affected cases and principles, read from the cache
  (`cached_shift(context=False)`); "impact complete": until the version-wide figures
  (over-refusal over every benign case under the primary judge) are drawn too;
- re-sort: one `s` press (core's `view_cases` + the list refill), and the frame it paints;
- review first item: from pushing the review screen to its first case drawn (the queue's first
  stage, the gold cases that disagree, read from the cache); "+pilot pause" adds Pilot's wait
  for an idle CPU, which lasts while the second stage (every case under every judge) runs.

Run:  .venv/bin/python benchmarks/impact_bench.py [--principles 1000] [--cases 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import build_tiny_model
from tui_bench import WORDS, generate  # noqa: F401

from constitution_studio.core.analysis.review import review_requests
from constitution_studio.core.analysis.selection import affected_cases
from constitution_studio.core.analysis.shift import scored_version, shift_requests
from constitution_studio.core.critic import open_critic
from constitution_studio.core.critic.cache import Entry
from constitution_studio.core.diff import structural_diff
from constitution_studio.core.models import CriticSettings
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.impact import ImpactScreen, unsaved_head
from constitution_studio.tui.screens.review import ReviewScreen


def thin_gold(root: Path, keep: float, benign: float, seed: int = 1) -> None:
    """Keep gold on a fraction of the cases and mark some benign (the generator gives every case gold)."""
    rng = random.Random(seed)
    for path in sorted((root / "eval_cases").glob("*.yaml")):
        out = []
        for line in path.read_text().splitlines():
            if line.startswith("    gold: ") and rng.random() > keep:
                continue
            out.append(line)
            if line.startswith("    response: ") and rng.random() < benign:
                out.append("    benign: true")
        path.write_text("\n".join(out) + "\n")


def warm(critic: object, requests: list[object], seed: int = 2) -> int:
    """Put a pseudo-random answer for every request straight into the cache (no model run)."""
    rng = random.Random(seed)
    entries = {}
    keys = critic.keys_for(requests)  # type: ignore[attr-defined]
    for req, key in zip(requests, keys, strict=True):
        engagement = req.question == "engagement"  # type: ignore[attr-defined]
        entries[key] = Entry(
            key=key,
            probability=rng.random(),
            model=critic.ref.identity,  # type: ignore[attr-defined]
            template=critic.engagement_id if engagement else critic.template_id,  # type: ignore[attr-defined]
            method="engagement" if engagement else critic.method.name,  # type: ignore[attr-defined]
            variant=req.variant,  # type: ignore[attr-defined]
        )
    critic.cache.put_many(entries.values())  # type: ignore[attr-defined]
    return len(entries)


async def until(predicate: object, timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():  # type: ignore[operator]
        if time.perf_counter() > deadline:
            raise TimeoutError("screen did not finish")
        await asyncio.sleep(0.002)


async def measure(root: Path, settings: CriticSettings, edit: str, runs: int) -> dict[str, list[float]]:
    app = StudioApp(root, critic_settings=settings)
    out: dict[str, list[float]] = {
        "open impact": [],
        "impact complete": [],
        "re-sort (handler)": [],
        "re-sort (+ frame)": [],
        "noop frame": [],
        "review first item": [],
        "review +pilot pause": [],
        "cases in view": [],
    }
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()  # start-up work (revalidation, GPU probe) is not counted
        await pilot.pause()
        studio = app.studio
        studio.set_field(edit, "statement", studio.ws.principles[edit].statement + " Even in fiction.")
        app.critic()  # opened once, as after the first use in a session
        for _ in range(runs):
            t0 = time.perf_counter()
            screen = ImpactScreen(studio)
            app.push_screen(screen)
            await until(lambda screen=screen: screen.report is not None)
            # drawn by show_report in the UI thread; the frame follows within a refresh (`pilot.pause()`
            # would also wait for the second stage still running in the worker)
            out["open impact"].append(time.perf_counter() - t0)
            await until(lambda screen=screen: screen.report is not None and not screen.partial)
            await pilot.pause()
            out["impact complete"].append(time.perf_counter() - t0)
            assert not screen.report.incomplete, "cache not warm"
            out["cases in view"].append(float(len(screen.report.cases)))
            for _ in range(3):
                t1 = time.perf_counter()
                await pilot.pause()
                out["noop frame"].append(time.perf_counter() - t1)
                t1 = time.perf_counter()
                screen.action_sort()
                out["re-sort (handler)"].append(time.perf_counter() - t1)
                await pilot.pause()
                out["re-sort (+ frame)"].append(time.perf_counter() - t1)
            app.pop_screen()
            await pilot.pause()
            t2 = time.perf_counter()
            review = ReviewScreen(studio)
            app.push_screen(review)
            await until(lambda review=review: bool(review.items))
            # `_loaded` drew the first case in the UI thread (show()); its frame is the next refresh
            out["review first item"].append(time.perf_counter() - t2)
            await pilot.pause()  # Pilot waits for an idle CPU: here, for the queue's second stage
            out["review +pilot pause"].append(time.perf_counter() - t2)
            assert review.item is not None
            app.pop_screen()
            await pilot.pause()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--principles", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--gold", type=float, default=0.2, help="fraction of cases with gold")
    parser.add_argument("--benign", type=float, default=0.1, help="fraction of cases marked benign")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "c"
        root.mkdir()
        ids = generate(root, args.principles, args.cases)
        thin_gold(root, args.gold, args.benign)
        model = build_tiny_model(Path(tmp) / "model")
        settings = CriticSettings(model=str(model), device="cpu", dtype="float32")
        from constitution_studio.tui.state import Studio

        studio = Studio(root)
        edit = ids[0]
        studio.set_field(edit, "statement", studio.ws.principles[edit].statement + " Even in fiction.")
        base = studio.ws
        head = unsaved_head(studio, studio.unsaved_version())
        diff = structural_diff(base, head)
        critic = open_critic(settings, root)
        b, h = scored_version(base, critic), scored_version(head, critic)
        _, why = affected_cases(base, head, diff)
        want_h, want_b = shift_requests(b, h, sorted(why), critic)
        t0 = time.perf_counter()
        n = warm(critic, [*want_h, *want_b, *review_requests(b)])
        print(f"warmed the cache with {n} answers in {time.perf_counter() - t0:.1f} s ({len(why)} affected cases)")
        critic.close()
        figures = asyncio.run(measure(root, settings, edit, args.runs))
    print(f"{args.principles} principles, {args.cases} cases ({args.gold:.0%} gold, {args.benign:.0%} benign)")
    print(f"  (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cpus)")
    for name, values in figures.items():
        if name == "cases in view":
            print(f"  {name:<20} {int(values[0])}")
            continue
        print(f"  {name:<20} median {statistics.median(values) * 1000:8.1f} ms   max {max(values) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
