"""Peak memory of critic scoring, before and after the bounded-memory changes (issue 14 item 6).

Two measurements, each in a fresh process so peak RSS is its own:

1. `eval`-shaped run on a constitution (default: the example) with a scoring method (default
   `fewshot`, the longest shared prefix): every principle x linked case, no score cache. It
   records each batched forward's attention-mask shape (rows x prefix+suffix columns), so the
   materialised KV per batch is measured on the tensors the model really sees, and the
   process's peak RSS growth while scoring (ru_maxrss after scoring minus after loading).
2. The studio's auto-run: N typed wordings of one principle, each scored on one case (each is
   a new prefix): the prefix KV cache's entries and bytes at the end.

`--mode before` replays the old rules inside the current runner (budget counting suffix tokens
only, prefix cache without a cap); `--mode after` is the code as it is. Figures go to
docs/performance.md ("Critic memory").

Rerun: .venv/bin/python benchmarks/critic_memory.py [--root .] [--method fewshot] [--wordings 40] [--limit 96]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any


def _old_row_tokens(self: Any, unit: Any) -> int:
    """The packing rule before: a row cost only its suffix when the prefix cache was on."""
    return len(unit.suffix) + (0 if self.use_prefix_cache else len(unit.prefix))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(root: Path, mode: str, method: str, wordings: int, batch_tokens: int, limit: int) -> dict[str, Any]:
    from constitution_studio.core.critic import ScoreRequest, open_critic
    from constitution_studio.core.critic.runner import Runner
    from constitution_studio.core.workspace import load_root

    if mode == "before":
        Runner.row_tokens = _old_row_tokens  # type: ignore[method-assign]
        Runner._evict = lambda self, keep: None  # type: ignore[method-assign]
    ws = load_root(root)
    assert ws.constitution is not None
    settings = ws.constitution.critic.model_copy(update={"calibration": {}})
    critic = open_critic(settings, root, use_cache=False, method=method, device="cpu", batch_tokens=batch_tokens)
    requests = sorted(  # grouped by principle: many rows share a prefix, as in a real run
        (
            ScoreRequest(pid, ws.principles[pid].statement, case)
            for case in ws.cases.values()
            for pid in case.principles
            if pid in ws.principles
        ),
        key=lambda r: r.principle_id,
    )[:limit]
    runner = critic._ensure_runner()
    model = runner.model
    config = model.config
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    per_token = 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * 4  # k+v, float32
    shapes: list[tuple[int, int]] = []

    def hook(_m: Any, _a: Any, kwargs: dict[str, Any]) -> None:
        mask = kwargs.get("attention_mask")
        if mask is not None:
            shapes.append((int(mask.shape[0]), int(mask.shape[1])))

    handle = model.register_forward_pre_hook(hook, with_kwargs=True)
    loaded = _rss_mib()
    list(critic.score(requests))
    scored = _rss_mib()
    handle.remove()
    cells = [r * c for r, c in shapes]
    # studio auto-run: each keystroke is a new wording, i.e. a new prefix
    case = next(iter(ws.cases.values()))
    pid = case.principles[0]
    base = ws.principles[pid].statement
    for n in range(wordings):
        list(critic.score([ScoreRequest(pid, f"{base} (draft {n})", case)]))
    return {
        "mode": mode,
        "method": method,
        "requests": len(requests),
        "batch_tokens": batch_tokens,
        "batches": len(shapes),
        "peak_batch_tokens": max(cells),
        "peak_over_budget": round(max(cells) / batch_tokens, 2),
        "peak_batch_kv_mib": round(max(cells) * per_token / 2**20, 1),
        "rss_growth_scoring_mib": round(scored - loaded, 1),
        "autorun_wordings": wordings,
        "prefix_cache_entries": len(runner._prefix_kv),
        "prefix_cache_mib": round(runner.prefix_cache_nbytes / 2**20, 1),
        "peak_rss_mib": round(_rss_mib(), 1),
    }


def plan(root: Path, method: str, batch_tokens: int) -> dict[str, Any]:
    """Batches of the whole eval-shaped run under the old and the new packing rule, from token
    counts alone (no forward pass): the peak tokens one batch materialises, vs the budget."""
    from constitution_studio.core.critic import ScoreRequest, open_critic
    from constitution_studio.core.critic.engine import request_kind
    from constitution_studio.core.critic.runner import Runner
    from constitution_studio.core.workspace import load_root

    ws = load_root(root)
    assert ws.constitution is not None
    settings = ws.constitution.critic.model_copy(update={"calibration": {}})
    critic = open_critic(settings, root, use_cache=False, method=method, device="cpu", batch_tokens=batch_tokens)
    runner = critic._ensure_runner()
    units = []
    for case in ws.cases.values():
        for pid in case.principles:
            if pid not in ws.principles:
                continue
            for question in ("verdict", "engagement"):
                req = ScoreRequest(pid, ws.principles[pid].statement, case, question=question)
                for part in critic.family.parts(request_kind(req), req.variant, critic.method.both):
                    units.append(critic._unit(part, req.statement, case, pid))
    out: dict[str, Any] = {"units": len(units), "batch_tokens": batch_tokens}
    shipped = Runner.row_tokens
    for name, cost in (("before", _old_row_tokens), ("after", shipped)):
        Runner.row_tokens = cost  # type: ignore[method-assign]
        batches = runner.batches(units)
        Runner.row_tokens = shipped  # type: ignore[method-assign]
        cells = [len(b) * max(len(units[i].prefix) + len(units[i].suffix) for i in b) for b in batches]
        out[name] = {
            "batches": len(batches),
            "peak_tokens": max(cells),
            "peak_over_budget": round(max(cells) / batch_tokens, 2),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=Path("."))
    ap.add_argument("--method", default="fewshot")
    ap.add_argument("--wordings", type=int, default=40)
    ap.add_argument("--batch-tokens", type=int, default=8192)
    ap.add_argument("--limit", type=int, default=96, help="requests scored in the eval-shaped run")
    ap.add_argument("--mode", choices=["before", "after"], default=None)
    ap.add_argument("--plan", action="store_true", help="only the packing of the whole run, no forward pass")
    args = ap.parse_args()
    if args.plan:
        print(json.dumps(plan(args.root, args.method, args.batch_tokens)))
        return
    if args.mode is not None:
        print(json.dumps(measure(args.root, args.mode, args.method, args.wordings, args.batch_tokens, args.limit)))
        return
    rows = []
    for mode in ("before", "after"):
        cmd = [sys.executable, __file__, "--mode", mode, "--root", str(args.root), "--method", args.method]
        cmd += ["--wordings", str(args.wordings), "--batch-tokens", str(args.batch_tokens), "--limit", str(args.limit)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    keys = [k for k in rows[0] if k not in ("mode",)]
    print(f"{'':<24}{'before':>12}{'after':>12}")
    for k in keys:
        print(f"{k:<24}{rows[0][k]!s:>12}{rows[1][k]!s:>12}")


if __name__ == "__main__":
    main()
