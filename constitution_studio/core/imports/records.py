"""Reading the files an import starts from into records: plain mappings, each with where it came from.

Every reader is bounded before it reads: the file (or a dataset folder's files together) at
most `MAX_INPUT_BYTES`, one JSONL line or CSV field at most `MAX_LINE_BYTES`, at most
`MAX_RECORDS` records. The input is a path the user named (it may lie outside the
constitution); it must be a regular file or folder, never a FIFO or a device. Paths written
inside the input (promptfoo's `file://`, a dataset's data files) are never followed outside
the folder being read.

Parquet files and Hugging Face `datasets` folders (`save_to_disk`: `state.json` + Arrow
files, or a `dataset_dict.json` of splits) are read with pyarrow, the optional `import` extra;
without it the import stops with one line naming the install command.
"""

from __future__ import annotations

import csv
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constitution_studio.errors import BadInputError

MAX_INPUT_BYTES = 256 * 1024 * 1024
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_RECORDS = 1_000_000
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # a whole-file format (JSON array, YAML, Markdown) is parsed at once

TEXT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv"}
YAML_SUFFIXES = (".yaml", ".yml")


class ImportExtraMissing(BadInputError):
    title = "pyarrow is not installed"


@dataclass(frozen=True)
class Record:
    """One row, sample or test: its data and `where` (`FILE:LINE` or `FILE#ROW`) for messages."""

    where: str
    data: dict[str, Any]
    refused: str | None = None  # why the source format itself refuses this record


def display(path: Path) -> str:
    """A path as messages show it: relative to the current folder when inside it."""
    try:
        return Path(os.path.relpath(path)).as_posix() if not str(os.path.relpath(path)).startswith("..") else str(path)
    except ValueError:
        return str(path)


def check_input(path: Path, *, folder: bool = False, limit: int = MAX_INPUT_BYTES) -> os.stat_result:
    """The input's stat: it exists, is a regular file (or, with `folder`, a folder) within `limit`."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise BadInputError(f"cannot read {display(path)}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode) and folder:
        return st
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise BadInputError(f"{display(path)} is {kind}; name a file to import")
    if st.st_size > limit:
        raise BadInputError(
            f"{display(path)} is {st.st_size / 2**20:.1f} MiB; the import limit is {limit // 2**20} MiB"
        )
    return st


def read_document(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> str:
    """A whole text file (JSON array, YAML, Markdown) as UTF-8, within `limit` bytes."""
    check_input(path, limit=limit)
    with open(path, "rb") as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise BadInputError(f"{display(path)} grew past {limit // 2**20} MiB while being read")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise BadInputError(f"{display(path)}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x})") from None


def _counted(records: Iterator[Record], name: str) -> Iterator[Record]:
    for n, record in enumerate(records, 1):
        if n > MAX_RECORDS:
            raise BadInputError(f"{name} has more than {MAX_RECORDS:,} records; split it")
        yield record


def read_jsonl(path: Path) -> Iterator[Record]:
    """One JSON object per non-blank line."""
    check_input(path)
    name = display(path)

    def rows() -> Iterator[Record]:
        with open(path, "rb") as handle:
            for n, raw in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), 1):
                if len(raw) > MAX_LINE_BYTES:
                    raise BadInputError(f"{name}:{n}: line longer than {MAX_LINE_BYTES // 2**20} MiB")
                if not raw.strip():
                    continue
                try:
                    data = json.loads(raw.decode("utf-8-sig" if n == 1 else "utf-8"))
                except UnicodeDecodeError:
                    raise BadInputError(f"{name}:{n}: not UTF-8") from None
                except (json.JSONDecodeError, RecursionError) as exc:
                    why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                    raise BadInputError(f"{name}:{n}: not JSON ({why})") from None
                if not isinstance(data, dict):
                    raise BadInputError(f"{name}:{n}: each line must be a JSON object")
                yield Record(f"{name}:{n}", data)

    return _counted(rows(), name)


def read_json(path: Path) -> Iterator[Record]:
    """A JSON array of objects (or an object with one list of objects, e.g. `{"samples": [...]}`)."""
    name = display(path)
    try:
        data = json.loads(read_document(path))
    except (json.JSONDecodeError, RecursionError) as exc:
        why = f"line {exc.lineno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise BadInputError(f"{name}: not JSON ({why})") from None
    return _counted(iter(list_records(data, name)), name)


def list_records(data: Any, name: str) -> list[Record]:
    """The records of a parsed document: a list of mappings, or the one list a mapping holds."""
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise BadInputError(f"{name}: expected a list of records (or an object holding one list)")
        data = lists[0]
    if not isinstance(data, list):
        raise BadInputError(f"{name}: expected a list of records")
    out = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise BadInputError(f"{name}#{i}: each record must be an object / mapping")
        out.append(Record(f"{name}#{i}", item))
    return out


def read_csv(path: Path, delimiter: str = ",") -> Iterator[Record]:
    """A CSV (or TSV) file with a header row; every value is text."""
    check_input(path)
    name = display(path)
    csv.field_size_limit(MAX_LINE_BYTES)

    def rows() -> Iterator[Record]:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            try:
                header = next(reader, None)
                if not header:
                    raise BadInputError(f"{name}: no header row")
                if len(set(header)) != len(header):
                    raise BadInputError(f"{name}:1: the header names a column twice")
                for row in reader:
                    if not any(cell.strip() for cell in row):
                        continue
                    line = reader.line_num
                    if len(row) != len(header):
                        raise BadInputError(f"{name}:{line}: {len(row)} values for {len(header)} columns")
                    yield Record(f"{name}:{line}", dict(zip(header, row, strict=True)))
            except UnicodeDecodeError:
                raise BadInputError(f"{name}: not UTF-8") from None
            except csv.Error as exc:
                raise BadInputError(f"{name}:{reader.line_num}: not CSV ({exc})") from None

    return _counted(rows(), name)


def read_yaml(path: Path) -> Any:
    """A YAML document (promptfoo files), read with the safe libyaml loader within the size limit."""
    import yaml as pyyaml

    text = read_document(path)
    try:
        return pyyaml.load(text, Loader=getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader))
    except (pyyaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise BadInputError(f"{display(path)}{where}: not valid YAML") from None


def read_records(path: Path, split: str | None = None) -> Iterator[Record]:
    """The records of a file by its suffix, or of a dataset folder / parquet file (pyarrow)."""
    check_input(path, folder=True)
    if path.is_dir() or path.suffix.lower() in (".parquet", ".arrow"):
        from constitution_studio.core.imports.tables import read_table

        return read_table(path, split)
    if split is not None:
        raise BadInputError("--split goes with a dataset folder")
    kind = TEXT_SUFFIXES.get(path.suffix.lower())
    if kind == "jsonl":
        return read_jsonl(path)
    if kind == "json":
        return read_json(path)
    if kind in ("csv", "tsv"):
        return read_csv(path, "\t" if kind == "tsv" else ",")
    if path.suffix.lower() in YAML_SUFFIXES:
        return _counted(iter(list_records(read_yaml(path), display(path))), display(path))
    raise BadInputError(
        f"{display(path)}: unknown file kind; import .jsonl, .json, .csv, .tsv, .yaml, .parquet or a dataset folder"
    )
