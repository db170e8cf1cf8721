"""The structural diff as JSON (documented in docs/diff-json.md); keys and order are stable."""

from __future__ import annotations

import json
from typing import Any

from constitution_studio.core.diff import ConstitutionDiff
from constitution_studio.core.report.report_schemas import SCHEMA_IDS
from constitution_studio.core.sanitize import json_safe

SCHEMA = SCHEMA_IDS["diff"]


def diff_to_dict(diff: ConstitutionDiff) -> dict[str, Any]:
    return {"schema": SCHEMA, **diff.model_dump(mode="json")}


def render_json(diff: ConstitutionDiff) -> str:
    return json_safe(json.dumps(diff_to_dict(diff), indent=2, ensure_ascii=False)) + "\n"
