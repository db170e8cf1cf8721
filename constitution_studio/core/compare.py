"""`critic compare`: each scoring method, template variant and model over the gold cases.

The evidence a team uses to choose its critic: agreement with gold (balanced accuracy,
kappa, AUC with seeded bootstrap intervals), polarity and order consistency
(core/critic/consistency.py) and speed; with a panel, each member and the panel side by side
with the members' agreement. Method `anchored` shows each principle k of its own gold cases;
those are left out of its agreement (`excluded`). Scores come from the same cache as every
other command, so a repeated comparison only times cache reads; `cached` says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from pydantic import BaseModel, Field

from constitution_studio.core.analysis.judging import anchor
from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.analysis.scoring import case_requests, score_versions
from constitution_studio.core.analysis.trust import Agreement, trust_report
from constitution_studio.core.critic.opening import open_judge
from constitution_studio.core.critic.types import ScoreRequest
from constitution_studio.core.models import CriticSettings, PanelMember
from constitution_studio.core.workspace import Workspace

Progress = Callable[[str, int, int], None]


class CompareRow(BaseModel):
    model: str
    method: str
    variant: str
    family: str = Field(default="generic", description="Judge family whose prompt format was used.")
    role: str = Field(default="critic", description="critic, a panel member's name, or panel.")
    agreement: Agreement
    excluded: int = Field(default=0, description="Gold cases left out: demonstrations shown to the judge (anchored).")
    polarity_consistency: float | None = Field(
        default=None, description="Single responses whose 'violates' and 'complies' answers agree (None: n/a)."
    )
    order_consistency: float | None = Field(
        default=None, description="Pairs whose verdict survives swapping the order (None: n/a)."
    )
    member_agreement: float | None = Field(
        default=None, description="Panel rows: share of gold verdicts on which every member agrees."
    )
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
    panel: Sequence[str | PanelMember] | None = None,
    checks: bool = True,
) -> Comparison:
    """Score the gold cases under every (model, method, variant) and measure agreement and speed;
    then, with `panel` (or critic.panel), each member and the panel on the primary variant."""
    rows: list[CompareRow] = []
    n_gold = len(gold_cases(ws))
    single = settings.model_copy(update={"panel": []})  # each (model, method) alone; the panel comes after
    runs: int | None = None  # how many (model, method, variant) runs in all, known once a judge is open
    for model in models:
        for method in methods:
            critic = open_judge(single, root, use_cache=use_cache, method=method, model=model)
            excluded = anchor(critic, ws)
            if runs is None:
                runs = len(models) * len(methods) * len(variants or critic.variants)
            for variant in variants or critic.variants:
                if variant not in critic.variants:
                    from constitution_studio.errors import BadInputError

                    raise BadInputError(f"unknown template variant '{variant}' (have {', '.join(critic.variants)})")
                engagement = critic.settings.engagement != "off"
                version = ScoredVersion(ws=ws, judges=[variant], engagement=engagement)
                requests = case_requests(version, gold_cases(ws))
                label = f"run {len(rows) + 1} of {runs}: {model} {critic.info.method} {variant}"
                start = time.perf_counter()

                def bar(done: int, total: int, label: str = label) -> None:
                    if progress is not None:
                        progress(label, done, total)

                run = score_versions(critic, [(version, requests)], cancel=cancel, progress=bar)
                cached = run.cached
                seconds = time.perf_counter() - start
                report = trust_report(version, seed=seed, excluded=excluded)
                checked = critic.consistency(_gold_verdicts(requests, excluded)) if checks else None
                rows.append(
                    CompareRow(
                        model=model,
                        method=critic.info.method,
                        variant=variant,
                        family=critic.info.family,
                        agreement=report.overall,
                        excluded=len(set().union(*excluded.values()) & set(gold_cases(ws))),
                        polarity_consistency=_round(checked.polarity if checked else None),
                        order_consistency=_round(checked.order if checked else None),
                        requests=run.requests,
                        cached=cached,
                        seconds=round(seconds, 3),
                        cases_per_s=round(n_gold / seconds, 2) if seconds > 0 and n_gold else None,
                    )
                )
    members = list(panel if panel is not None else settings.panel)
    if members:
        rows += panel_rows(
            root, ws, settings, members, use_cache=use_cache, cancel=cancel, progress=progress, seed=seed
        )
    return Comparison(version=ws.label, gold_cases=n_gold, seed=seed, rows=rows)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _gold_verdicts(requests: Sequence[ScoreRequest], excluded: dict[str, set[str]]) -> list[ScoreRequest]:
    return [r for r in requests if r.question == "verdict" and r.case.id not in excluded.get(r.principle_id, set())]


def panel_rows(
    root: Path,
    ws: Workspace,
    settings: CriticSettings,
    members: Sequence[str | PanelMember],
    *,
    use_cache: bool = True,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    seed: int = 0,
) -> list[CompareRow]:
    """One row per panel member and one for the panel, on the primary variant."""
    from constitution_studio.core.critic.panel import SEP

    panel = open_judge(settings.model_copy(update={"panel": list(members)}), root, use_cache=use_cache)
    combine = settings.panel_combine
    engagement = settings.engagement != "off"
    variant = panel.variants[0]
    judges = [variant, *(f"{n}{SEP}{variant}" for n in panel.members)]
    shown = anchor(panel, ws)  # members with method anchored see the same demonstrations
    versions = {j: ScoredVersion(ws=ws, judges=[j], engagement=engagement, demonstrations=shown) for j in judges}
    rows: list[CompareRow] = []
    for judge in [*judges[1:], judges[0]]:  # members first: the panel then reads their cache
        version = versions[judge]
        requests = case_requests(version, gold_cases(ws))
        start = time.perf_counter()

        def bar(done: int, total: int, label: str = f"panel {judge}") -> None:
            if progress is not None:
                progress(label, done, total)

        run = score_versions(panel, [(version, requests)], cancel=cancel, progress=bar)
        seconds = time.perf_counter() - start
        name, _, _ = judge.rpartition(SEP)
        member = panel.members.get(name)
        own = [replace(r, variant=variant) for r in _gold_verdicts(requests, shown)]  # the member's own judge name
        checked = member.consistency(own) if member is not None else None
        rows.append(
            CompareRow(
                model=member.settings.model if member is not None else f"panel ({combine})",
                method=member.info.method
                if member is not None
                else "+".join(c.info.method for c in panel.members.values()),
                variant=variant,
                family=member.info.family
                if member is not None
                else "/".join(c.info.family for c in panel.members.values()),
                role=name or "panel",
                agreement=trust_report(version, seed=seed).overall,
                excluded=len(set().union(*shown.values()) & set(gold_cases(ws))),
                polarity_consistency=_round(checked.polarity if checked else None),
                order_consistency=_round(checked.order if checked else None),
                requests=run.requests,
                cached=run.cached,
                seconds=round(seconds, 3),
                cases_per_s=round(len(gold_cases(ws)) / seconds, 2) if seconds > 0 else None,
            )
        )
    panel_row = rows[-1] if rows else None
    if panel_row is not None:
        panel_row.member_agreement = _round(_members_agree(versions, judges))
    panel.close()
    return rows


def _members_agree(versions: dict[str, ScoredVersion], judges: list[str]) -> float | None:
    """Share of (principle, gold case) verdicts on which every member gives the same label."""
    members = [versions[j] for j in judges[1:]]
    keys = [(p, c) for (p, c, _v) in members[0].verdicts]
    same = 0
    counted = 0
    for pid, cid in keys:
        labels = {
            m.verdicts[(pid, cid, j)].label
            for m, j in zip(members, judges[1:], strict=True)
            if (pid, cid, j) in m.verdicts
        }
        if len(labels) >= 1:
            counted += 1
            same += len(labels) == 1
    return same / counted if counted else None
