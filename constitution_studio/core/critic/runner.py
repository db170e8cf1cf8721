"""The forward pass: batched, prefill-only option log-odds (torch imported here only).

Each *unit* is one prompt: a shared prefix (system prompt, few-shot examples) plus its own
suffix (the judge question for one case). The runner sorts units by length, packs them into
batches under a token budget, left-pads, and runs one forward per batch with
`logits_to_keep=1` so the LM head runs only on the last position. A prefix's KV cache is
computed once and expanded over the batch instead of being recomputed per case.

On CUDA, very long runs (or `compile="on"`) compile the model's forward (`torch.compile`,
dynamic shapes: one graph serves every batch shape), which fuses the elementwise work between
the matmuls; see `COMPILE_AFTER_PROMPTS`. Results are read back one batch late, so the host prepares and
launches the next batch while the GPU is still busy with the current one.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from constitution_studio.core.critic.units import Unit

COMPILE_AFTER_PROMPTS = 150_000
"""`compile="auto"` compiles on CUDA only for a run of at least this many prompts. Measured on an
H100 with the Qwen2.5-1.5B shape (docs/performance.md, "Critic throughput"): compiling takes
~126 s cold (~50 s with a warm inductor cache) and saves ~1 ms per ~600-token prompt, so it
pays off only beyond ~130k prompts; shorter runs never wait for it."""

COMPILE_ENV = "CSTUDIO_CRITIC_COMPILE"  # auto | on | off: overrides the default mode

PREFIX_CACHE_ENTRIES = 64
"""At most this many prefixes keep their KV cache (least recently used dropped first). The
studio's auto-run scores every typed wording, and each wording is a new prefix."""
PREFIX_CACHE_BYTES = 512 << 20
"""...and at most this many bytes of KV tensors in all (one 1.5B-model prefix of 600 tokens in
bf16 is ~16 MiB)."""

KVLayers = list[tuple[torch.Tensor, torch.Tensor]]


def _cache_layers(cache: Any) -> KVLayers:
    """(keys, values) per layer of a returned cache, across transformers' Cache layouts."""
    if hasattr(cache, "layers"):
        return [(layer.keys, layer.values) for layer in cache.layers]
    return list(zip(cache.key_cache, cache.value_cache, strict=True))  # transformers < 4.56


def _kv_bytes(kv: KVLayers) -> int:
    return sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in kv)


@contextlib.contextmanager
def _attention_backends(device: torch.device) -> Iterator[None]:
    """On CUDA, keep SDPA off the cuDNN backend: it builds a graph per new shape, and every
    length-sorted batch has a new shape (measured: a third of CPU time went there)."""
    if device.type != "cuda":
        yield
        return
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]):
        yield


def _compile_mode(mode: str | None) -> str:
    mode = (mode or os.environ.get(COMPILE_ENV) or "auto").strip().lower()
    if mode not in ("auto", "on", "off"):
        raise ValueError(f"compile mode must be auto, on or off, not {mode!r}")
    return mode


class Runner:
    """Scores units on one model; counts forward passes in `calls`.

    `compile`: "auto" (default, or $CSTUDIO_CRITIC_COMPILE) compiles the forward on CUDA for a
    run of `COMPILE_AFTER_PROMPTS` prompts or more; "on" compiles at the first batch on any
    device (worth it when one process scores many runs); "off" never does. Once compiled, the
    runner stays compiled. `compile_seconds` is the time the first compiled call took.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        batch_tokens: int,
        use_prefix_cache: bool = True,
        max_batch: int = 512,
        compile: str | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.batch_tokens = batch_tokens
        self.use_prefix_cache = use_prefix_cache
        self.max_batch = max_batch
        self.device = next(model.parameters()).device
        pad = tokenizer.pad_token_id
        if pad is None:
            pad = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
        self.pad_id = int(pad)
        self.calls = 0
        self.tokens = 0  # real (unpadded) prompt tokens processed, prefixes counted once
        self._prefix_kv: OrderedDict[tuple[int, ...], KVLayers] = OrderedDict()  # LRU
        self.prefix_cache_entries = PREFIX_CACHE_ENTRIES
        self.prefix_cache_bytes = PREFIX_CACHE_BYTES
        self.prefix_cache_evictions = 0
        # transformers 5.x renamed the forward's `past_key_values` to `cache` (the old name warns)
        params = inspect.signature(model.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"
        self.compile_mode = _compile_mode(compile)
        self.compile_seconds: float | None = None
        self._compiled: Any = None

    # -- batching -------------------------------------------------------------------------

    def row_tokens(self, unit: Unit) -> int:
        """What one row costs the batch budget: its prefix *and* suffix tokens, even with the
        prefix cache, since attention reads the prefix's keys and values expanded over the
        batch and the mask spans both."""
        return len(unit.suffix) + len(unit.prefix)

    def batches(self, units: Sequence[Unit]) -> list[list[int]]:
        """Indices grouped by prefix, longest first, packed under the token budget (`row_tokens`)."""
        order = sorted(range(len(units)), key=lambda i: (units[i].prefix, -len(units[i].suffix)))
        out: list[list[int]] = []
        current: list[int] = []
        width = 0
        for i in order:
            unit = units[i]
            length = self.row_tokens(unit)
            same_prefix = not current or units[current[0]].prefix == unit.prefix
            new_width = max(width, length)
            if current and (
                not same_prefix or new_width * (len(current) + 1) > self.batch_tokens or len(current) >= self.max_batch
            ):
                out.append(current)
                current, new_width = [], length
            current.append(i)
            width = new_width
        if current:
            out.append(current)
        return out

    # -- forward --------------------------------------------------------------------------

    def _prefix_cache(self, prefix: tuple[int, ...]) -> KVLayers:
        kv = self._prefix_kv.get(prefix)
        if kv is not None:
            self._prefix_kv.move_to_end(prefix)
            return kv
        ids = torch.tensor([prefix], dtype=torch.long, device=self.device)
        out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
        self.calls += 1
        self.tokens += len(prefix)
        returned = out.cache if self._cache_arg == "cache" else out.past_key_values
        kv = _cache_layers(returned)
        self._prefix_kv[prefix] = kv
        self._evict(keep=prefix)
        return kv

    @property
    def prefix_cache_nbytes(self) -> int:
        """Bytes of KV tensors the prefix cache holds now."""
        return sum(_kv_bytes(kv) for kv in self._prefix_kv.values())

    def _evict(self, keep: tuple[int, ...]) -> None:
        """Drop least recently used prefixes beyond the entry and byte caps (never `keep`)."""
        total = self.prefix_cache_nbytes
        while len(self._prefix_kv) > 1 and (
            len(self._prefix_kv) > self.prefix_cache_entries or total > self.prefix_cache_bytes
        ):
            oldest = next(iter(self._prefix_kv))
            if oldest == keep:
                break
            total -= _kv_bytes(self._prefix_kv.pop(oldest))
            self.prefix_cache_evictions += 1

    def _forward(self, batch: Sequence[Unit]) -> torch.Tensor:
        """Last-position logits [B, vocab] for one batch (left padding, explicit positions)."""
        from transformers import DynamicCache

        use_prefix = self.use_prefix_cache and bool(batch[0].prefix)
        rows = [u.suffix if use_prefix else u.prefix + u.suffix for u in batch]
        n_real = len(rows)
        width = max(len(r) for r in rows)
        if self._compiled is not None:
            # dynamic shapes still specialise sizes 0 and 1: score a copy / one more pad column
            # rather than compile another graph for a one-row or one-token batch
            rows = rows * 2 if n_real == 1 else rows
            width = max(width, 2)
        # one host tensor, one copy to the device (left padding)
        ids = torch.tensor([[self.pad_id] * (width - len(r)) + list(r) for r in rows], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], dtype=torch.long)
        ids, mask = self._to_device(ids), self._to_device(mask)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        kwargs: dict[str, Any] = {"use_cache": False}
        if use_prefix:
            kv = self._prefix_cache(batch[0].prefix)
            n, p = len(rows), len(batch[0].prefix)
            cache = DynamicCache(
                [(k.expand(n, -1, -1, -1), v.expand(n, -1, -1, -1)) for k, v in kv], config=self.model.config
            )
            mask = torch.cat([torch.ones((n, p), dtype=mask.dtype, device=self.device), mask], dim=1)
            positions = positions + p
            kwargs = {"use_cache": True, self._cache_arg: cache}
        forward = self._compiled if self._compiled is not None else self.model
        first_compiled = self._compiled is not None and self.compile_seconds is None
        start = time.perf_counter()
        out = forward(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=1, **kwargs)
        if first_compiled:
            self._sync()
            self.compile_seconds = time.perf_counter() - start
        self.calls += 1
        self.tokens += sum(len(u.suffix) for u in batch) + (0 if use_prefix else sum(len(u.prefix) for u in batch))
        return out.logits[:n_real, -1, :]

    def log_odds(
        self,
        units: Sequence[Unit],
        *,
        cancelled: Callable[[], bool] = lambda: False,
        run_size: int | None = None,
    ) -> Iterator[tuple[list[int], list[float]]]:
        """Yield (unit indices, log-odds of first vs second option) per batch, until cancelled.

        `run_size`: prompts in the whole run this call is a chunk of (for compile="auto";
        default: this call's). Each batch's values are read back (the one host sync) after the
        next batch has been launched, so the GPU does not idle while the host builds the next.
        """
        self._maybe_compile(run_size if run_size is not None else len(units))
        pending: tuple[list[int], torch.Tensor] | None = None
        with torch.inference_mode(), _attention_backends(self.device):
            for indices in self.batches(units):
                if cancelled():
                    break
                batch = [units[i] for i in indices]
                odds = self._option_log_odds(self._forward(batch).float(), batch)
                if pending is not None:
                    yield pending[0], [float(v) for v in pending[1].tolist()]
                pending = (indices, odds)
            if pending is not None:
                yield pending[0], [float(v) for v in pending[1].tolist()]

    def _option_log_odds(self, logits: torch.Tensor, batch: Sequence[Unit]) -> torch.Tensor:
        """logsumexp over each option's token variants, first minus second (on the device)."""
        width = max(max(len(u.first), len(u.second)) for u in batch)

        def gather(groups: list[tuple[int, ...]]) -> torch.Tensor:
            idx = self._to_device(torch.tensor([list(g) + [g[0]] * (width - len(g)) for g in groups]))
            keep = self._to_device(torch.tensor([[True] * len(g) + [False] * (width - len(g)) for g in groups]))
            picked = logits.gather(1, idx).masked_fill(~keep, float("-inf"))
            return torch.logsumexp(picked, dim=1)

        return gather([u.first for u in batch]) - gather([u.second for u in batch])

    # -- device helpers -------------------------------------------------------------------

    def _to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        """Host tensor to the model's device; on CUDA via pinned memory, without blocking the host."""
        if self.device.type != "cuda":
            return tensor.to(self.device)
        return tensor.pin_memory().to(self.device, non_blocking=True)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def wants_compile(self, run_size: int) -> bool:
        """Whether a run of `run_size` prompts gets a compiled forward under this mode and device."""
        if self.compile_mode == "auto":
            return self.device.type == "cuda" and run_size >= COMPILE_AFTER_PROMPTS
        return self.compile_mode == "on"

    def _maybe_compile(self, run_size: int) -> None:
        """Compile the forward once, when `wants_compile` says so (then it stays compiled)."""
        if self._compiled is not None or not self.wants_compile(run_size):
            return
        # dynamic=True: batch size, suffix and prefix lengths are symbolic, so one graph serves
        # every batch (a static graph per shape would recompile for almost every batch).
        self._compiled = torch.compile(self.model, dynamic=True)
