"""How long a reviewer waits for the first case when F9's Run all scores the example constitution.

The queue is scored in chunks of cases (core/analysis/review.py `REVIEW_CHUNK_CASES`) and each
chunk's queue is shown as it is in; the naive baseline, in the same run, scores the whole first
stage before showing anything (one chunk: what the studio did before).

By default counts, not timings: a scripted judge (tests/fixtures/shift_support.py) answers at
once and the count of answers it computed before the first case is what the real critic would
have to compute first. `--builtin` times the builtin critic in process instead, on the first
`--cases` cases (cold cache, a fresh temporary copy for each mode).

Rerun:  .venv/bin/python benchmarks/review_first_case.py [--builtin --cases 48]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from constitution_studio.core.analysis import review
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.workspace import Workspace, load_root

REPO = Path(__file__).resolve().parents[1]


def first_case(ws: Workspace, critic: Judge, chunk: int) -> tuple[int, float, int, float]:
    """(answers, seconds) before the first case shows, then at the end of the first stage (the
    primary judge: its last partial queue; the judge variants after it cost the same in both
    modes and are not counted)."""
    review.REVIEW_CHUNK_CASES = chunk
    seen: list[tuple[int, int]] = [(0, 0)]  # (done, total) as the run reports them
    start = time.perf_counter()
    first: tuple[int, float] | None = None
    stage: tuple[int, float] = (0, 0.0)
    stages = review.review_stages(ws, critic, score=True, progress=lambda d, t: seen.append((d, t)))
    for items, unscored in stages:
        now = (seen[-1][0], time.perf_counter() - start)
        if unscored is not None:
            break  # the final queue: the variants were scored after the first stage
        if items and first is None:
            first = now
        stage = now
    assert first is not None, "the queue stayed empty"
    return first[0], first[1], stage[0], stage[1]


def copy_of_example(tmp: Path, cases: int | None) -> Path:
    root = tmp / "example"
    shutil.copytree(REPO / "principles", root / "principles")
    shutil.copytree(REPO / "eval_cases", root / "eval_cases")
    if cases is not None:  # keep the first N cases, whole files, in file order
        ws = load_root(root)
        keep = set(list(ws.cases)[:cases])
        from ruamel.yaml import YAML

        yaml = YAML()
        for path in sorted((root / "eval_cases").glob("*.yaml")):
            data = yaml.load(path.read_text())
            data["cases"] = [c for c in data.get("cases") or [] if c["id"] in keep]
            with path.open("w") as f:
                yaml.dump(data, f)
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--builtin", action="store_true", help="time the builtin critic in process (minutes)")
    ap.add_argument("--cases", type=int, default=None, help="the first N cases of the example only")
    args = ap.parse_args()
    chunked = review.REVIEW_CHUNK_CASES
    print(f"review queue: the wait for the first case (chunk {chunked} cases vs one chunk: the naive baseline)")
    rows = []
    for name, chunk in (("baseline: whole first stage", 10**9), (f"chunked: {chunked} cases", chunked)):
        with tempfile.TemporaryDirectory() as tmp:
            root = copy_of_example(Path(tmp), args.cases)
            ws = load_root(root)
            if args.builtin:
                from constitution_studio.core.critic.opening import open_judge
                from constitution_studio.core.models import CriticSettings

                settings = (ws.constitution.critic if ws.constitution is not None else None) or CriticSettings()
                critic: Judge = open_judge(settings, root, use_cache=False)
            else:
                from fixtures.shift_support import ScriptedCritic, stable_noise

                critic = ScriptedCritic(lambda pid, st, cid, v: stable_noise(pid, st, cid, v))
            a, s, ta, ts = first_case(ws, critic, chunk)
            rows.append((name, len(ws.cases), a, s, ta, ts))
    print(f"{'mode':<30} {'cases':>5} {'answers to 1st':>14} {'s to 1st':>9} {'answers, stage':>14} {'s, stage':>9}")
    for name, n, a, s, ta, ts in rows:
        print(f"{name:<30} {n:>5} {a:>14} {s:>9.1f} {ta:>14} {ts:>9.1f}")
    print("rerun: .venv/bin/python benchmarks/review_first_case.py" + (" --builtin" if args.builtin else "")
          + (f" --cases {args.cases}" if args.cases else ""))  # fmt: skip


if __name__ == "__main__":
    main()
