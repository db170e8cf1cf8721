"""Critic throughput: the batched engine against a naive loop, in the same run.

Optimised = the critic's Runner: length-sorted token-budget batches, left padding,
`logits_to_keep=1`, shared-prefix KV reuse, inference_mode. Naive = one prompt per forward
pass, full logits over every position, no prefix reuse, no sorting (same dtype and device).

On CUDA, `--compile on` compiles the forward with torch.compile (dynamic shapes) before the
timed run; the compile (first compiled batch) and warm-up times are reported separately, and
`--profile` splits GPU time into matmuls, attention, fused (Triton) and other kernels.

Modes:
  --model builtin:smollm2-135m (or a local folder): the example constitution's real judge
      prompts (every principle x linked case), float32 on CPU / bfloat16 on CUDA.
  --model random:qwen2.5-0.5b | random:qwen2.5-1.5b: random weights with the real
      architecture and size (weights do not change speed), synthetic prompts, bfloat16 on
      CUDA; also reports the fraction of the GPU's bf16 peak reached, 2 x non-embedding
      parameters x tokens / time.

Rerun:
  .venv/bin/python benchmarks/critic_throughput.py                       # CPU, builtin model
  python3 benchmarks/critic_throughput.py --model random:qwen2.5-1.5b --device cuda
  python3 benchmarks/critic_throughput.py --model random:qwen2.5-1.5b --device cuda --compile on
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from constitution_studio.core.critic.runner import Runner, Unit

QWEN = {
    "qwen2.5-0.5b": {"hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14},
    "qwen2.5-1.5b": {
        "hidden_size": 1536,
        "intermediate_size": 8960,
        "num_hidden_layers": 28,
        "num_attention_heads": 12,
    },
}
# Dense bf16 peak (no sparsity), TFLOP/s, from NVIDIA's data sheets.
BF16_PEAK = {"H100 80GB HBM3": 989.4, "H100 SXM": 989.4, "H100 PCIe": 756.0, "H100 NVL": 835.0, "H200": 989.4}


def nominal_peak(name: str) -> float | None:
    for key, value in BF16_PEAK.items():
        if key in name:
            return value
    return None


def measured_matmul_tflops(device: str) -> float:
    n = 8192
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(10):
        a @ b
    torch.cuda.synchronize()
    return 2 * n**3 * 10 / (time.perf_counter() - t) / 1e12


def random_model(name: str, device: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, Qwen2Config

    shape = QWEN[name]
    config = Qwen2Config(
        vocab_size=151936,
        num_key_value_heads=2,
        max_position_embeddings=32768,
        rope_theta=1e6,
        tie_word_embeddings=True,
        **shape,
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.eval()
    return model, SimpleNamespace(pad_token_id=0, eos_token_id=0)


def synthetic_units(n: int, prefixes: int, prefix_len: int, suffix_len: int, seed: int = 0) -> list[Unit]:
    rng = random.Random(seed)
    heads = [tuple(rng.randrange(1000, 150000) for _ in range(prefix_len)) for _ in range(prefixes)]
    units = []
    for i in range(n):
        length = rng.randint(suffix_len // 2, suffix_len * 3 // 2)
        suffix = tuple(rng.randrange(1000, 150000) for _ in range(length))
        units.append(Unit(prefix=heads[i % prefixes], suffix=suffix, first=(9454,), second=(2753,)))
    return units


def constitution_units(
    spec: str, root: Path, device: str, batch_tokens: int, method: str, compile_mode: str
) -> tuple[Any, list[Unit]]:
    from constitution_studio.core.analysis.scoring import case_requests
    from constitution_studio.core.analysis.shift import scored_version
    from constitution_studio.core.critic import open_critic
    from constitution_studio.core.critic.engine import request_kind
    from constitution_studio.core.workspace import load_root

    ws = load_root(root)
    assert ws.constitution is not None
    settings = ws.constitution.critic.model_copy(update={"model": spec})
    critic = open_critic(settings, root, use_cache=False, device=device, batch_tokens=batch_tokens, method=method)
    runner = critic._ensure_runner()
    runner.compile_mode = compile_mode
    # what `cstudio eval` asks for: every deciding-eligible principle of every case, with engagement
    requests = case_requests(scored_version(ws, critic), ws.cases)
    units = [
        critic._unit(part, r.statement, r.case, r.principle_id)
        for r in requests
        for part in critic.family.parts(request_kind(r), r.variant, critic.method.both)
    ]
    return runner, units


def compiled_graphs() -> int:
    """Distinct graphs torch.compile built in this process (more than 1-2 means recompiles)."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


def gpu_time_split(prof: Any) -> str:
    """Share of GPU kernel time by kind: matmul, attention, fused (Triton), other elementwise."""
    from torch.autograd import DeviceType

    kinds = {"matmul": 0.0, "attention": 0.0, "fused (triton)": 0.0, "other": 0.0}
    for event in prof.key_averages():
        if event.device_type != DeviceType.CUDA:
            continue
        name = event.key.lower()
        if any(k in name for k in ("gemm", "nvjet", "cutlass", "xmma", "cublas", "matmul")):
            kind = "matmul"
        elif any(k in name for k in ("fmha", "flash", "attention", "attn")):
            kind = "attention"
        elif "triton" in name:
            kind = "fused (triton)"
        else:
            kind = "other"
        kinds[kind] += event.self_device_time_total
    total = sum(kinds.values()) or 1.0
    parts = ", ".join(f"{k} {v / total:.0%}" for k, v in kinds.items())
    return f"GPU kernel time {total / 1e3:.1f} ms: {parts}"


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def naive(model: Any, units: list[Unit], device: str) -> tuple[float, list[float]]:
    """One prompt per forward, full logits (every position through the LM head), no prefix reuse."""
    values = []
    sync(device)
    start = time.perf_counter()
    with torch.inference_mode():
        for u in units:
            ids = torch.tensor([u.prefix + u.suffix], device=device)
            logits = model(input_ids=ids, use_cache=False).logits[0, -1].float()
            values.append(float(torch.logsumexp(logits[list(u.first)], 0) - torch.logsumexp(logits[list(u.second)], 0)))
    sync(device)
    return time.perf_counter() - start, values


def optimised(runner: Runner, units: list[Unit], device: str) -> tuple[float, list[float]]:
    values = [0.0] * len(units)
    sync(device)
    start = time.perf_counter()
    for idx, odds in runner.log_odds(units):
        for i, v in zip(idx, odds, strict=True):
            values[i] = v
    sync(device)
    return time.perf_counter() - start, values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="builtin:smollm2-135m")
    ap.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ap.add_argument("--root", type=Path, default=Path("."), help="constitution for real prompts")
    ap.add_argument("--method", default="plain")
    ap.add_argument("--cases", type=int, default=0, help="prompts to score (0: all / 2048 synthetic)")
    ap.add_argument("--naive-cases", type=int, default=24, help="prompts timed in the naive loop")
    ap.add_argument("--batch-tokens", type=int, default=None)
    ap.add_argument("--prefix-tokens", type=int, default=200, help="synthetic: shared prefix length")
    ap.add_argument("--suffix-tokens", type=int, default=400, help="synthetic: mean per-case length")
    ap.add_argument("--prefixes", type=int, default=8, help="synthetic: distinct prefixes (principles)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--profile", action="store_true", help="print the top kernels of one optimised pass")
    ap.add_argument(
        "--compile", default="off", choices=("auto", "on", "off"), help="torch.compile the forward (runner's mode)"
    )
    args = ap.parse_args()

    device = args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    cuda = device.startswith("cuda")
    batch_tokens = args.batch_tokens or (32768 if cuda else 2048)
    if args.model.startswith("random:"):
        model, tok = random_model(args.model.removeprefix("random:"), device)
        runner = Runner(model, tok, batch_tokens=batch_tokens, compile=args.compile)
        units = synthetic_units(args.cases or 2048, args.prefixes, args.prefix_tokens, args.suffix_tokens)
    else:
        runner, units = constitution_units(args.model, args.root, device, batch_tokens, args.method, args.compile)
        if args.cases:
            units = units[: args.cases]
    model = runner.model
    emb = sum(p.numel() for n, p in model.named_parameters() if "embed_tokens" in n or "lm_head" in n)
    params = sum(p.numel() for p in model.parameters())
    non_emb = params - emb

    # warm-up (kernels, allocator; the compile with --compile on) on a few prompts, not timed
    warmup, _ = optimised(runner, units[:64], device)
    naive(model, units[:2], device)
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
        with profile(activities=acts) as prof:
            t_prof, _ = optimised(runner, units[:256], device)
        print(f"profiled pass: 256 prompts, {t_prof * 1e3:.1f} ms wall (profiler overhead included)")
        key = "self_cuda_time_total" if cuda else "self_cpu_time_total"
        print(prof.key_averages().table(sort_by=key, row_limit=18, max_name_column_width=60))
        if cuda:
            print(gpu_time_split(prof))
    runner._prefix_kv.clear()
    runner.tokens = runner.calls = 0
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t_opt, v_opt = optimised(runner, units, device)
    computed_tokens = runner.tokens
    peak_opt = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    subset = units[: args.naive_cases]
    t_naive, v_naive = naive(model, subset, device)
    max_diff = max(abs(a - b) for a, b in zip(v_naive, v_opt[: len(subset)], strict=True))

    prompt_tokens = sum(len(u.prefix) + len(u.suffix) for u in units)
    rate = len(units) / t_opt
    naive_rate = len(subset) / t_naive
    out: dict[str, Any] = {
        "model": args.model,
        "device": torch.cuda.get_device_name() if cuda else f"cpu ({torch.get_num_threads()} threads)",
        "dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
        "params": params,
        "non_embedding_params": non_emb,
        "prompts": len(units),
        "mean_prompt_tokens": prompt_tokens / len(units),
        "batch_tokens": batch_tokens,
        "seconds": t_opt,
        "prompts_per_s": rate,
        "prompt_tokens_per_s": prompt_tokens / t_opt,
        "computed_tokens_per_s": computed_tokens / t_opt,
        "naive_prompts": len(subset),
        "naive_prompts_per_s": naive_rate,
        "speedup_vs_naive": rate / naive_rate,
        "max_logodds_diff_vs_naive": max_diff,
        "forward_passes": runner.calls,
        "compile": runner.compile_mode,
        "compile_seconds": runner.compile_seconds,
        "warmup_seconds": warmup,
        "compiled_graphs": compiled_graphs(),
        "sample_logodds": [round(v, 4) for v in v_opt[:3]],
    }
    if cuda:
        achieved = 2 * non_emb * computed_tokens / t_opt / 1e12
        peak = nominal_peak(torch.cuda.get_device_name())
        measured = measured_matmul_tflops(device)
        out |= {
            "peak_gpu_memory_gib": peak_opt,
            "achieved_tflops": achieved,
            "bf16_peak_tflops": peak,
            "fraction_of_bf16_peak": achieved / peak if peak else None,
            "measured_matmul_tflops": measured,
            "fraction_of_measured_matmul": achieved / measured,
        }
    else:
        out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    for key, value in out.items():
        print(f"{key:>28}: {value:.4g}" if isinstance(value, float) else f"{key:>28}: {value}")
    print("rerun: python benchmarks/critic_throughput.py " + " ".join(sys.argv[1:]))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
