"""Runner compile modes and the compiled forward's equivalence (the latter on a GPU only)."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest


def _runner(model_dir: Path, device: str = "cpu", **kwargs: Any) -> Any:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from constitution_studio.core.critic.runner import Runner

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).to(device).eval()
    return Runner(model, tokenizer, batch_tokens=256, **kwargs)


def _units(n: int, seed: int = 0) -> list[Any]:
    from constitution_studio.core.critic.runner import Unit

    rng = random.Random(seed)
    prefixes = [tuple(rng.randrange(5, 390) for _ in range(12)), ()]
    return [
        Unit(
            prefix=prefixes[i % 2],
            suffix=tuple(rng.randrange(5, 390) for _ in range(rng.randint(1, 30))),
            first=(1,),
            second=(2,),
        )
        for i in range(n)
    ]


def _scores(runner: Any, units: list[Any]) -> list[float]:
    values = [0.0] * len(units)
    for indices, odds in runner.log_odds(units):
        for i, v in zip(indices, odds, strict=True):
            values[i] = v
    return values


def test_auto_never_compiles_on_cpu_or_short_runs(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from constitution_studio.core.critic.runner import COMPILE_AFTER_PROMPTS, COMPILE_ENV

    monkeypatch.delenv(COMPILE_ENV, raising=False)
    runner = _runner(tiny_model_dir)
    assert runner.compile_mode == "auto"
    assert not runner.wants_compile(10 * COMPILE_AFTER_PROMPTS)  # CPU
    _scores(runner, _units(4))
    assert runner._compiled is None and runner.compile_seconds is None
    assert _runner(tiny_model_dir, compile="on").wants_compile(1)
    assert not _runner(tiny_model_dir, compile="off").wants_compile(10 * COMPILE_AFTER_PROMPTS)


def test_compile_mode_from_environment(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from constitution_studio.core.critic.runner import COMPILE_ENV

    monkeypatch.setenv(COMPILE_ENV, "on")
    assert _runner(tiny_model_dir).compile_mode == "on"
    assert _runner(tiny_model_dir, compile="off").compile_mode == "off"  # explicit wins
    monkeypatch.setenv(COMPILE_ENV, "sometimes")
    with pytest.raises(ValueError):
        _runner(tiny_model_dir)


def test_cancel_still_yields_the_launched_batch(tiny_model_dir: Path) -> None:
    """Results are read back one batch late; a cancel must not lose a batch already computed."""
    runner = _runner(tiny_model_dir, compile="off")
    units = _units(40)
    seen: list[int] = []
    stop: list[bool] = []
    for indices, odds in runner.log_odds(units, cancelled=lambda: bool(stop)):
        assert len(indices) == len(odds)
        seen.extend(indices)
        stop.append(True)
    assert 0 < len(seen) < len(units)
    assert len(seen) == len(set(seen))


@pytest.mark.skipif(
    os.environ.get("CSTUDIO_TEST_DEVICE") != "cuda" and not os.environ.get("CSTUDIO_TEST_COMPILE"),
    reason="compiling takes ~30 s on 2 CPU cores: GPU only (CSTUDIO_TEST_COMPILE=1 to run it on CPU)",
)
def test_compiled_equals_eager_and_one_at_a_time(tiny_model_dir: Path) -> None:
    device = os.environ.get("CSTUDIO_TEST_DEVICE", "cpu")
    units = _units(24)
    eager = _runner(tiny_model_dir, device, compile="off")
    one = [_scores(eager, [u])[0] for u in units]
    compiled = _runner(tiny_model_dir, device, compile="on")
    batched = _scores(compiled, units)
    single = [_scores(compiled, [u])[0] for u in units[:3]]  # one-row batches: no extra graph
    assert compiled.compile_seconds is not None
    assert max(abs(a - b) for a, b in zip(batched, one, strict=True)) < 1e-4
    assert max(abs(a - b) for a, b in zip(single, one[:3], strict=True)) < 1e-4
