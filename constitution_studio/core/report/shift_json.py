"""`cstudio shift --format json`: the report model as plain data, plus the computed counts."""

from __future__ import annotations

from typing import Any

from constitution_studio.core.analysis.shift_models import ShiftReport, Stats


def _stats(stats: Stats) -> dict[str, Any]:
    data = stats.model_dump(mode="json")
    data["n_flips_stable"] = stats.n_flips_stable
    data["n_flips_unstable"] = stats.n_flips_unstable
    data["over_refusal_increase"] = stats.over_refusal_increase
    return data


def shift_json(report: ShiftReport) -> dict[str, Any]:
    data = report.model_dump(mode="json")
    data["overall"] = _stats(report.overall)
    for pdata, ps in zip(data["principles"], report.principles, strict=True):
        pdata["stats"] = _stats(ps.stats)
    data["trust"]["level"] = report.trust.level.value
    return data
