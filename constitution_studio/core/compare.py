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

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.scoring import case_requests, score_versions
from constitution_studio.core.analysis.trust import Agreement, trust_report
from constitution_studio.core.models import CriticSettings
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


def gold_cases(ws: Workspace) -> list[str]:
    """The cases with gold: each is scored under every principle that may decide it (and engagement)."""
    return [cid for cid, case in ws.cases.items() if case.has_gold]


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
    n_gold = len(gold_cases(ws))
    for model in models:
        for method in methods:
            critic = open_critic(settings.model_copy(update={"model": model}), root, use_cache=use_cache, method=method)
            for variant in variants or critic.variants:
                if variant not in critic.variants:
                    from constitution_studio.errors import BadInputError

                    raise BadInputError(f"unknown template variant '{variant}' (have {', '.join(critic.variants)})")
                engagement = critic.settings.engagement != "off"
                version = ScoredVersion(ws=ws, judges=[variant], engagement=engagement)
                requests = case_requests(version, gold_cases(ws))
                label = f"{model} {critic.info.method} {variant}"
                start = time.perf_counter()

                def bar(done: int, total: int, label: str = label) -> None:
                    if progress is not None:
                        progress(label, done, total)

                run = score_versions(critic, [(version, requests)], cancel=cancel, progress=bar)
                cached = run.cached
                seconds = time.perf_counter() - start
                report = trust_report(version, seed=seed)
                rows.append(
                    CompareRow(
                        model=model,
                        method=critic.info.method,
                        variant=variant,
                        agreement=report.overall,
                        requests=run.requests,
                        cached=cached,
                        seconds=round(seconds, 3),
                        cases_per_s=round(n_gold / seconds, 2) if seconds > 0 and n_gold else None,
                    )
                )
    return Comparison(version=ws.label, gold_cases=n_gold, seed=seed, rows=rows)
