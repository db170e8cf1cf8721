"""The studio's impact view, in core: the constitution-wide shift under unsaved edits.

The view shows a `ShiftReport` built by `assemble_shift` (the code `cstudio shift` uses) from
two `ScoredVersion`s. `cached_shift` fills them from the critic's cache only (what is already
known, never loading the model); "Run all" is `analyze_shift` itself, in a worker. Sorting and
filtering are pure functions over the report's cases, so they are tested and benchmarked here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from constitution_studio.core.analysis.answer_key import answer_key
from constitution_studio.core.analysis.scoring import ScoringRun, distinct_answers, fill_lacking
from constitution_studio.core.analysis.selection import affected_cases
from constitution_studio.core.analysis.shift import assemble_shift, critic_info, scored_version, shift_requests
from constitution_studio.core.analysis.shift_models import CaseShift, ShiftReport
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.diff import ConstitutionDiff
from constitution_studio.core.workspace import Workspace

SORTS = ("change", "uncertainty", "gold")
SORT_TITLES = {"change": "biggest change", "uncertainty": "least certain", "gold": "disagrees with gold"}


def cached_shift(
    base: Workspace,
    head: Workspace,
    diff: ConstitutionDiff,
    critic: Judge,
    *,
    principles: Sequence[str] | None = None,
    context: bool = True,
) -> ShiftReport:
    """The shift from what the critic's cache already holds (the same requests `analyze_shift` makes).

    `context` False reads only the affected cases (per-case and per-principle figures, fast on a
    large constitution); the version-wide over-refusal then covers only those cases, so a
    caller shows it as pending until the full report arrives.

    Cases whose verdict needs an answer the cache lacks are listed in `report.incomplete`. The
    critic's trust is left unmeasured (the view shows gold agreement from the stats; the main
    screen's header has the trust level), which spares the bootstrap and the gold context cases.
    """
    only = set(principles) if principles else None
    changed, why = affected_cases(base, head, diff, only)
    key = answer_key(base, head)  # over the whole versions, as `cstudio shift` has it
    whole_head = head
    if not context:
        # Only the affected cases are read, so the others have no verdicts: leaving them out
        # changes no figure, and spares assemble_shift a verdict attempt per gold and benign
        # case of both versions (0.8 s of 1 s at 50,000 cases, docs/performance.md).
        base, head = only_cases(base, why), only_cases(head, why)
    b, h = scored_version(base, critic), scored_version(head, critic, key=key)
    want_h, want_b = shift_requests(b, h, sorted(why), critic, with_trust=False, context=context)
    lacking = fill_lacking(h, critic, want_h) + fill_lacking(b, critic, want_b)
    total = len(want_h) + len(want_b)
    run = ScoringRun(requests=total, cached=total - distinct_answers(critic, lacking), model_calls=0, cancelled=False)
    warnings = list(critic.warnings)
    return assemble_shift(
        b,
        h,
        diff,
        changed,
        why,
        critic_info(critic),
        only=only,
        run=run,
        warnings=warnings,
        with_trust=False,
        whole_head=whole_head,
    )


def only_cases(ws: Workspace, case_ids: Iterable[str]) -> Workspace:
    """A view of `ws` with only these cases (principles, order and labels shared, nothing copied deeply)."""
    keep = [cid for cid in case_ids if cid in ws.cases]
    return dataclasses.replace(
        ws,
        cases={cid: ws.cases[cid] for cid in keep},
        case_paths={cid: ws.case_paths[cid] for cid in keep if cid in ws.case_paths},
        case_indexes={cid: ws.case_indexes[cid] for cid in keep if cid in ws.case_indexes},
        _links=None,
        _locators={},
    )


def missing_requests(report: ShiftReport) -> int:
    """Answers the cache did not have when `report` was assembled by `cached_shift`.

    Distinct answers (a request both versions make, or two cases with the same content, count
    once): exactly what "Run all" (`analyze_shift`) then asks the model for.
    """
    return max(report.requests - report.cached, 0)


# --- per-case figures ------------------------------------------------------------------


def case_delta(cs: CaseShift) -> float | None:
    """Δ: head - base probability of the deciding principle (None unless both sides are scored)."""
    if cs.base is None or cs.head is None or cs.base.probability is None or cs.head.probability is None:
        return None
    return cs.head.probability - cs.base.probability


def noise_band(cs: CaseShift) -> float | None:
    """The wider of the two sides' noise bands (spread across judge variants)."""
    bands = [v.band for v in (cs.base, cs.head) if v is not None and v.band is not None]
    return max(bands) if bands else None


def is_change(cs: CaseShift) -> bool:
    """A flip worth highlighting: only stable flips (outside the noise band) count."""
    return cs.flipped and cs.stable


def disagrees_with_gold(cs: CaseShift) -> bool:
    return cs.head is not None and cs.head.agrees_with_gold is False


def thresholds(critic: Judge, ws: Workspace) -> dict[str, float]:
    """Each principle's violates threshold for this critic (calibrated or the default)."""
    default = critic.settings.threshold
    out: dict[str, float] = {}
    for pid, p in ws.principles.items():
        cal = critic.calibration_for(pid, p.statement)
        out[pid] = float(cal.threshold) if cal is not None and cal.threshold is not None else default
    return out


def margin(cs: CaseShift, limits: Mapping[str, float]) -> float:
    """Distance of the head probability from its threshold (small = uncertain); 2 when unscored."""
    v = cs.head or cs.base
    if v is None or v.probability is None:
        return 2.0
    limit = 0.5 if cs.kind == "pair" else limits.get(v.deciding or "", 0.5)
    return abs(v.probability - limit)


# --- sorting and filtering --------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilter:
    """What the case list shows: flips only (stable ones), benign cases only, one principle."""

    flips: bool = False
    benign: bool = False
    principle: str | None = None

    def keep(self, cs: CaseShift) -> bool:
        if self.flips and not is_change(cs):
            return False
        if self.benign and not cs.benign:
            return False
        return not (
            self.principle is not None
            and self.principle not in cs.principles_head
            and self.principle not in cs.principles_base
        )


def sort_key(sort: str, limits: Mapping[str, float]) -> Callable[[CaseShift], tuple[Any, ...]]:
    """Key for `sort` in SORTS; ties by case ID, so the order is stable."""
    if sort == "change":

        def by_change(cs: CaseShift) -> tuple[Any, ...]:
            d = case_delta(cs)
            return (not is_change(cs), -abs(d) if d is not None else 1.0, cs.case_id)

        return by_change
    if sort == "uncertainty":
        return lambda cs: (margin(cs, limits), cs.case_id)
    if sort == "gold":
        return lambda cs: (not disagrees_with_gold(cs), cs.gold is None, -abs(case_delta(cs) or 0.0), cs.case_id)
    raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")


def view_cases(
    cases: Iterable[CaseShift], sort: str, keep: CaseFilter, limits: Mapping[str, float] | None = None
) -> list[CaseShift]:
    """The case list as the view shows it: filtered, then sorted."""
    return sorted((cs for cs in cases if keep.keep(cs)), key=sort_key(sort, limits or {}))


# --- plots ----------------------------------------------------------------------------


def histogram(values: Iterable[float], bins: int = 20, low: float = -1.0, high: float = 1.0) -> list[int]:
    """Counts of `values` in `bins` equal bins over [low, high] (the last bin includes `high`)."""
    counts = [0] * bins
    width = (high - low) / bins
    for v in values:
        if v < low or v > high:
            continue
        counts[min(int((v - low) / width), bins - 1)] += 1
    return counts


def deltas(cases: Iterable[CaseShift]) -> list[float]:
    return [d for cs in cases if (d := case_delta(cs)) is not None]
