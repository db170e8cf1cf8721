"""`critic compare`: each scoring method, template variant and model over the gold cases.

The evidence a team uses to choose its critic: agreement with gold (balanced accuracy,
kappa, AUC with seeded bootstrap intervals) and speed. Scores come from the same cache as
every other command, so a repeated comparison only times cache reads; `cached` says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from constitution_studio.core.models import CriticSettings
from constitution_studio.core.trust import Agreement, trust_report
from constitution_studio.core.workspace import Workspace

Progress = Callable[[str, int, int], None]


class CompareRow(BaseModel):
    model: str
    method: str
    variant: str
    agreement: Agreement
    requests: int = Field(description="(principle, gold case) scores needed.")
    cached: int = Field(description="How many the cache already held.")
    seconds: float
    cases_per_s: float | None = Field(description="Gold cases judged per second (cache reads included).")


class Comparison(BaseModel):
    version: str
    gold_cases: int
    seed: int = 0
    rows: list[CompareRow]


def gold_requests(ws: Workspace, variant: str) -> list[Any]:
    """One request per (linked principle, gold case), so each case's overall label can be formed."""
    from constitution_studio.core.critic import ScoreRequest

    out = []
    for cid, case in ws.cases.items():
        if case.gold is None:
            continue
        for pid in dict.fromkeys(case.principles):
            if pid in ws.principles:
                out.append(ScoreRequest(pid, ws.principles[pid].statement, ws.cases[cid], variant))
    return out


def compare_critics(
    root: Path,
    ws: Workspace,
    settings: CriticSettings,
    *,
    models: Sequence[str],
    methods: Sequence[str],
    variants: Sequence[str] | None = None,
    use_cache: bool = True,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    seed: int = 0,
) -> Comparison:
    """Score the gold cases under every (model, method, variant) and measure agreement and speed."""
    from constitution_studio.core.critic import open_critic

    rows: list[CompareRow] = []
    n_gold = sum(c.gold is not None for c in ws.cases.values())
    for model in models:
        for method in methods:
            critic = open_critic(settings.model_copy(update={"model": model}), root, use_cache=use_cache, method=method)
            for variant in variants or critic.variants:
                if variant not in critic.variants:
                    from constitution_studio.errors import BadInputError

                    raise BadInputError(f"unknown template variant '{variant}' (have {', '.join(critic.variants)})")
                requests = gold_requests(ws, variant)
                label = f"{model} {critic.info.method} {variant}"
                start = time.perf_counter()
                scores: dict[tuple[str, str], Any] = {}
                cached = 0
                for done, score in enumerate(critic.score(requests, cancel=cancel), 1):
                    scores[(score.principle_id, score.case_id)] = score
                    cached += bool(score.cached)
                    if progress is not None:
                        progress(label, done, len(requests))
                seconds = time.perf_counter() - start
                report = trust_report(ws, scores, seed=seed)
                rows.append(
                    CompareRow(
                        model=model,
                        method=critic.info.method,
                        variant=variant,
                        agreement=report.overall,
                        requests=len(requests),
                        cached=cached,
                        seconds=round(seconds, 3),
                        cases_per_s=round(n_gold / seconds, 2) if seconds > 0 and n_gold else None,
                    )
                )
    return Comparison(version=ws.label, gold_cases=n_gold, seed=seed, rows=rows)
