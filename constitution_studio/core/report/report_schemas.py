"""Schema ids and JSON Schemas of every JSON output (validate, log, diff, shift, check, eval, ...).

Every JSON output starts with `"schema": "cstudio.<kind>/<major>"`; a consumer
checks it before reading on. The major version changes only when a key is removed or changes
meaning; new keys are additions within a version. docs/schema/<kind>.report.schema.json is
generated from the result models (`python -m constitution_studio.core.report.report_schemas
docs/schema`) and a test checks that the committed files are current and that real reports
validate against them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCHEMA_IDS: dict[str, str] = {
    "cache": "cstudio.cache/1",
    "calibrate": "cstudio.calibrate/1",
    "check": "cstudio.check/1",
    "compare": "cstudio.compare/1",
    "diff": "cstudio.diff/1",
    "eval": "cstudio.eval/1",
    "import": "cstudio.import/1",
    "log": "cstudio.log/1",
    "review": "cstudio.review/1",
    "revisions": "cstudio.revisions/1",
    "shift": "cstudio.shift/1",
    "trust": "cstudio.trust/1",
    "trust-history": "cstudio.trust-history/1",
    "validate": "cstudio.validate/1",
}
BASE_URI = "https://github.com/constitution-studio/constitution-studio/blob/main/docs/schema/"


def with_schema(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with its schema id as the first key."""
    return {"schema": SCHEMA_IDS[kind], **{k: v for k, v in data.items() if k != "schema"}}


def json_text(kind: str, data: dict[str, Any]) -> str:
    """The JSON report text: schema id first, indented, terminal-safe (json_safe), newline-terminated."""
    from constitution_studio.core.sanitize import json_safe

    return json_safe(json.dumps(with_schema(kind, data), indent=2, ensure_ascii=False)) + "\n"


def _models() -> dict[str, Any]:
    from constitution_studio.core.analysis.evaluation import EvalReport
    from constitution_studio.core.analysis.gate import CheckResult
    from constitution_studio.core.analysis.review import ReviewQueue
    from constitution_studio.core.analysis.shift_models import ShiftReport
    from constitution_studio.core.analysis.trust import TrustReport
    from constitution_studio.core.analysis.trust_history import TrustHistory
    from constitution_studio.core.compare import Comparison
    from constitution_studio.core.diff import ConstitutionDiff
    from constitution_studio.core.export.revision_record import RevisionsReport
    from constitution_studio.core.imports.report import ImportReport
    from constitution_studio.core.report.json_models import (
        CacheReport,
        CalibrationReport,
        PrincipleLog,
        ValidationReport,
    )

    return {
        "cache": CacheReport,
        "calibrate": CalibrationReport,
        "check": CheckResult,
        "compare": Comparison,
        "diff": ConstitutionDiff,
        "eval": EvalReport,
        "import": ImportReport,
        "log": PrincipleLog,
        "review": ReviewQueue,
        "revisions": RevisionsReport,
        "shift": ShiftReport,
        "trust": TrustReport,
        "trust-history": TrustHistory,
        "validate": ValidationReport,
    }


# Keys the JSON renderers add to what the models dump (computed properties, summaries).
_EXTRA: dict[str, dict[str, Any]] = {
    "check": {"failures": {"type": "array", "items": {"type": "string"}, "description": "Rules of failing gates."}},
    "eval": {"trust": {"type": "object", "description": "The critic's agreement with gold (trust report)."}},
}


def report_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one report kind, from its result model."""
    model = _models()[kind]
    schema: dict[str, Any] = model.model_json_schema(mode="serialization")
    props = {"schema": {"const": SCHEMA_IDS[kind], "description": "Report kind and major version."}}
    props.update(schema.get("properties", {}))
    props.update(_EXTRA.get(kind, {}))
    schema["properties"] = props
    schema["required"] = ["schema", *[r for r in schema.get("required", []) if r != "schema"]]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_URI}{kind}.report.schema.json",
        "title": f"cstudio {kind} --json report ({SCHEMA_IDS[kind]})",
        **{k: v for k, v in schema.items() if k not in ("title",)},
    }


def report_schema_documents() -> dict[str, str]:
    """File name -> text for docs/schema/ (stable key order, trailing newline)."""
    return {
        f"{kind}.report.schema.json": json.dumps(report_schema(kind), indent=2, ensure_ascii=False) + "\n"
        for kind in sorted(_models())
    }


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("docs/schema")
    for name, text in report_schema_documents().items():
        (out / name).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {out / name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
