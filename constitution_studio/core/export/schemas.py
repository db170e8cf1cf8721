"""JSON Schemas of the exported rows: docs/schema/<kind>.row.schema.json.

Generated from the row models (`python -m constitution_studio.core.export.schemas docs/schema`);
a test checks that the committed files are current and that real rows validate against them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from constitution_studio.core.export.rows import LabelRow, PreferenceRow

BASE_URI = "https://github.com/constitution-studio/constitution-studio/blob/main/docs/schema/"


def row_models() -> dict[str, type[BaseModel]]:
    """Row kind -> its model (one JSON object per JSONL line, one record per Parquet row)."""
    from constitution_studio.core.export.revision_rows import RevisionPreferenceRow, RevisionRow, SftRow

    return {
        "label": LabelRow,
        "preference": PreferenceRow,
        "revision": RevisionRow,
        "revision-preference": RevisionPreferenceRow,
        "sft": SftRow,
    }


def row_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one row kind."""
    schema: dict[str, Any] = row_models()[kind].model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_URI}{kind}.row.schema.json",
        **{k: v for k, v in schema.items() if k != "$schema"},
    }


def row_schema_documents() -> dict[str, str]:
    """File name -> text for docs/schema/ (stable key order, trailing newline)."""
    return {
        f"{kind}.row.schema.json": json.dumps(row_schema(kind), indent=2, ensure_ascii=False) + "\n"
        for kind in sorted(row_models())
    }


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("docs/schema")
    for name, text in row_schema_documents().items():
        (out / name).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {out / name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
