"""A case's overall label from its linked principles' labels, by priority order.

The highest-priority linked principle that has a score decides; a *conflict* is when the
linked principles' labels disagree (the priority order then resolved it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from constitution_studio.core.models import EvalCase


class _Labelled(Protocol):
    @property
    def label(self) -> str: ...


def _label_of(value: Any) -> str:
    return value if isinstance(value, str) else value.label


def deciding_principle(
    case: EvalCase, priority: Sequence[str], available: Mapping[str, Any] | None = None
) -> str | None:
    """The case's highest-priority linked principle (among `available` when given).

    Principles missing from the priority order rank after all ranked ones, in link order.
    """
    rank = {pid: i for i, pid in enumerate(priority)}
    linked = [p for p in case.principles if available is None or p in available]
    if not linked:
        return None
    return min(linked, key=lambda p: (rank.get(p, len(rank)), case.principles.index(p)))


def overall_label(
    case: EvalCase, scores_by_principle: Mapping[str, _Labelled | str], priority: Sequence[str]
) -> tuple[str | None, str | None, bool]:
    """(label, deciding principle id, conflict) for one case.

    `scores_by_principle` maps principle id -> Score (or a plain label string) for this case;
    linked principles without a score are ignored. (None, None, False) when none is scored.
    """
    decider = deciding_principle(case, priority, scores_by_principle)
    if decider is None:
        return None, None, False
    labels = {_label_of(scores_by_principle[p]) for p in case.principles if p in scores_by_principle}
    return _label_of(scores_by_principle[decider]), decider, len(labels) > 1
