"""The forward pass: batched, prefill-only option log-odds (torch imported here only).

Each *unit* is one prompt: a shared prefix (system prompt, few-shot examples) plus its own
suffix (the judge question for one case). The runner sorts units by length, packs them into
batches under a token budget, left-pads, and runs one forward per batch with
`logits_to_keep=1` so the LM head runs only on the last position. A prefix's KV cache is
computed once and expanded over the batch instead of being recomputed per case.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from constitution_studio.errors import ModelUnavailableError


@dataclass(frozen=True)
class Unit:
    """One prompt to score: token ids of prefix and suffix, and the two option id groups."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    first: tuple[int, ...]  # token ids of the first option ("Yes" / "A"), variants summed
    second: tuple[int, ...]


def option_token_ids(tokenizer: Any, word: str) -> tuple[int, ...]:
    """Single-token encodings of `word` and ` word`; loud failure when there is none.

    Both the bare and the leading-space form are kept (their probabilities are summed with
    logsumexp) because tokenizers differ in whether the answer after a chat turn starts with a
    space.
    """
    ids: list[int] = []
    for text in (word, " " + word):
        encoded = tokenizer.encode(text, add_special_tokens=False)
        if len(encoded) == 1 and encoded[0] not in ids:
            ids.append(int(encoded[0]))
    if not ids:
        name = getattr(tokenizer, "name_or_path", type(tokenizer).__name__)
        raise ModelUnavailableError(
            f"answer option '{word}' is not a single token for the tokenizer of {name}; "
            "the critic cannot read its probability (use another model or template set)"
        )
    return tuple(ids)


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


class Runner:
    """Scores units on one model; counts forward passes in `calls`."""

    def __init__(
        self, model: Any, tokenizer: Any, *, batch_tokens: int, use_prefix_cache: bool = True, max_batch: int = 512
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
        self._prefix_kv: dict[tuple[int, ...], list[tuple[torch.Tensor, torch.Tensor]]] = {}

    # -- batching -------------------------------------------------------------------------

    def batches(self, units: Sequence[Unit]) -> list[list[int]]:
        """Indices grouped by prefix, longest first, packed under the token budget."""
        order = sorted(range(len(units)), key=lambda i: (units[i].prefix, -len(units[i].suffix)))
        out: list[list[int]] = []
        current: list[int] = []
        width = 0
        for i in order:
            unit = units[i]
            length = len(unit.suffix) + (0 if self.use_prefix_cache else len(unit.prefix))
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

    def _prefix_cache(self, prefix: tuple[int, ...]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        kv = self._prefix_kv.get(prefix)
        if kv is None:
            ids = torch.tensor([prefix], dtype=torch.long, device=self.device)
            out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
            self.calls += 1
            self.tokens += len(prefix)
            kv = [(layer.keys, layer.values) for layer in out.past_key_values.layers]
            self._prefix_kv[prefix] = kv
        return kv

    def _forward(self, batch: Sequence[Unit]) -> torch.Tensor:
        """Last-position logits [B, vocab] for one batch (left padding, explicit positions)."""
        from transformers import DynamicCache

        use_prefix = self.use_prefix_cache and bool(batch[0].prefix)
        rows = [u.suffix if use_prefix else u.prefix + u.suffix for u in batch]
        width = max(len(r) for r in rows)
        # one host tensor, one copy to the device (left padding)
        ids = torch.tensor([[self.pad_id] * (width - len(r)) + list(r) for r in rows], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], dtype=torch.long)
        ids, mask = ids.to(self.device), mask.to(self.device)
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
            kwargs = {"use_cache": True, "past_key_values": cache}
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=1, **kwargs)
        self.calls += 1
        self.tokens += sum(len(u.suffix) for u in batch) + (0 if use_prefix else sum(len(u.prefix) for u in batch))
        return out.logits[:, -1, :]

    def log_odds(
        self,
        units: Sequence[Unit],
        *,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> Iterator[tuple[list[int], list[float]]]:
        """Yield (unit indices, log-odds of first vs second option) per batch, until cancelled."""
        with torch.inference_mode(), _attention_backends(self.device):
            for indices in self.batches(units):
                if cancelled():
                    return
                batch = [units[i] for i in indices]
                logits = self._forward(batch).float()
                yield indices, self._option_log_odds(logits, batch)

    def _option_log_odds(self, logits: torch.Tensor, batch: Sequence[Unit]) -> list[float]:
        """logsumexp over each option's token variants, first minus second, in one device sync."""
        width = max(max(len(u.first), len(u.second)) for u in batch)

        def gather(groups: list[tuple[int, ...]]) -> torch.Tensor:
            idx = torch.tensor([list(g) + [g[0]] * (width - len(g)) for g in groups], device=logits.device)
            keep = torch.tensor([[True] * len(g) + [False] * (width - len(g)) for g in groups], device=logits.device)
            picked = logits.gather(1, idx).masked_fill(~keep, float("-inf"))
            return torch.logsumexp(picked, dim=1)

        odds = gather([u.first for u in batch]) - gather([u.second for u in batch])
        return [float(v) for v in odds.tolist()]
