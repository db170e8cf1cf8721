"""Verdicts at scale: warm `eval`, `shift` and `check` of a one-principle edit, and the
non-model overhead of a cold run.

Warm part: 1,000 principles and 50,000 cases (a fifth of them linked to two principles) in
a git repository; the head rewords one principle in the work tree. Every score the three
commands need is put in the critic's real SQLite cache first (keys computed by the real
`Critic`, probabilities random), so each command runs the shipped code end to end with no
model call: load both versions, diff, select, cache lookups, resolve every case, trust with
1,000 bootstrap resamples per figure, and the report. The naive baseline in the same run is
the pure-Python bootstrap the trust step used before (one `random.randrange` per draw).

Cold part: a smaller constitution scored from scratch by the tiny random-weight model on
this machine's CPU; the share of wall time spent outside the model's forward passes is the
non-model overhead (aim < 10 %).

Run:  .venv/bin/python benchmarks/analysis_bench.py [--principles 1000] [--cases 50000] [--cold-cases 600]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import build_tiny_model
from load_bench import generate

from constitution_studio.core.analysis import agreement
from constitution_studio.core.analysis.evaluation import score_version, summarize
from constitution_studio.core.analysis.gate import run_check
from constitution_studio.core.analysis.scoring import case_requests
from constitution_studio.core.analysis.shift import analyze_shift, scored_version
from constitution_studio.core.critic import open_critic
from constitution_studio.core.critic.cache import Entry
from constitution_studio.core.models import CriticSettings
from constitution_studio.core.report.eval_text import format_eval_text
from constitution_studio.core.versions import diff_refs
from constitution_studio.core.workspace import load_root

EDITED = "GEN-0007"


def git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b"}
    env["GIT_COMMITTER_EMAIL"] = "b@x"
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def multi_link(root: Path, n_principles: int) -> None:
    """Link every fifth case to a second principle, so priority and engagement matter."""
    for path in sorted((root / "eval_cases").glob("*.yaml")):
        lines = path.read_text().splitlines(keepends=True)
        out: list[str] = []
        for line in lines:
            if line.startswith("    principles: [") and "case" in out[-1] and int(out[-1].split("-")[-1]) % 5 == 0:
                k = int(out[-1].split("-")[-1])
                line = line.rstrip("]\n") + f", GEN-{(k + 1) % n_principles:04d}]\n"
            out.append(line)
        path.write_text("".join(out))


def settings(model: Path) -> CriticSettings:
    return CriticSettings(model=str(model), device="cpu", dtype="float32")


def fill_cache(root: Path, model: Path) -> int:
    """Every request base and head need, in the real cache, with random probabilities."""
    critic = open_critic(settings(model), root)
    rng = random.Random(0)
    entries: dict[str, Entry] = {}
    _diff, base, head = diff_refs(root, "HEAD", "WORKTREE")
    for ws in (base, head):
        version = scored_version(ws, critic)
        requests = case_requests(version, list(ws.cases))
        for req, key in zip(requests, critic.keys_for(requests), strict=True):
            entries[key] = Entry(key, rng.random(), critic.ref.identity, critic.template_id, "plain", req.variant)
    assert critic.cache is not None
    critic.cache.put_many(entries.values())
    critic.close()
    return len(entries)


def naive_bootstrap(y: list[int], p: list[int], n_boot: int = 1000, seed: int = 0) -> None:
    """The pre-vectorised trust step: four figures, each over `n_boot` pure-Python resamples."""
    rng = random.Random(seed)
    size = len(y)
    for _ in range(4):
        for _ in range(n_boot):
            idx = [rng.randrange(size) for _ in range(size)]
            agreement.accuracy([y[i] for i in idx], [p[i] for i in idx])


CPU: dict[str, float] = {}  # CPU seconds per timed step: steadier than wall time on a shared machine


def timed(fn: Callable[[], Any], name: str = "") -> tuple[float, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU[name] = time.process_time() - cpu
    return time.perf_counter() - start, out


def warm(args: argparse.Namespace, model: Path, tmp: Path) -> None:
    root = tmp / "big"
    generate(root, args.principles, args.cases)
    multi_link(root, args.principles)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    p = root / "principles" / f"{EDITED}.yaml"
    p.write_text(p.read_text().replace("must not do thing", "must never do thing"))
    (root / "principles" / "constitution.yaml").write_text(
        (root / "principles" / "constitution.yaml").read_text() + f"critic:\n  model: {model}\n  device: cpu\n"
    )
    git(root, "commit", "-qam", "critic")
    p.write_text(p.read_text().replace("must never do thing", "must not ever do thing"))
    load_root(root)  # warm the parse cache, as any earlier command would
    filled = fill_cache(root, model)

    def run_eval() -> str:
        ws = load_root(root)
        critic = open_critic(ws.constitution.critic, root)  # type: ignore[union-attr]
        version, selected, run = score_version(ws, critic)
        text = format_eval_text(summarize(version, selected, run, critic))
        assert critic.model_calls == 0, "eval was not warm"
        return text

    def run_shift() -> Any:
        diff, base, head = diff_refs(root, "HEAD", "WORKTREE")
        critic = open_critic(base.constitution.critic, root)  # type: ignore[union-attr]
        report = analyze_shift(base, head, diff, critic)
        assert critic.model_calls == 0, "shift was not warm"
        return report

    t_eval, _ = timed(run_eval, "eval")
    t_shift, report = timed(run_shift, "shift")
    t_check, result = timed(lambda: run_check(root, "HEAD", "WORKTREE"), "check")
    rng = random.Random(1)
    y = [rng.randint(0, 1) for _ in range(args.cases)]
    scores = [rng.random() for _ in range(args.cases)]
    t_naive, _ = timed(lambda: naive_bootstrap(y, y[::-1]))
    t_vector, _ = timed(lambda: agreement.figures_with_intervals(y, y[::-1], scores))
    print(f"warm, {args.principles} principles + {args.cases} cases ({filled} cached scores), one principle reworded")
    print(f"  (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cpus)")
    print(f"  eval  (whole version)  {t_eval:7.2f} s   (cpu {CPU['eval']:.2f} s)")
    print(f"  shift HEAD..WORKTREE   {t_shift:7.2f} s   (cpu {CPU['shift']:.2f} s; {len(report.cases)} affected cases)")
    print(f"  check HEAD..WORKTREE   {t_check:7.2f} s   (cpu {CPU['check']:.2f} s; passed={result.passed})")
    print(f"  trust bootstrap over {args.cases} gold cases: naive pure Python {t_naive:7.2f} s, ", end="")
    print(f"vectorised {t_vector:5.2f} s ({t_naive / t_vector:5.1f}x)")


def cold(args: argparse.Namespace, model: Path, tmp: Path) -> None:
    from constitution_studio.core.critic import runner as runner_mod

    root = tmp / "cold"
    generate(root, max(10, args.cold_cases // 50), args.cold_cases)
    ws = load_root(root)
    critic = open_critic(settings(model), root, use_cache=False)
    in_model = 0.0
    original = runner_mod.Runner.log_odds

    def counted(self: Any, *a: Any, **k: Any) -> Any:
        nonlocal in_model
        gen = original(self, *a, **k)
        while True:
            start = time.perf_counter()
            try:
                item = next(gen)
            except StopIteration:
                in_model += time.perf_counter() - start
                return
            in_model += time.perf_counter() - start
            yield item

    runner_mod.Runner.log_odds = counted  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        version, selected, run = score_version(ws, critic)
        summarize(version, selected, run, critic)
        total = time.perf_counter() - start
    finally:
        runner_mod.Runner.log_odds = original  # type: ignore[method-assign]
    n_eng = sum(1 for _ in version.engaged)
    print(f"cold eval, {len(ws.cases)} cases on the tiny model ({critic.info.device}): {run.requests} requests")
    print(f"  ({len(version.verdicts)} verdicts + {n_eng} engagement answers), total {total:.2f} s, ", end="")
    print(f"in the model {in_model:.2f} s, non-model overhead {(total - in_model) / total:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principles", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--cold-cases", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model = build_tiny_model(tmp / "tiny")
        warm(args, model, tmp)
        cold(args, model, tmp)
    print(
        "rerun: .venv/bin/python benchmarks/analysis_bench.py "
        f"--principles {args.principles} --cases {args.cases} --cold-cases {args.cold_cases}"
    )


if __name__ == "__main__":
    main()
