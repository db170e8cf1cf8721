"""JSON Schema for the three file kinds, so editors validate as authors type."""

from __future__ import annotations

import json
from typing import Any

from constitution_studio.core.models import CaseFile, Constitution, Principle

SCHEMAS: dict[str, Any] = {
    "constitution.schema.json": Constitution,
    "principle.schema.json": Principle,
    "eval_cases.schema.json": CaseFile,
}


def schema_documents() -> dict[str, str]:
    """File name -> JSON text, stable (sorted keys) so the checked-in copies can be compared."""
    out = {}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://constitution-studio.invalid/schema/{name}"
        out[name] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out
