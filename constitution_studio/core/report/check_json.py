"""`cstudio check --json FILE`: verdict, gates, findings, diff summary and the full shift (with trust)."""

from __future__ import annotations

from typing import Any

from constitution_studio.core.analysis.gate import CheckResult
from constitution_studio.core.report.shift_json import shift_json


def check_json(result: CheckResult) -> dict[str, Any]:
    data = result.model_dump(mode="json", exclude={"shift"})
    data["failures"] = [g.rule for g in result.failures]
    data["shift"] = shift_json(result.shift) if result.shift is not None else None
    return data
