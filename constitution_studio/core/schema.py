"""JSON Schema for the three file kinds, so editors validate as authors type."""

from __future__ import annotations

import json
from typing import Any

from constitution_studio.core.ids import DEFAULT_ID_PATTERN, SAFE_ID_PATTERN
from constitution_studio.core.models import CaseFile, Constitution, Principle

SCHEMAS: dict[str, Any] = {
    "constitution.schema.json": Constitution,
    "principle.schema.json": Principle,
    "eval_cases.schema.json": CaseFile,
}


def schema_documents(id_pattern: str = DEFAULT_ID_PATTERN) -> dict[str, str]:
    """File name -> JSON text, stable (sorted keys) so the checked-in copies can be compared.

    Principle IDs (a principle's `id`, priority entries, case links, per-principle gold keys)
    carry the constitution's `id_pattern`, so an editor checks the team's own scheme; the
    file-name rules every ID also follows are checked by `cstudio validate`."""
    out: dict[str, Any] = {}
    for name, model in SCHEMAS.items():
        schema = _with_id_pattern(model.model_json_schema(), id_pattern)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://constitution-studio.invalid/schema/{name}"
        out[name] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def _with_id_pattern(node: Any, id_pattern: str) -> Any:
    """The schema with every principle-ID pattern (value or mapping key) set to `id_pattern`."""
    if isinstance(node, list):
        return [_with_id_pattern(item, id_pattern) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "pattern" and value == SAFE_ID_PATTERN:
            out[key] = id_pattern
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {
                (id_pattern if k == SAFE_ID_PATTERN else k): _with_id_pattern(v, id_pattern) for k, v in value.items()
            }
        else:
            out[key] = _with_id_pattern(value, id_pattern)
    return out
