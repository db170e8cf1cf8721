"""Rows to bytes: JSON Lines (always) and Parquet (with the `export` extra: pyarrow).

Both hold exactly `row.model_dump(mode="json")` per row, so a Parquet file read back with
pyarrow gives the same records as the JSONL file. JSON text is terminal-safe
(`sanitize.json_safe`): someone `cat`-ing an export sees no control sequences.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from constitution_studio.core.sanitize import json_safe
from constitution_studio.errors import StudioError

Format = Literal["jsonl", "parquet"]
EXTRA_HINT = "pip install 'constitution-studio[export]'"


class ExportExtraMissing(StudioError):
    title = "the export extra is not installed"


def format_for(path: Path | None, requested: str | None = None) -> Format:
    """The format asked for, else the file's suffix (`.parquet`), else JSON Lines."""
    if requested in ("jsonl", "parquet"):
        return requested  # type: ignore[return-value]
    return "parquet" if path is not None and path.suffix.lower() in (".parquet", ".pq") else "jsonl"


def records(rows: Iterable[BaseModel]) -> list[dict[str, Any]]:
    return [row.model_dump(mode="json") for row in rows]


def jsonl_text(rows: Iterable[BaseModel]) -> str:
    """One JSON object per line (UTF-8, not ASCII-escaped, terminal-safe)."""
    return "".join(json_safe(json.dumps(r, ensure_ascii=False)) + "\n" for r in records(rows))


def require_pyarrow() -> Any:
    """pyarrow, or one line naming the extra to install."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ExportExtraMissing(f"Parquet needs pyarrow; install it with {EXTRA_HINT}, or write .jsonl") from None
    return pyarrow


def arrow_schema(model: type[BaseModel]) -> Any:
    """The Arrow schema of a row model, from its JSON Schema: every export of one row kind has
    the same column types, even where a column happens to be all null (files concatenate)."""
    pa = require_pyarrow()
    schema = model.model_json_schema(mode="serialization")
    defs: dict[str, Any] = schema.get("$defs", {})

    def arrow(node: dict[str, Any]) -> Any:
        if "$ref" in node:
            return arrow(defs[node["$ref"].rsplit("/", 1)[-1]])
        options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
        if options:
            return arrow(options[0])
        kind = node.get("type")
        if kind == "object":
            props: dict[str, Any] = node.get("properties", {})
            return pa.struct([pa.field(k, arrow(v)) for k, v in props.items()])
        if kind == "array":
            return pa.list_(arrow(node.get("items", {"type": "string"})))
        if kind == "boolean":
            return pa.bool_()
        if kind == "integer":
            return pa.int64()
        if kind == "number":
            return pa.float64()
        return pa.string()  # strings, enums, literals

    return pa.schema([pa.field(k, arrow(v)) for k, v in schema["properties"].items()])


def parquet_bytes(rows: Iterable[BaseModel], model: type[BaseModel]) -> bytes:
    """A Parquet file of the rows (nested fields as structs and lists), typed by `model`."""
    pa = require_pyarrow()
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(records(rows), schema=arrow_schema(model))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def encode(rows: Iterable[BaseModel], fmt: Format, model: type[BaseModel]) -> bytes:
    """The rows as a file of `fmt`."""
    return parquet_bytes(rows, model) if fmt == "parquet" else jsonl_text(rows).encode("utf-8")
