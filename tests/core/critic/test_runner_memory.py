"""Bounded memory in the runner: the batch budget counts prefix + suffix tokens per row, and the
prefix KV cache is an LRU capped in entries and bytes. Measured on the tiny model's tensors."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from constitution_studio.core.critic.runner import Runner, Unit  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32)
    model.eval()
    return model, AutoTokenizer.from_pretrained(str(tiny_model_dir))


def _units(n_prefixes: int, per_prefix: int, prefix_len: int, suffix_len: int) -> list[Unit]:
    units = []
    for p in range(n_prefixes):
        prefix = tuple(10 + ((p * 7 + i) % 50) for i in range(prefix_len))
        for c in range(per_prefix):
            suffix = tuple(60 + ((c + i) % 40) for i in range(suffix_len - (c % 3)))
            units.append(Unit(prefix=prefix, suffix=suffix, first=(5,), second=(6,)))
    return units


def _record_shapes(model: Any) -> tuple[list[tuple[int, int]], Any]:
    """Attention-mask shapes (rows, prefix + suffix columns) of every batched forward."""
    shapes: list[tuple[int, int]] = []

    def hook(_module: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        mask = kwargs.get("attention_mask")
        if mask is not None:
            shapes.append((int(mask.shape[0]), int(mask.shape[1])))

    return shapes, model.register_forward_pre_hook(hook, with_kwargs=True)


def test_batch_budget_counts_prefix_and_suffix_tokens(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    budget = 256
    runner = Runner(model, tokenizer, batch_tokens=budget)
    units = _units(n_prefixes=2, per_prefix=12, prefix_len=90, suffix_len=12)
    shapes, handle = _record_shapes(model)
    try:
        results = list(runner.log_odds(units))
    finally:
        handle.remove()
    assert sum(len(i) for i, _ in results) == len(units)
    assert shapes, "no batched forward seen"
    for rows, columns in shapes:
        assert rows * columns <= budget, (rows, columns)  # prefix columns count against the budget
    # before: 256 // 12 = 21 rows of 102 columns each (8.4x the budget); now at most 2
    assert max(rows for rows, _ in shapes) == budget // 102


def test_materialised_kv_per_batch_stays_under_budget(tiny: tuple[Any, Any]) -> None:
    """The KV tensors one batch materialises are bounded by the token budget."""
    model, tokenizer = tiny
    config = model.config
    head_dim = config.hidden_size // config.num_attention_heads
    per_token = 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * 4  # k+v, float32
    budget = 512
    runner = Runner(model, tokenizer, batch_tokens=budget)
    shapes, handle = _record_shapes(model)
    try:
        list(runner.log_odds(_units(n_prefixes=1, per_prefix=30, prefix_len=60, suffix_len=10)))
    finally:
        handle.remove()
    peak_kv = max(rows * columns for rows, columns in shapes) * per_token
    assert peak_kv <= budget * per_token
    prefix_bytes = runner.prefix_cache_nbytes
    assert prefix_bytes == 60 * per_token  # one prefix of 60 tokens, measured on the tensors


def test_prefix_kv_cache_is_an_lru_capped_in_entries_and_bytes(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    runner = Runner(model, tokenizer, batch_tokens=4096)
    runner.prefix_cache_entries = 3
    list(runner.log_odds(_units(n_prefixes=5, per_prefix=2, prefix_len=20, suffix_len=6)))
    assert len(runner._prefix_kv) == 3
    assert runner.prefix_cache_evictions == 2
    one = runner.prefix_cache_nbytes // 3
    runner.prefix_cache_entries = 100
    runner.prefix_cache_bytes = 2 * one
    list(runner.log_odds(_units(n_prefixes=7, per_prefix=1, prefix_len=20, suffix_len=6)[5:]))  # two new
    assert runner.prefix_cache_nbytes <= 2 * one
    assert len(runner._prefix_kv) == 2


def test_scores_do_not_depend_on_prefix_cache_eviction(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    units = _units(n_prefixes=4, per_prefix=3, prefix_len=15, suffix_len=5)
    roomy = Runner(model, tokenizer, batch_tokens=4096)
    tight = Runner(model, tokenizer, batch_tokens=4096)
    tight.prefix_cache_entries = 1

    def values(runner: Runner) -> dict[int, float]:
        return {i: v for idx, vals in runner.log_odds(units) for i, v in zip(idx, vals, strict=True)}

    a, b = values(roomy), values(tight)
    assert a.keys() == b.keys()
    assert all(abs(a[i] - b[i]) < 1e-5 for i in a)


def test_no_deprecation_warning_from_the_cache_argument(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    runner = Runner(model, tokenizer, batch_tokens=1024)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        list(runner.log_odds(_units(n_prefixes=1, per_prefix=2, prefix_len=8, suffix_len=4)))
