"""The builtin critic on a CPU: in-process transformers vs the llama.cpp server, same model, same
requests, one run.

A "studio edit" is what the impact view asks after a one-principle edit: the verdict of the
edited wording on every case linked to that principle (the first labels the author sees). Each
backend scores the same edits with the score cache off, so every answer is computed:

  in-process   open_critic(critic settings) — the Runner: float32 dequantised weights, batched
               prefill, shared-prefix KV reuse (the naive baseline of this comparison: the way
               the builtin critic ran before a served judge existed)
  llama.cpp    open_critic(... server=URL) against llama-cpp-python's server on 127.0.0.1,
               serving the builtin GGUF (Q4_1), started by this script from .venv/engine

Reported per backend: time to the first label and to the whole edit (p50/p95 over the edits),
prompts/s, and the one-time start (model load / server start + fingerprint).

Rerun:
  .venv/bin/python benchmarks/engine_compare.py                    # HARM-02, HELP-01, AUTO-01 edits
  .venv/bin/python benchmarks/engine_compare.py --principle HARM-02 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixtures.llama_server import SERVED_NAME, LlamaServer, builtin_gguf

from constitution_studio.core.critic import ScoreRequest, open_critic
from constitution_studio.core.models import CriticSettings, ServerSettings
from constitution_studio.core.workspace import load_root

REPO = Path(__file__).resolve().parents[1]


def edit_requests(principle: str, n: int) -> list[ScoreRequest]:
    """The verdict requests of an edit to `principle` (a reworded statement: nothing cached)."""
    ws = load_root(REPO)
    statement = ws.principles[principle].statement + f" (edit {n})"
    return [ScoreRequest(principle, statement, case) for case in ws.cases_for(principle)]


def time_edit(critic: object, requests: list[ScoreRequest]) -> tuple[float, float]:
    start = time.perf_counter()
    first = None
    for _ in critic.score(requests):  # type: ignore[attr-defined]
        if first is None:
            first = time.perf_counter() - start
    return first or 0.0, time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def run(name: str, critic: object, edits: list[list[ScoreRequest]], start_s: float) -> dict[str, float]:
    firsts, wholes = [], []
    for reqs in edits:
        first, whole = time_edit(critic, reqs)
        firsts.append(first)
        wholes.append(whole)
    prompts = sum(len(r) for r in edits)
    row = {
        "start_s": start_s,
        "first_p50": statistics.median(firsts),
        "first_p95": pct(firsts, 0.95),
        "edit_p50": statistics.median(wholes),
        "edit_p95": pct(wholes, 0.95),
        "prompts_per_s": prompts / sum(wholes),
    }
    print(
        f"{name:12} start {start_s:6.1f} s | first label p50 {row['first_p50']:5.2f} s p95 {row['first_p95']:5.2f} s"
        f" | whole edit p50 {row['edit_p50']:5.2f} s p95 {row['edit_p95']:5.2f} s | {row['prompts_per_s']:5.2f} "
        "prompts/s",
        flush=True,
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--principle", action="append", default=None)
    ap.add_argument("--repeat", type=int, default=2, help="edits per principle")
    args = ap.parse_args()
    principles = args.principle or ["HARM-02", "HELP-01", "AUTO-01"]
    edits = [edit_requests(p, i) for p in principles for i in range(args.repeat)]
    print(f"{len(edits)} edits ({', '.join(principles)} x {args.repeat}), {sum(len(e) for e in edits)} prompts; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="engine-bench-"))

    t = time.perf_counter()
    local = open_critic(CriticSettings(device="cpu"), tmp, use_cache=False)
    list(local.score(edit_requests(principles[0], 999)[:1]))  # load the model (the studio's warm state)
    local_row = run("in-process", local, edits, time.perf_counter() - t)

    t = time.perf_counter()
    server = LlamaServer(builtin_gguf(), log=tmp / "server.log").start()
    try:
        settings = CriticSettings(server=ServerSettings(url=server.url, model=SERVED_NAME))
        served = open_critic(settings, tmp, use_cache=False)
        list(served.score(edit_requests(principles[0], 999)[:1]))  # connect + fingerprint
        served_row = run("llama.cpp", served, edits, time.perf_counter() - t)
    finally:
        server.kill()
    ratio = local_row["edit_p50"] / served_row["edit_p50"]
    print(f"whole edit p50: llama.cpp server is {ratio:.2f}x the speed of in-process transformers")
    print("rerun: .venv/bin/python benchmarks/engine_compare.py")


if __name__ == "__main__":
    main()
