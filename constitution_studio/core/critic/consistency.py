"""Polarity and order consistency of a judge: the checks that catch a critic answering the same
token whatever it is asked.

- polarity (single responses): the label from "does it violate?" agrees with the one from
  "does it comply?" (P(violates) ~ 1 - P(complies));
- order (pairs): the verdict survives swapping which response is shown first.

Both come from the individual prompts (parts) a request's score averages: the `both` method
already asks both polarities, every pair is already asked in both orders. Part log-odds are
cached like scores (the method in the key names the part), so a repeated comparison is free.
Guard families ask neither the opposite polarity nor an ordered pair (a pair is two single
judgments), so both checks are None for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constitution_studio.core.critic.cache import Entry
from constitution_studio.core.critic.engine import Critic, logit, sigmoid
from constitution_studio.core.critic.families import Part
from constitution_studio.core.critic.families.generic import Generic
from constitution_studio.core.critic.types import ScoreRequest


@dataclass(frozen=True)
class Consistency:
    polarity: float | None  # share of single responses whose two polarities agree
    n_single: int
    order: float | None  # share of pairs whose verdict survives the swap
    n_pair: int


def _part_key(critic: Critic, req: ScoreRequest, part: Part) -> str:
    tag = f"{critic._method_key(req.principle_id)}|part={part.polarity}{'-swapped' if part.swapped else ''}"
    return critic._key(req.statement, req.case.content_hash(), req.case.kind, req.variant, tag)


def part_log_odds(critic: Critic, requests: Sequence[ScoreRequest]) -> list[list[float]]:
    """Each request's part log-odds (first option vs second), both polarities, both orders."""
    plan = [(req, critic.family.parts(req.case.kind, req.variant, True)) for req in requests]
    keys = [[_part_key(critic, req, p) for p in parts] for req, parts in plan]
    flat = [k for ks in keys for k in ks]
    found = critic.cache.get_many(flat) if critic.cache is not None else {}
    values: dict[str, float] = {k: logit(p) for k, p in found.items()}
    todo = [(k, req, p) for (req, parts), ks in zip(plan, keys, strict=True) for k, p in zip(ks, parts, strict=True)]
    todo = [t for t in dict((k, (k, r, p)) for k, r, p in todo).values() if t[0] not in values]
    if todo:
        runner = critic._ensure_runner()
        units: list[Any] = [critic._unit(p, r.statement, r.case, r.principle_id) for _, r, p in todo]
        for indices, odds in runner.log_odds(units):
            for i, z in zip(indices, odds, strict=True):
                values[todo[i][0]] = z
        if critic.cache is not None:
            critic.cache.put_many(
                Entry(k, sigmoid(values[k]), critic.model_key, critic.template_id, "part", r.variant)
                for k, r, _ in todo
            )
    return [[values[k] for k in ks] for ks in keys]


def consistency(critic: Critic, requests: Sequence[ScoreRequest]) -> Consistency:
    """Polarity and order consistency over these (verdict) requests."""
    if not isinstance(critic.family, Generic):
        return Consistency(None, 0, None, 0)
    verdicts = [r for r in requests if r.question == "verdict"]
    values = part_log_odds(critic, verdicts)
    polar: list[bool] = []
    order: list[bool] = []
    for req, z in zip(verdicts, values, strict=True):
        if req.case.kind == "single":  # parts: violates, complies
            polar.append((z[0] > 0) == (z[1] < 0))
        else:  # parts: better, better swapped, worse, worse swapped
            order.append((z[0] > 0) == (z[1] < 0))
    return Consistency(
        polarity=sum(polar) / len(polar) if polar else None,
        n_single=len(polar),
        order=sum(order) / len(order) if order else None,
        n_pair=len(order),
    )
