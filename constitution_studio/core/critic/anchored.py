"""Method `anchored`: a principle's own gold cases shown to the judge as worked examples, and
locale addenda appended to the wording the judge reads.

The demonstrations are chosen deterministically (k per principle, balanced by label, ordered
by a hash of principle id and case id, so adding a case elsewhere never reshuffles them) and
sit in the principle's shared prompt prefix, so its KV cache is still computed once. They
must be left out of that principle's agreement figures: `without_demonstrations` is the one
place that does it, and `DemoSet.ids` is what every report lists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from constitution_studio.core.critic.families import Demo
from constitution_studio.core.models import EvalCase, Principle

DEFAULT_K = 4


@dataclass(frozen=True)
class DemoSet:
    """The demonstrations of one principle and the content hash that goes into cache keys."""

    principle_id: str
    demos: tuple[Demo, ...]

    @property
    def ids(self) -> list[str]:
        return [d.case.id for d in self.demos]

    @property
    def key(self) -> str:
        payload = [[d.case.content_hash(), d.violates, d.better] for d in self.demos]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:16]


def _rank(principle_id: str, case_id: str) -> str:
    return hashlib.sha256(f"{principle_id}\0{case_id}".encode()).hexdigest()


def gold_for(case: EvalCase, principle_id: str) -> str | None:
    """The case's human verdict for this principle: its entry in a per-principle gold map, or
    the overall label when the case links this principle alone. An overall label on a case
    linked to several principles answers for whichever of them decides, which is not known
    before the critic has judged engagement, so it is no principle's demonstration."""
    gold: object = case.gold
    if isinstance(gold, dict):
        value = gold.get(principle_id)
        return str(value) if value is not None else None
    if gold is None or set(case.principles) != {principle_id}:
        return None
    return str(gold)


def select_demonstrations(principle_id: str, cases: Iterable[EvalCase], k: int = DEFAULT_K) -> DemoSet:
    """Up to k gold cases linked to the principle, alternating labels (violates/complies, a/b)."""
    groups: dict[str, list[EvalCase]] = {}
    for case in cases:
        label = gold_for(case, principle_id)
        if label is not None and principle_id in case.principles:
            groups.setdefault(label, []).append(case)
    for members in groups.values():
        members.sort(key=lambda c: _rank(principle_id, c.id))
    order = [label for label in ("violates", "complies", "a", "b") if label in groups]
    chosen: list[EvalCase] = []
    depth = 0
    while len(chosen) < k and any(depth < len(groups[label]) for label in order):
        for label in order:
            if depth < len(groups[label]) and len(chosen) < k:
                chosen.append(groups[label][depth])
        depth += 1
    demos = []
    for c in chosen:
        label = gold_for(c, principle_id)
        better: Literal["a", "b"] | None = "a" if label == "a" else "b" if label == "b" else None
        demos.append(Demo(case=c, violates=(label == "violates") if c.kind == "single" else None, better=better))
    return DemoSet(principle_id, tuple(demos))


def without_demonstrations(cases: Sequence[EvalCase], demo_set: DemoSet) -> list[EvalCase]:
    """The cases agreement is measured on: every case but the principle's demonstrations."""
    shown = set(demo_set.ids)
    return [c for c in cases if c.id not in shown]


def localized_statement(principle: Principle, locale: str | None) -> str:
    """The wording the judge reads for a locale: the statement plus that locale's addendum.

    Being part of the statement, the addendum reaches the prompt and the cache key, and an
    edit to it is a reword for that locale.
    """
    if not locale:
        return principle.statement
    addendum = principle.locales.get(locale)
    if not addendum or not addendum.strip():
        return principle.statement
    return f"{principle.statement.rstrip()}\n\nFor locale {locale}: {addendum.strip()}"
